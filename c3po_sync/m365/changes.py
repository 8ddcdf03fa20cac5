"""Change-log helpers for incremental reads: a list's current token and item ids changed since."""

from __future__ import annotations

from dataclasses import dataclass, field

from c3po_sync.m365.http import SiteConnection, list_path
from c3po_sync.m365.odata import item_results

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
