"""HTTP-free state of the SharePoint sandbox: tenant, users, sites and their change logs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from c3po_sync.sandbox.errors import BadRequest, ListAlreadyExists, ListNotFound, UserNotFound
from c3po_sync.sandbox.model_changes import (
    CHANGE_LOG_DAYS,
    SCOPE_SITE,
    Change,
    ChangeLog,
    make_token,
)
from c3po_sync.sandbox.model_fields import FIELD_TYPE_KIND, Field, FieldKind
from c3po_sync.sandbox.model_files import FileBlob, SiteFilesMixin
from c3po_sync.sandbox.model_ids import APP_USER_ID, SANDBOX_NS, stable_guid
from c3po_sync.sandbox.model_list import Item, SPList, check_etag
from c3po_sync.sandbox.tenant_file import load_tenant, tenant_from_dict
from c3po_sync.sandbox.tenant_save import save_tenant, tenant_to_dict

__all__ = [
    "APP_USER_ID",
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
    "SANDBOX_NS",
    "check_etag",
    "stable_guid",
]

MEMBERSHIP = "i:0#.f|membership|"


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
        self.change_log = ChangeLog(
            tenant.change_retention, clock=tenant.now, max_age_days=tenant.change_log_days
        )
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
        record: bool = True,
    ) -> SPList:
        if title.lower() in self.lists:
            raise ListAlreadyExists()
        lst = SPList(self, title, base_template, url=url, id=id, description=description)
        self.lists[title.lower()] = lst
        if record:
            self.record_schema_change("list", 1, lst)
        return lst

    def rename_list(self, lst: SPList, title: str) -> SPList:
        """A new list title (its URL stays), logged as an SP.ChangeList Update."""
        if not title.strip():
            raise BadRequest("The list title cannot be empty.")
        if title.lower() != lst.title.lower() and title.lower() in self.lists:
            raise ListAlreadyExists()
        del self.lists[lst.title.lower()]
        lst.title = title
        self.lists[title.lower()] = lst
        self.record_schema_change("list", 2, lst)
        return lst

    def delete_list(self, lst: SPList) -> None:
        """Removes a list, logged as an SP.ChangeList DeleteObject."""
        self.lists.pop(lst.title.lower(), None)
        self.record_schema_change("list", 3, lst)

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

    def record_schema_change(
        self, kind: str, change_type: int, lst: SPList, field_id: str | None = None
    ) -> Change:
        """An SP.ChangeList (list added, renamed, deleted) or SP.ChangeField (column added,
        updated, deleted) entry, as SharePoint logs them for `List`/`Field` change queries."""
        change = Change(
            change_type,
            0,
            lst.id,
            self.web_id,
            self.id,
            self.tenant.now(),
            0,
            kind=kind,
            field_id=field_id,
            title=lst.title,
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
        objects: set[str] | None = None,
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
            objects=objects,
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
        change_log_days: float = CHANGE_LOG_DAYS,
    ) -> None:
        self.name = name
        self.time_zone = time_zone
        self.origin = origin or f"https://{name}.sharepoint.com"
        self.clock = clock or utc_now
        self.clock_offset = timedelta(0)
        self.change_retention = change_retention
        self.change_log_days = change_log_days  # default for sites created after this
        self.users: dict[int, User] = {}
        # lower-case login name and e-mail -> user id (users are never removed)
        self._user_index: dict[str, int] = {}
        self._next_user_id = 10
        self.sites: dict[str, Site] = {}
        self.lock = threading.RLock()
        self.app_user = User(APP_USER_ID, "i:0i.t|ms.sp.ext|c3po-sandbox-app", "SharePoint App", "")
        self.users[APP_USER_ID] = self.app_user
        self._index_user(self.app_user)

    def now(self) -> datetime:
        return (self.clock() + self.clock_offset).astimezone(UTC).replace(microsecond=0)

    def advance_clock(self, delta: timedelta) -> None:
        """Move the sandbox's time forward (tests: age change tokens, items, sessions)."""
        self.clock_offset += delta

    def add_user(
        self, email: str, title: str = "", *, login: str | None = None, id: int | None = None
    ) -> User:
        if id is None:
            while self._next_user_id in self.users:
                self._next_user_id += 1
            id = self._next_user_id
        user = User(id, login or MEMBERSHIP + email.lower(), title or email.split("@")[0], email)
        self.users[id] = user
        if id != APP_USER_ID:
            self._next_user_id = max(self._next_user_id, id + 1)
        self._index_user(user)
        return user

    def _index_user(self, user: User) -> None:
        for key in (user.login_name.lower(), user.email.lower()):
            if key:
                self._user_index.setdefault(key, user.id)

    def user_by_login(self, login_or_email: str) -> User:
        """The user for an e-mail, a login, or a claims login ending in an e-mail."""
        key = login_or_email.strip().lower()
        bare = key.rsplit("|", 1)[-1]
        for candidate in (key, bare):
            user = self.users.get(self._user_index.get(candidate, -1))
            if user is not None:
                return user
        # A miss scans, so users put into `users` directly (some tests do) are still found.
        for user in self.users.values():
            if key in (user.login_name.lower(), user.email.lower()) or (
                bare and bare == user.email.lower()
            ):
                self._index_user(user)
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
        return tenant_from_dict(data, tenant_cls=cls, **opts)

    @classmethod
    def from_file(cls, path: str | Path, **opts: Any) -> Tenant:
        return load_tenant(path, tenant_cls=cls, **opts)

    def to_dict(self) -> dict:
        return tenant_to_dict(self)

    def save(self, path: str | Path) -> None:
        save_tenant(self, path)
