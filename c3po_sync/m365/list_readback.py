"""Reads back the rows the service keeps on a hub list (the auditors' record of findings)."""

from __future__ import annotations

from typing import Any

from c3po_sync.m365.errors import ListNotFoundError
from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.list_dedupe import KeyedItems
from c3po_sync.m365.people import PeopleResolver
from c3po_sync.sinks.base import ListSpec


def read_list_rows(conn: SiteConnection, spec: ListSpec, page_size: int = 5000) -> list[dict]:
    """Every keyed item's owned values (one per key, the lowest Id); [] when the list is absent.

    Person columns come back as the e-mail they were written from (the site user's e-mail; a
    user id the site no longer lists stays its id); everything else as SharePoint sends it.
    """
    owned = {c.internal_name: c for c in spec.owned_columns}
    items = KeyedItems(conn, spec, owned, page_size=page_size)
    try:
        found = items.read_all()
    except ListNotFoundError:
        return []
    people = [n for n, c in owned.items() if c.kind == "User"]
    emails = PeopleResolver(conn).emails_by_id() if people and found else {}
    rows: list[dict[str, Any]] = []
    for key, versions in sorted(found.items()):
        row = {**versions[0].values, spec.key_column: key}
        for n in people:
            if isinstance(row.get(n), int):
                row[n] = emails.get(row[n], row[n])
        rows.append(row)
    return rows
