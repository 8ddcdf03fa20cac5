"""Save the sandbox state in the YAML tenant format, complete enough to continue from it."""

from __future__ import annotations

import base64
import dataclasses
import logging
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import yaml

from c3po_sync.sandbox.model_fields import Field
from c3po_sync.sandbox.model_files import generated_content
from c3po_sync.sandbox.model_ids import APP_USER_ID
from c3po_sync.sandbox.tenant_file import _FIELD_OPTS, FORMAT, _iso, _to_dt

if TYPE_CHECKING:
    from c3po_sync.sandbox.model import Item, SPList, Tenant

log = logging.getLogger(__name__)


def _wire_to_natural(tenant: Tenant, fld: Field, value: Any, tz: str) -> Any:
    kind = fld.kind
    if value is None:
        return None
    if kind == "DateTime" and fld.date_only:
        local = _to_dt(value, tz).astimezone(ZoneInfo(tz))
        return local.date() if local.time() == time() else value
    if kind == "User":
        return _email(tenant, value)
    if kind == "UserMulti":
        return [_email(tenant, v) for v in value]
    if kind == "URL":
        return {"url": value.get("Url"), "description": value.get("Description")}
    if kind == "TaxonomyFieldType":
        return {
            "label": value.get("Label"),
            "term_guid": value.get("TermGuid"),
            "wss_id": value.get("WssId"),
        }
    if isinstance(value, list):
        return list(value)
    return value


def _email(tenant: Tenant, uid: int | None) -> str | None:
    user = tenant.users.get(uid) if uid is not None else None
    return (user.email or user.login_name) if user else None


def _item_system(tenant: Tenant, item: Item) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item.id}
    out["created"] = _iso(item.created) if item.created else None
    out["modified"] = _iso(item.modified) if item.modified else None
    out["author"] = _email(tenant, item.author_id)
    out["editor"] = _email(tenant, item.editor_id)
    out["version"] = item.version
    return out


def _list_to_dict(tenant: Tenant, lst: SPList) -> dict:
    d: dict[str, Any] = {
        "title": lst.title,
        "template": lst.base_template,
        "url": lst.url,
        "id": lst.id,
    }
    if lst.description:
        d["description"] = lst.description
    fields = []
    for f in lst.fields:
        if f.builtin:
            if f.indexed and f.internal_name != "ID":
                fields.append({"name": f.internal_name, "indexed": True})
            continue
        fd: dict[str, Any] = {"name": f.internal_name, "title": f.title, "kind": f.kind, "id": f.id}
        for k in _FIELD_OPTS:
            v = getattr(f, k)
            if v not in (False, [], None) and not (k == "lookup_field" and v == "Title"):
                fd[k] = v
        fields.append(fd)
    d["fields"] = fields
    if lst.views:  # made on first use: a list never asked for its views has none to keep
        d["views"] = [dataclasses.asdict(v) for v in lst.views]
    custom = [f for f in lst.fields if not f.builtin or f.internal_name == "Title"]
    items, folders, files = [], [], []
    root = lst.root_folder
    for item in lst.items.values():
        values = {
            f.internal_name: _wire_to_natural(
                tenant, f, item.values[f.internal_name], lst.site.time_zone
            )
            for f in custom
            if f.internal_name in item.values
        }
        sysd = _item_system(tenant, item)
        if not lst.is_library or (item.fs_obj_type == 0 and item.file is None):
            items.append({**sysd, **values})
            continue
        rel = item.file_ref[len(root) :].strip("/")
        if item.fs_obj_type == 1:
            folders.append({"path": rel, **sysd})
            continue
        blob = item.file
        if blob is None:  # rows without content were saved as items above
            continue
        fd = {"path": rel, **sysd, "unique_id": blob.unique_id, "size": blob.size}
        if not blob.generated and blob.content != generated_content(rel, blob.size):
            try:
                fd["content"] = blob.content.decode("utf-8")
            except UnicodeDecodeError:
                fd["content_base64"] = base64.b64encode(blob.content).decode()
        if values:
            fd["values"] = values
        files.append(fd)
    if items:
        d["items"] = items
    if folders:
        d["folders"] = folders
    if files:
        d["files"] = files
    d["next_id"] = lst.next_id
    return d


def tenant_to_dict(tenant: Tenant) -> dict:
    """The tenant as the YAML format's dict, complete enough to continue ids and the change log."""
    users = [
        {"email": u.email, "title": u.title, "login": u.login_name, "id": u.id}
        for u in tenant.users.values()
        if u.id != APP_USER_ID
    ]
    sites = []
    for site in tenant.sites.values():
        titles = {lst.id: lst.title for lst in site.lists.values()}
        sd: dict[str, Any] = {
            "url": site.server_relative_url,
            "title": site.title,
            "time_zone": site.time_zone,
            "id": site.id,
            "web_id": site.web_id,
            **({"app_role": site.app_role} if site.app_role else {}),
            "lists": [_list_to_dict(tenant, lst) for lst in site.lists.values()],
        }
        changes = [
            {
                "number": c.change_number,
                "type": c.change_type,
                "list": titles.get(c.list_id, c.list_id),
                "item_id": c.item_id,
                "time": _iso(c.time),
                **({"unique_id": c.unique_id} if c.unique_id else {}),
                **({"url": c.server_relative_url} if c.server_relative_url else {}),
                **({"object": c.kind} if c.kind != "item" else {}),
                **({"field_id": c.field_id} if c.field_id else {}),
            }
            for c in site.change_log.changes
            if c.list_id in titles
        ]
        sd["change_log"] = {"last_number": site.change_log.last_number, "changes": changes}
        sites.append(sd)
    return {
        "format": FORMAT,
        "tenant": {"name": tenant.name, "time_zone": tenant.time_zone, "origin": tenant.origin},
        "users": users,
        "sites": sites,
    }


def save_tenant(tenant: Tenant, path: str | Path) -> None:
    """Write the tenant state as YAML (atomically, via a temporary file)."""
    p = Path(path)
    tmp = p.with_suffix(p.suffix + ".tmp")
    tmp.write_text(
        yaml.safe_dump(tenant_to_dict(tenant), sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    tmp.replace(p)
    log.info("saved tenant %s to %s", tenant.name, p)
