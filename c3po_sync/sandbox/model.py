"""HTTP-free state of the SharePoint sandbox: tenant, sites, lists, fields, items and the change log."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from c3po_sync.sandbox.errors import (
    BadRequest,
    FieldNotFound,
    ItemNotFound,
    ListAlreadyExists,
    ListNotFound,
    UserNotFound,
    VersionConflict,
)
from c3po_sync.sandbox.model_changes import (
    SCOPE_LIST,
    SCOPE_SITE,
    Change,
    ChangeLog,
    make_token,
)
from c3po_sync.sandbox.model_entity import find_property, item_entity
from c3po_sync.sandbox.model_fields import (
    FIELD_TYPE_KIND,
    SYSTEM_NAMES,
    Field,
    FieldKind,
    builtin_fields,
    convert_write,
    decode_internal_name,
    encode_internal_name,
)
from c3po_sync.sandbox.model_files import FileBlob, SiteFilesMixin
from c3po_sync.sandbox.model_query import caml_query, query_items

__all__ = [
    "FIELD_TYPE_KIND",
    "Change",
    "Field",
    "FieldKind",
    "FileBlob",
    "Item",
    "SPList",
    "Site",
    "Tenant",
    "User",
]

SANDBOX_NS = uuid.UUID("0c3b0a5e-2f7d-4b8e-9a61-3c5f1d2e4b70")
MEMBERSHIP = "i:0#.f|membership|"
APP_USER_ID = 1073741822


def stable_guid(*parts: str) -> str:
    """Deterministic GUID for fixtures that give none, so URLs and tokens are stable across runs."""
    return str(uuid.uuid5(SANDBOX_NS, "|".join(p.lower() for p in parts)))


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class User:
    id: int
    login_name: str
    title: str
    email: str
    job_title: str | None = None
    department: str | None = None


@dataclass
class Item:
    id: int
    values: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    created: datetime | None = None
    modified: datetime | None = None
    author_id: int | None = None
    editor_id: int | None = None
    guid: str = ""
    fs_obj_type: int = 0
    file_ref: str = ""
    file: FileBlob | None = None

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def check_etag(item: Item, if_match: str | None) -> None:
    """Compare an IF-MATCH header with the item version; `*` and None skip the check."""
    if if_match is None or if_match.strip() in ("", "*"):
        return
    tag = if_match.strip().removeprefix("W/").strip('"')
    if tag.split(",")[0] != str(item.version):
        raise VersionConflict()


class SPList:
    """A list or document library; items are kept in a dict in id order."""

    view_threshold = 5000

    def __init__(
        self,
        site: Site,
        title: str,
        base_template: int = 100,
        *,
        url: str | None = None,
        id: str | None = None,
        description: str = "",
    ) -> None:
        self.site = site
        self.title = title
        self.base_template = base_template
        self.description = description
        if url is None:
            url = title if base_template == 101 else "Lists/" + title.replace(" ", "")
        self.url = url.strip("/")
        self.root_folder = f"{site.server_relative_url.rstrip('/')}/{self.url}"
        self.id = (id or stable_guid(site.server_relative_url, "list", title)).lower()
        self.fields: list[Field] = builtin_fields(self.is_library)
        self.items: dict[int, Item] = {}
        self.next_id = 1
        self.created = site.tenant.now()

    @property
    def is_library(self) -> bool:
        return self.base_template == 101

    @property
    def entity_type_name(self) -> str:
        leaf = self.url.rsplit("/", 1)[-1]
        name = encode_internal_name(leaf.replace("_", "\x00")).replace("_x0000_", "_x005f_")
        return name if self.is_library else name + "List"

    @property
    def list_item_entity_type_full_name(self) -> str:
        return f"SP.Data.{self.entity_type_name}Item"

    @property
    def api_uri(self) -> str:
        return f"{self.site.api_url}/Web/Lists(guid'{self.id}')"

    @property
    def last_item_modified(self) -> datetime:
        return max((it.modified for it in self.items.values() if it.modified), default=self.created)

    def field(self, name: str) -> Field:
        """By internal name or title, case-insensitive; FieldNotFound otherwise."""
        low = name.lower()
        for fld in self.fields:
            if fld.internal_name.lower() == low:
                return fld
        for fld in self.fields:
            if fld.title.lower() == low:
                return fld
        raise FieldNotFound(
            f"Column '{name}' does not exist. It may have been deleted by another user.  "
            f"/{self.root_folder.lstrip('/')}"
        )

    def add_field(
        self, title: str, kind: str, *, internal_name: str | None = None, **opts: Any
    ) -> Field:
        """Create a custom column; the internal name is derived from the title as SharePoint does."""
        if kind not in FIELD_TYPE_KIND:
            raise BadRequest(
                f"Field kind '{kind}' is not supported; use one of {sorted(FIELD_TYPE_KIND)}."
            )
        name = internal_name or encode_internal_name(title)
        base, n = name, 0
        while any(f.internal_name.lower() == name.lower() for f in self.fields):
            n += 1
            name = f"{base}{n}"
        fld = Field(
            stable_guid(self.id, "field", name),
            name,
            title or decode_internal_name(name),
            kind,
            **opts,
        )
        self.fields.append(fld)
        return fld

    # -- items -------------------------------------------------------------------------------------

    def get_item(self, id: int) -> Item:
        try:
            return self.items[int(id)]
        except (KeyError, ValueError):
            raise ItemNotFound() from None

    def _convert(self, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Split a write body into (column values, system values), both canonical."""
        out: dict[str, Any] = {}
        system: dict[str, Any] = {}
        tz = self.site.time_zone
        for prop, value in values.items():
            if prop == "__metadata":
                continue
            found = find_property(self, prop)
            if found is None:
                raise BadRequest(
                    f"The property '{prop}' does not exist on type '{self.list_item_entity_type_full_name}'. "
                    "Make sure to only use property names that are defined by the type."
                )
            fld, role = found
            if role == "stringid":
                value = (
                    [int(v) for v in value.get("results", [])] if isinstance(value, dict) else value
                )
            canon = convert_write(fld, prop, value, tz)
            if (
                fld.kind == "TaxonomyFieldType"
                and canon is not None
                and canon["WssId"] in (-1, None)
            ):
                wss = self.site.wss_ids
                canon["WssId"] = wss.setdefault(str(canon["TermGuid"]).lower(), len(wss) + 1)
            if fld.kind in ("User", "UserMulti") and canon is not None:
                for uid in canon if isinstance(canon, list) else [canon]:
                    if uid not in self.site.tenant.users:
                        raise BadRequest("The user does not exist or is not unique.")
            if fld.internal_name in ("Created", "Modified", "Author", "Editor"):
                system[fld.internal_name] = canon
            elif fld.internal_name in SYSTEM_NAMES:
                if fld.internal_name == "FileLeafRef" and isinstance(canon, str):
                    system["FileLeafRef"] = canon
                continue  # SharePoint ignores writes to computed columns
            else:
                out[fld.internal_name] = canon
        return out, system

    def _apply_system(self, item: Item, system: dict[str, Any]) -> None:
        if system.get("Created"):
            item.created = _parse_wire(system["Created"])
        if system.get("Modified"):
            item.modified = _parse_wire(system["Modified"])
        if system.get("Author"):
            item.author_id = system["Author"]
        if system.get("Editor"):
            item.editor_id = system["Editor"]

    def add_item(
        self,
        values: dict[str, Any],
        *,
        editor: User | None = None,
        fs_obj_type: int = 0,
        file_ref: str | None = None,
        record: bool = True,
    ) -> Item:
        """Create an item from a wire write body; records an Add change."""
        vals, system = self._convert(values)
        now = self.site.tenant.now()
        uid = (editor or self.site.tenant.app_user).id
        item_id = self.next_id
        self.next_id += 1
        item = Item(
            item_id,
            vals,
            1,
            now,
            now,
            uid,
            uid,
            stable_guid(self.id, "item", str(item_id)),
            fs_obj_type,
        )
        item.file_ref = file_ref or f"{self.root_folder}/{item_id}_.000"
        self._apply_system(item, system)
        self.items[item_id] = item
        if record:
            self.site.record_change(self, item, 1)
        return item

    def update_item(
        self,
        id: int,
        values: dict[str, Any],
        *,
        if_match: str | None = None,
        editor: User | None = None,
    ) -> Item:
        """MERGE semantics: only the given properties change; bumps the version and records Update."""
        item = self.get_item(id)
        check_etag(item, if_match)
        vals, system = self._convert(values)
        item.values.update(vals)
        item.version += 1
        item.modified = self.site.tenant.now()
        item.editor_id = (editor or self.site.tenant.app_user).id
        self._apply_system(item, system)
        self.site.record_change(self, item, 2)
        return item

    def delete_item(self, id: int, *, if_match: str | None = None) -> None:
        """Delete (or recycle) an item and, for a folder, everything under it."""
        item = self.get_item(id)
        check_etag(item, if_match)
        doomed = [item]
        if item.fs_obj_type == 1:
            prefix = item.file_ref.lower() + "/"
            doomed += [it for it in self.items.values() if it.file_ref.lower().startswith(prefix)]
        for it in doomed:
            del self.items[it.id]
            if it.file is not None:
                self.site.forget_file(it.file.unique_id)
            self.site.record_change(self, it, 3)

    def item_entity(
        self, item: Item, select: list[str] | None = None, expand: list[str] | None = None
    ) -> dict:
        return item_entity(self, item, select, expand)

    def query_items(self, **kwargs: Any) -> tuple[list[Item], int | None]:
        return query_items(self, **kwargs)

    def caml_query(
        self,
        view_xml: str,
        paging_info: str | None = None,
        folder_server_relative_url: str | None = None,
    ) -> tuple[list[Item], str | None]:
        return caml_query(self, view_xml, paging_info, folder_server_relative_url)

    # -- changes -----------------------------------------------------------------------------------

    def current_change_token(self) -> str:
        return make_token(
            SCOPE_LIST, self.id, self.site.tenant.now(), self.site.change_log.last_number
        )

    def get_changes(
        self,
        token_start: str | None = None,
        token_end: str | None = None,
        fetch_limit: int = 1000,
        kinds: set[str] | None = None,
    ) -> list[Change]:
        return self.site.change_log.query(
            scope=SCOPE_LIST,
            scope_guid=self.id,
            list_id=self.id,
            token_start=token_start,
            token_end=token_end,
            fetch_limit=min(fetch_limit or 1000, 2000),
            kinds=kinds,
        )


def _parse_wire(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


class Site(SiteFilesMixin):
    """A site collection with one web; lists by lower-case title."""

    def __init__(
        self,
        tenant: Tenant,
        server_relative_url: str,
        title: str = "",
        *,
        time_zone: str | None = None,
        id: str | None = None,
        web_id: str | None = None,
    ) -> None:
        self.tenant = tenant
        self.server_relative_url = "/" + server_relative_url.strip("/")
        self.title = title or self.server_relative_url.rsplit("/", 1)[-1]
        self.time_zone = time_zone or tenant.time_zone
        self.id = (id or stable_guid(self.server_relative_url, "site")).lower()
        self.web_id = (web_id or stable_guid(self.server_relative_url, "web")).lower()
        self.lists: dict[str, SPList] = {}
        self.change_log = ChangeLog(tenant.change_retention)
        self.upload_sessions: dict[str, tuple[str, bytearray]] = {}
        self._files_by_unique: dict[str, tuple[str, int]] = {}
        self.wss_ids: dict[str, int] = {}  # TaxonomyHiddenList ids by term GUID

    @property
    def absolute_url(self) -> str:
        return self.tenant.origin.rstrip("/") + self.server_relative_url

    @property
    def api_url(self) -> str:
        return self.absolute_url + "/_api"

    @property
    def users(self) -> dict[int, User]:
        return self.tenant.users

    def list_by_title(self, title: str) -> SPList:
        lst = self.lists.get(title.lower())
        if lst is None:
            raise ListNotFound(
                f"List '{title}' does not exist at site with URL '{self.absolute_url}'."
            )
        return lst

    def list_by_id(self, guid: str) -> SPList:
        key = guid.strip("{}").lower()
        for lst in self.lists.values():
            if lst.id == key:
                return lst
        raise ListNotFound(f"List '{guid}' does not exist at site with URL '{self.absolute_url}'.")

    def create_list(
        self,
        title: str,
        base_template: int = 100,
        description: str = "",
        *,
        url: str | None = None,
        id: str | None = None,
    ) -> SPList:
        if title.lower() in self.lists:
            raise ListAlreadyExists()
        lst = SPList(self, title, base_template, url=url, id=id, description=description)
        self.lists[title.lower()] = lst
        return lst

    def ensure_user(self, login_or_email: str) -> User:
        """The tenant user for an e-mail or claims login (`i:0#.f|membership|x@y`)."""
        return self.tenant.user_by_login(login_or_email)

    def record_change(self, lst: SPList, item: Item, change_type: int) -> Change:
        unique = item.file.unique_id if item.file is not None else None
        change = Change(
            change_type,
            item.id,
            lst.id,
            self.web_id,
            self.id,
            self.tenant.now(),
            0,
            unique_id=unique,
            server_relative_url=item.file_ref,
        )
        return self.change_log.record(change)

    def current_change_token(self) -> str:
        return make_token(SCOPE_SITE, self.id, self.tenant.now(), self.change_log.last_number)

    def get_changes(
        self,
        token_start: str | None = None,
        token_end: str | None = None,
        fetch_limit: int = 1000,
        kinds: set[str] | None = None,
        *,
        scope: int = SCOPE_SITE,
    ) -> list[Change]:
        """Site (scope 1) or web (scope 2) changes of all lists."""
        guid = self.id if scope == SCOPE_SITE else self.web_id
        return self.change_log.query(
            scope=scope,
            scope_guid=guid,
            also_accept={self.id, self.web_id},
            list_id=None,
            token_start=token_start,
            token_end=token_end,
            fetch_limit=min(fetch_limit or 1000, 2000),
            kinds=kinds,
        )


class Tenant:
    """Root of the sandbox state; the HTTP layer holds `lock` around each request."""

    def __init__(
        self,
        name: str = "sandbox",
        *,
        time_zone: str = "UTC",
        origin: str | None = None,
        clock: Callable[[], datetime] | None = None,
        change_retention: int = 50_000,
    ) -> None:
        self.name = name
        self.time_zone = time_zone
        self.origin = origin or f"https://{name}.sharepoint.com"
        self.clock = clock or utc_now
        self.change_retention = change_retention
        self.users: dict[int, User] = {}
        self.sites: dict[str, Site] = {}
        self.lock = threading.RLock()
        self.app_user = User(APP_USER_ID, "i:0i.t|ms.sp.ext|c3po-sandbox-app", "SharePoint App", "")
        self.users[APP_USER_ID] = self.app_user

    def now(self) -> datetime:
        return self.clock().astimezone(UTC).replace(microsecond=0)

    def add_user(
        self, email: str, title: str = "", *, login: str | None = None, id: int | None = None
    ) -> User:
        if id is None:
            id = max([u for u in self.users if u != APP_USER_ID] + [9]) + 1
        user = User(id, login or MEMBERSHIP + email.lower(), title or email.split("@")[0], email)
        self.users[id] = user
        return user

    def user_by_login(self, login_or_email: str) -> User:
        key = login_or_email.strip().lower()
        bare = key.rsplit("|", 1)[-1]
        for user in self.users.values():
            if key in (user.login_name.lower(), user.email.lower()) or (
                bare and bare == user.email.lower()
            ):
                return user
        raise UserNotFound()

    def add_site(self, server_relative_url: str, title: str = "", **opts: Any) -> Site:
        site = Site(self, server_relative_url, title, **opts)
        self.sites[site.server_relative_url.lower()] = site
        return site

    def site_for_path(self, path: str) -> tuple[Site, str]:
        """The site whose URL is the longest prefix of a request path, and the rest of the path."""
        low = "/" + path.lstrip("/").lower()
        best: Site | None = None
        for url, site in self.sites.items():
            if (low == url or low.startswith(url.rstrip("/") + "/")) and (
                best is None or len(url) > len(best.server_relative_url)
            ):
                best = site
        if best is None:
            raise ListNotFound(f"No site at '{path}'; sites: {', '.join(sorted(self.sites))}.")
        return best, path.lstrip("/")[len(best.server_relative_url.lstrip("/")) :]

    @classmethod
    def from_dict(cls, data: dict, **opts: Any) -> Tenant:
        from c3po_sync.sandbox.tenant_file import tenant_from_dict

        return tenant_from_dict(data, **opts)

    @classmethod
    def from_file(cls, path: str | Path, **opts: Any) -> Tenant:
        from c3po_sync.sandbox.tenant_file import load_tenant

        return load_tenant(path, **opts)

    def to_dict(self) -> dict:
        from c3po_sync.sandbox.tenant_file import tenant_to_dict

        return tenant_to_dict(self)

    def save(self, path: str | Path) -> None:
        from c3po_sync.sandbox.tenant_file import save_tenant

        save_tenant(self, path)
