"""Load and save the YAML tenant format (`c3po-tenant/1`, docs/tenant-format.md)."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import yaml

from c3po_sync.errors import C3POError
from c3po_sync.sandbox.grants import check_role
from c3po_sync.sandbox.model_changes import Change
from c3po_sync.sandbox.model_fields import Field, decode_internal_name
from c3po_sync.sandbox.model_files import FileBlob
from c3po_sync.sandbox.model_ids import stable_guid
from c3po_sync.sandbox.model_views import ListView

if TYPE_CHECKING:
    from c3po_sync.sandbox.model import Item, SPList, Tenant

log = logging.getLogger(__name__)
FORMAT = "c3po-tenant/1"
_FIELD_OPTS = (
    "indexed",
    "required",
    "choices",
    "lookup_list",
    "lookup_field",
    "date_only",
    "hidden",
)
_SYSTEM_KEYS = {"id", "created", "modified", "author", "editor", "version", "guid"}


class TenantFormatError(C3POError, ValueError):
    """A tenant file that does not follow the format; the message names the file and the key."""


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _to_dt(value: Any, tz: str) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=value.tzinfo or UTC).astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), ZoneInfo(tz)).astimezone(UTC)
    text = str(value).strip()
    if len(text) == 10:
        return _to_dt(date.fromisoformat(text), tz)
    return _to_dt(datetime.fromisoformat(text.replace("Z", "+00:00")), tz)


class _Loader:
    def __init__(self, source: str, tenant: Tenant) -> None:
        self.source = source
        self.tenant = tenant
        self.wss: dict[str, int] = {}
        self.max_id: dict[str, int] = {}  # highest item id loaded, per list id
        self.fields: dict[tuple[str, str], Field | None] = {}  # (list id, key) -> field

    def fail(self, where: str, detail: str) -> TenantFormatError:
        return TenantFormatError(f"{self.source}: {where}: {detail}")

    def user_id(self, email: Any, where: str) -> int | None:
        if email is None:
            return None
        try:
            return self.tenant.user_by_login(str(email)).id
        except Exception as exc:
            raise self.fail(where, f"unknown user '{email}' (add it under users:)") from exc

    def natural_to_wire(self, fld: Field, value: Any, tz: str, where: str) -> Any:
        kind = fld.kind
        if value is None:
            return [] if kind in ("LookupMulti",) else None
        if kind == "User":
            return self.user_id(value, where)
        if kind == "UserMulti":
            return [self.user_id(v, where) for v in _as_list(value)]
        if kind == "DateTime":
            try:
                return _iso(_to_dt(value, tz))
            except ValueError as exc:
                raise self.fail(where, f"'{value}' is not a date or timestamp") from exc
        if kind == "MultiChoice":
            return [str(v) for v in _as_list(value)]
        if kind == "LookupMulti":
            return [int(v) for v in _as_list(value)]
        if kind in ("Lookup", "Integer"):
            return int(value)
        if kind in ("Number", "Currency"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(where, f"'{value}' is not a number")
            return value
        if kind == "Boolean":
            return bool(value)
        if kind == "URL":
            if isinstance(value, str):
                return {"Description": value, "Url": value}
            return {"Description": value.get("description"), "Url": value.get("url")}
        if kind == "TaxonomyFieldType":
            guid = value.get("term_guid")
            wss = value.get("wss_id") or self.wss.setdefault(guid, len(self.wss) + 1)
            return {"Label": value.get("label"), "TermGuid": guid, "WssId": int(wss)}
        return str(value)

    def load_values(self, lst: SPList, raw: dict, where: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if key in _SYSTEM_KEYS:
                continue
            fld = self.fields.get((lst.id, key))
            if fld is None:
                try:
                    fld = self.fields[(lst.id, key)] = lst.field(key)
                except Exception as exc:
                    raise self.fail(
                        f"{where}.{key}", f"no column '{key}' on list '{lst.title}'"
                    ) from exc
            out[fld.internal_name] = self.natural_to_wire(
                fld, value, lst.site.time_zone, f"{where}.{key}"
            )
        return out

    def apply_system(self, lst: SPList, item: Item, raw: dict, where: str) -> None:
        tz = lst.site.time_zone
        if raw.get("created") is not None:
            item.created = _to_dt(raw["created"], tz)
        if raw.get("modified") is not None:
            item.modified = _to_dt(raw["modified"], tz)
        if raw.get("author") is not None:
            item.author_id = self.user_id(raw["author"], where + ".author")
        if raw.get("editor") is not None:
            item.editor_id = self.user_id(raw["editor"], where + ".editor")
        if raw.get("version") is not None:
            item.version = int(raw["version"])
        if raw.get("guid"):
            item.guid = str(raw["guid"])

    def new_item(self, lst: SPList, raw: dict, where: str, fs: int, ref: str | None) -> Item:
        if raw.get("id") is not None:
            lst.next_id = int(raw["id"])
        if lst.next_id in lst.items:
            raise self.fail(where, f"item id {lst.next_id} is used twice")
        item = lst.add_item({}, fs_obj_type=fs, file_ref=ref, record=False)
        item.values.update(
            self.load_values(lst, raw.get("values", raw) if fs == 0 and ref else raw, where)
        )
        self.apply_system(lst, item, raw, where)
        top = max(self.max_id.get(lst.id, 0), item.id)
        self.max_id[lst.id] = top
        lst.next_id = max(lst.next_id, top + 1)
        return item


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]


def tenant_from_dict(
    data: dict, *, tenant_cls: type[Tenant], source: str = "<dict>", **opts: Any
) -> Tenant:
    """Build a Tenant from the parsed YAML; TenantFormatError names the offending key.

    The model passes its class in (``Tenant.from_dict``): the format reads into the model, the
    model does not depend on this module's callers, and neither imports the other in a loop.
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else repr(data)
        raise TenantFormatError(f"{source}: format: expected '{FORMAT}', found {found}")
    head = data.get("tenant") or {}
    tenant = tenant_cls(
        head.get("name", "sandbox"),
        time_zone=head.get("time_zone", "UTC"),
        origin=head.get("origin"),
        **opts,
    )
    if head.get("change_log_days") is not None:
        tenant.change_log_days = float(head["change_log_days"])  # SPO default 60
    ld = _Loader(source, tenant)
    for i, u in enumerate(data.get("users") or []):
        if not u.get("email"):
            raise ld.fail(f"users[{i}]", "email is required")
        tenant.add_user(u["email"], u.get("title", ""), login=u.get("login"), id=u.get("id"))
    for si, s in enumerate(data.get("sites") or []):
        swhere = f"sites[{si}]"
        if not s.get("url"):
            raise ld.fail(swhere, "url is required")
        site = tenant.add_site(
            s["url"],
            s.get("title", ""),
            time_zone=s.get("time_zone"),
            id=s.get("id"),
            web_id=s.get("web_id"),
        )
        if s.get("app_role") is not None:
            try:
                site.app_role = check_role(s["app_role"])
            except ValueError as exc:
                raise ld.fail(f"{swhere}.app_role", str(exc)) from None
        for li, ldata in enumerate(s.get("lists") or []):
            lwhere = f"{swhere}.lists[{li}] ({ldata.get('title')})"
            lst = site.create_list(
                ldata["title"],
                int(ldata.get("template", 100)),
                ldata.get("description", ""),
                url=ldata.get("url"),
                id=ldata.get("id"),
                record=False,
            )
            for fi, f in enumerate(ldata.get("fields") or []):
                opts_f = {k: f[k] for k in _FIELD_OPTS if k in f}
                existing = next(
                    (x for x in lst.fields if x.builtin and x.internal_name == f.get("name")), None
                )
                if existing is not None:
                    for k, v in opts_f.items():
                        setattr(existing, k, v)
                    continue
                if f.get("kind") not in (None, *_KINDS):
                    raise ld.fail(f"{lwhere}.fields[{fi}].kind", f"unknown kind '{f.get('kind')}'")
                name = f.get("name") or f.get("title")
                fld = lst.add_field(
                    f.get("title") or decode_internal_name(name),
                    f.get("kind", "Text"),
                    internal_name=name,
                    record=False,
                    **opts_f,
                )
                if f.get("id"):
                    fld.id = str(f["id"])
            _load_views(ld, lst, ldata, lwhere)
            _load_rows(ld, lst, ldata, lwhere)
        _load_changes(ld, site, s.get("change_log"), swhere)
    return tenant


_KINDS = (
    "Text",
    "Note",
    "Number",
    "Currency",
    "Integer",
    "DateTime",
    "Boolean",
    "Choice",
    "MultiChoice",
    "User",
    "UserMulti",
    "Lookup",
    "LookupMulti",
    "URL",
    "TaxonomyFieldType",
)


def _load_views(ld: _Loader, lst: SPList, ldata: dict, lwhere: str) -> None:
    """A saved tenant keeps the views provisioning added: SharePoint keeps them, and a served
    tenant that lost them on restart would show lists a night never re-provisions (its change
    log says no list changed) as needing views."""
    for vi, raw in enumerate(ldata.get("views") or []):
        try:
            lst.views.append(ListView(**raw))
        except TypeError as exc:
            raise ld.fail(f"{lwhere}.views[{vi}]", str(exc)) from None


def _load_rows(ld: _Loader, lst: SPList, ldata: dict, lwhere: str) -> None:
    for ii, raw in enumerate(ldata.get("items") or []):
        ld.new_item(lst, raw, f"{lwhere}.items[{ii}]", 0, None)
    root = lst.root_folder
    for fi, folder in enumerate(ldata.get("folders") or []):
        raw = folder if isinstance(folder, dict) else {"path": folder}
        path = str(raw["path"]).strip("/")
        parent = posix_parent(path)
        if parent:
            lst.site.ensure_folder(f"{root}/{parent}")
        if lst.site._find(lst, f"{root}/{path}") is None:
            ld.new_item(
                lst,
                {k: v for k, v in raw.items() if k != "path"},
                f"{lwhere}.folders[{fi}]",
                1,
                f"{root}/{path}",
            )
    for fi, raw in enumerate(ldata.get("files") or []):
        where = f"{lwhere}.files[{fi}]"
        path = str(raw.get("path", "")).strip("/")
        if not path:
            raise ld.fail(where, "path is required")
        parent = posix_parent(path)
        if parent:
            lst.site.ensure_folder(f"{root}/{parent}")
        content: bytes | None = None
        if "content_base64" in raw:
            content = base64.b64decode(raw["content_base64"])
        elif raw.get("content") is not None:
            content = str(raw["content"]).encode()
        sysraw = {k: raw[k] for k in _SYSTEM_KEYS if k in raw}
        item = ld.new_item(
            lst, {**sysraw, "values": raw.get("values") or {}}, where, 0, f"{root}/{path}"
        )
        when = item.modified or lst.site.tenant.now()
        unique = str(raw.get("unique_id") or _stable(lst.id, "file", str(item.id)))
        item.file = FileBlob(
            unique, content, item.created or when, when, size=int(raw.get("size") or 0), seed=path
        )
        lst.site._files_by_unique[unique.lower()] = (lst.id, item.id)
    if ldata.get("next_id") is not None:
        lst.next_id = max(int(ldata["next_id"]), lst.next_id)


def _stable(*parts: str) -> str:
    return stable_guid(*parts)


def posix_parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _load_changes(ld: _Loader, site: Any, raw: dict | None, swhere: str) -> None:
    if not raw:
        return
    log_ = site.change_log
    for ci, c in enumerate(raw.get("changes") or []):
        try:
            lst = site.list_by_title(c["list"])
        except Exception as exc:
            raise ld.fail(
                f"{swhere}.change_log.changes[{ci}]", f"unknown list '{c.get('list')}'"
            ) from exc
        ch = Change(
            int(c["type"]),
            int(c["item_id"]),
            lst.id,
            site.web_id,
            site.id,
            _to_dt(c["time"], "UTC"),
            0,
            unique_id=c.get("unique_id"),
            server_relative_url=c.get("url"),
            kind=str(c.get("object") or "item"),
            field_id=c.get("field_id"),
            title=lst.title,
        )
        log_.last_number = int(c["number"]) - 1
        log_.record(ch)
    log_.last_number = max(log_.last_number, int(raw.get("last_number", 0)))


def load_tenant(path: str | Path, *, tenant_cls: type[Tenant], **opts: Any) -> Tenant:
    """Read a tenant YAML file."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TenantFormatError(f"{p}: cannot read tenant file: {exc}") from exc
    tenant = tenant_from_dict(data, tenant_cls=tenant_cls, source=str(p), **opts)
    log.info("loaded tenant %s from %s (%d sites)", tenant.name, p, len(tenant.sites))
    return tenant
