"""Reads back the rows the service keeps on a hub list (the auditors' record of findings)."""

from __future__ import annotations

from typing import Any

from c3po_sync.m365.errors import ListNotFoundError
from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.list_dedupe import KeyedItems
from c3po_sync.sinks.base import ListSpec


def read_list_rows(conn: SiteConnection, spec: ListSpec, page_size: int = 5000) -> list[dict]:
    """Every keyed item's owned values (one per key, the lowest Id); [] when the list is absent.

    Person columns come back as their ``<Name>Id``; everything else as SharePoint sends it.
    """
    owned = {c.internal_name: c for c in spec.owned_columns}
    items = KeyedItems(conn, spec, owned, page_size=page_size)
    try:
        found = items.read_all()
    except ListNotFoundError:
        return []
    rows: list[dict[str, Any]] = []
    for key, versions in sorted(found.items()):
        rows.append({**versions[0].values, spec.key_column: key})
    return rows
