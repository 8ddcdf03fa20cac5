"""Change-log helpers for incremental reads: a list's current token and item ids changed since."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from c3po_sync.m365.errors import SharePointRequestError
from c3po_sync.m365.http import SiteConnection, list_path
from c3po_sync.m365.odata import item_results
from c3po_sync.m365.read_batch import prefetch
from c3po_sync.sources.incremental import (
    ChangeTokenExpiredError,
    ListChanges,
    PrefetchableSource,
    PrefetchPlan,
    SiteChanges,
)

ADD, UPDATE, DELETE, RESTORE, SYSTEM_UPDATE = 1, 2, 3, 7, 15
MAX_FETCH_LIMIT = 2000


@dataclass
class ChangeSet:
    """Item ids to re-read and ids deleted since a token, plus the token to start from next time."""

    token: str
    changed_ids: set[int] = field(default_factory=set)
    deleted_ids: set[int] = field(default_factory=set)


def current_change_token(conn: SiteConnection, list_title: str) -> str:
    """The list's ``CurrentChangeToken``: take it *before* a full read, start from it next time."""
    d = conn.get_json(
        conn.api(f"{list_path(list_title)}?$select=CurrentChangeToken"),
        route=f"change token of '{list_title}'",
    )
    token = d.get("CurrentChangeToken") if isinstance(d, dict) else None
    return str(token.get("StringValue") if isinstance(token, dict) else token)


def changes_since(
    conn: SiteConnection, list_title: str, token: str, *, fetch_limit: int = 1000
) -> ChangeSet:
    """Item changes after ``token``, paged by the last change's token until a short page.

    The change log carries ids only; the caller re-reads ``changed_ids``. An item added and
    deleted in the window ends up in ``deleted_ids`` only.
    """
    fetch_limit = min(fetch_limit, MAX_FETCH_LIMIT)
    url = conn.api(f"{list_path(list_title)}/getChanges")
    result = ChangeSet(token=token)
    while True:
        query = {
            "__metadata": {"type": "SP.ChangeQuery"},
            "Item": True,
            "Add": True,
            "Update": True,
            "SystemUpdate": True,
            "DeleteObject": True,
            "Restore": True,
            "FetchLimit": fetch_limit,
            "ChangeTokenStart": {
                "__metadata": {"type": "SP.ChangeToken"},
                "StringValue": result.token,
            },
        }
        rows = item_results(
            conn.post_json(url, {"query": query}, route=f"changes of '{list_title}'")
        )
        for change in rows:
            item_id = change.get("ItemId")
            if item_id is None:
                continue
            kind = int(change.get("ChangeType", 0))
            if kind == DELETE:
                result.changed_ids.discard(int(item_id))
                result.deleted_ids.add(int(item_id))
            elif kind in (ADD, UPDATE, RESTORE, SYSTEM_UPDATE):
                result.deleted_ids.discard(int(item_id))
                result.changed_ids.add(int(item_id))
        if rows:
            last = rows[-1].get("ChangeToken") or {}
            result.token = str(last.get("StringValue", result.token))
        if len(rows) < fetch_limit:
            return result


# ---- site scope: one request per site tells what changed in all its lists ---------------------

RENAME, MOVE_AWAY, MOVE_INTO = 4, 5, 6
_ITEM_CHANGED = (ADD, UPDATE, RENAME, MOVE_AWAY, MOVE_INTO, RESTORE, SYSTEM_UPDATE)


def site_change_query(token: str, fetch_limit: int) -> dict[str, Any]:
    """An SP.ChangeQuery for item adds/updates/deletes plus list and field (schema) changes."""
    return {
        "__metadata": {"type": "SP.ChangeQuery"},
        "Item": True,
        "List": True,
        "Field": True,
        "Add": True,
        "Update": True,
        "SystemUpdate": True,
        "DeleteObject": True,
        "Rename": True,
        "Move": True,
        "Restore": True,
        "FetchLimit": fetch_limit,
        "ChangeTokenStart": {"__metadata": {"type": "SP.ChangeToken"}, "StringValue": token},
    }


def classify(rows: list[dict[str, Any]], into: SiteChanges) -> None:
    """Folds change rows (in log order) into per-list item ids and schema-change flags."""
    for change in rows:
        kind_name = str((change.get("__metadata") or {}).get("type", ""))
        list_id = str(change.get("ListId") or "").strip("{}").lower()
        kind = int(change.get("ChangeType", 0))
        if change.get("ItemId") is not None and "ChangeItem" in (kind_name or "SP.ChangeItem"):
            if kind == DELETE or kind in _ITEM_CHANGED:
                into.lists.setdefault(list_id, ListChanges()).add(
                    int(change["ItemId"]), deleted=kind == DELETE
                )
                into.item_rows[list_id] = into.item_rows.get(list_id, 0) + 1
        elif "ChangeField" in kind_name:
            if list_id:
                into.schema_changed.add(list_id)
            else:
                into.all_schemas_changed = True  # SP.ChangeField names no list
        elif list_id:
            into.schema_changed.add(list_id)  # SP.ChangeList: renamed, deleted, settings


class SiteChangeFeed:
    """The change log of a site collection: one POST per ``fetch_limit`` changes.

    An idle site costs exactly one request. A refused token (HTTP 400, SharePoint's
    ``SPInvalidChangeTokenException`` or the sandbox's ``ChangeTokenInvalid``) becomes
    ``ChangeTokenExpiredError`` so the caller falls back to a full read.
    """

    def __init__(self, conn: SiteConnection, fetch_limit: int = MAX_FETCH_LIMIT) -> None:
        self.conn = conn
        self.fetch_limit = min(fetch_limit, MAX_FETCH_LIMIT)

    def current_token(self) -> str:
        d = self.conn.get_json(self.token_url(), route="site change token")
        token = d.get("CurrentChangeToken") if isinstance(d, dict) else None
        return str(token.get("StringValue") if isinstance(token, dict) else token)

    def token_url(self) -> str:
        return self.conn.api("site?$select=CurrentChangeToken")

    def prefetch(self, plans: list[PrefetchPlan], *, token: bool) -> None:
        """Sends the site token GET (if asked) and the GETs the sources will start with in one
        ``$batch``; the readers' own ``get_json`` calls are then answered from it.

        Each source names its GETs with ``prefetch_urls(plan)``; shared ones (site users, time
        zone) with ``shared_urls()``.
        """
        urls = [self.token_url()] if token else []
        shared: set[str] = set()
        for plan in plans:
            if isinstance(plan.source, PrefetchableSource):
                urls.extend(plan.source.prefetch_urls(plan))
                shared.update(plan.source.shared_urls())
        prefetch(self.conn, urls, shared=shared)

    def discard_prefetched(self) -> None:
        self.conn.discard_prefetched()

    @staticmethod
    def token_time(token: str) -> datetime | None:
        """When ``token`` was taken (read from the token itself), for the age check."""
        return change_token_time(token)

    def changes_since(self, token: str) -> SiteChanges:
        result = SiteChanges(token=token)
        url = self.conn.api("site/getChanges")
        while True:
            body = {"query": site_change_query(result.token, self.fetch_limit)}
            try:
                d = self.conn.post_json(url, body, route="site changes")
            except SharePointRequestError as exc:
                if exc.status == 400 and _is_token_error(exc):
                    raise ChangeTokenExpiredError(f"{self.conn.site_path}: {exc.message}") from exc
                raise
            rows = item_results(d)
            classify(rows, result)
            if rows:
                last = rows[-1].get("ChangeToken") or {}
                result.token = str(last.get("StringValue", result.token))
            if len(rows) < self.fetch_limit:
                return result


_TICKS_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


def change_token_time(token: str) -> datetime | None:
    """When a change token was taken: its 4th field is .NET ticks (100 ns since 0001-01-01 UTC),
    e.g. ``1;3;<list guid>;638011601253170000;699157333`` (recorded in
    fixtures/sharepoint-recorded/PnP.Core.Test/.../HandleBatchErrorsForLargeBatch-0-00003).

    None when the token is not in that form.
    """
    parts = (token or "").split(";")
    try:
        ticks = int(parts[3])
    except (IndexError, ValueError):
        return None
    try:
        return _TICKS_EPOCH + timedelta(microseconds=ticks // 10)
    except OverflowError:
        return None


def _is_token_error(exc: SharePointRequestError) -> bool:
    text = f"{exc.code} {exc.message}".lower()
    return "changetoken" in text.replace(" ", "") or "change token" in text
