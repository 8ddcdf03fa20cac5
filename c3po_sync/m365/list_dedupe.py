"""Reads a list's items by business key for the writer, and heals keys that are on several items."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from c3po_sync.m365.errors import SharePointRequestError
from c3po_sync.m365.http import SiteConnection, list_path
from c3po_sync.m365.list_reader import iter_pages
from c3po_sync.m365.odata import etag_of, item_id_of, unwrap
from c3po_sync.sinks.base import ColumnSpec, ListSpec

logger = logging.getLogger(__name__)

KEYS_PER_FILTER = 20  # `Key eq '..' or ...` terms per re-read request (URL length)
MAX_PAGES = 1000


@dataclass
class ExistingItem:
    """One list item as the writer needs it: id, ETag, owned values and who touched it."""

    item_id: int
    etag: str | None
    values: dict[str, Any]  # owned column internal name -> value
    notes: bool = False  # a column the service does not own has a value
    author: Any = None
    editor: Any = None

    @property
    def touched(self) -> bool:
        """A person put something in it: a note, or an edit by someone other than its author."""
        return self.notes or self.editor != self.author


class DuplicateLog(Protocol):
    """Where ``dedupe`` records what it healed (``SharePointWriteReport`` is one)."""

    recycled: dict[str, list[int]]  # key -> extra ids recycled (or that a dry run would)
    duplicates: dict[str, list[int]]  # key -> extra ids a person touched, left alone


class KeyedItems:
    """The items of one list by key: one full paged read, then re-reads of a few keys."""

    def __init__(
        self,
        conn: SiteConnection,
        spec: ListSpec,
        owned: dict[str, ColumnSpec],
        *,
        page_size: int = 5000,
    ) -> None:
        self.conn = conn
        self.spec = spec
        self.owned = owned
        self.page_size = page_size
        self._humans = [c.wire_name for c in spec.columns if c.internal_name not in owned]
        select = ",".join(
            ["Id", "AuthorId", "EditorId", *(c.wire_name for c in owned.values()), *self._humans]
        )
        self._items = f"{list_path(spec.title)}/items?$select={select}&$top={page_size}"
        # The items' ``__metadata.type`` is the list's ListItemEntityTypeFullName, the type a
        # write body names (SHAREPOINT.md 2.3 and 5.1: "SP.Data.TasksListItem" in both): a
        # list read for its items need not be asked for it again.
        self.entity_type: str | None = None

    def read_all(self) -> dict[str, list[ExistingItem]]:
        """Every item with a key, in ID order per key (one paged read, by ID)."""
        found: dict[str, list[ExistingItem]] = {}
        self._fetch(self._items + "&$orderby=ID", f"items of '{self.spec.title}'", found)
        return _sorted(found)

    def read_keys(self, keys: set[str], pages: int) -> dict[str, list[ExistingItem]]:
        """The items of ``keys`` now: filtered by the (indexed) key, or one full paged read.

        Filtering costs one request per ``KEYS_PER_FILTER`` keys; a full read ``pages``
        requests. The cheaper one is used.
        """
        if math.ceil(len(keys) / KEYS_PER_FILTER) > pages:
            return {k: v for k, v in self.read_all().items() if k in keys}
        key_wire = self.owned[self.spec.key_column].wire_name
        ordered = sorted(keys)
        found: dict[str, list[ExistingItem]] = {}
        for i in range(0, len(ordered), KEYS_PER_FILTER):
            terms = " or ".join(
                f"{key_wire} eq {odata_literal(k)}" for k in ordered[i : i + KEYS_PER_FILTER]
            )
            url = f"{self._items}&$filter={quote(terms, safe='')}"
            self._fetch(url, f"items of '{self.spec.title}' by key", found)
        # `eq` ignores case on SharePoint: an item keyed "p1" answers a filter for "P1".
        return {k: v for k, v in _sorted(found).items() if k in keys}

    def dedupe(
        self, found: dict[str, list[ExistingItem]], log: DuplicateLog, *, dry_run: bool
    ) -> dict[str, ExistingItem]:
        """One item per key. Extra items a lost batch answer or a killed run left are recycled
        when only the service ever wrote them; an item a person touched is kept and reported.

        The kept item is the lowest Id a person touched, else the lowest Id. An extra item is
        the service's own duplicate when it has no value in a non-owned column and was
        created and last edited by the kept item's author (the service never edits extras).
        Recycled items stay restorable from the site's recycle bin. An item already in
        ``log`` (a re-read after a lost answer finds it again) is neither logged nor counted
        twice.
        """
        existing: dict[str, ExistingItem] = {}
        for key, items in found.items():
            keep = next((e for e in items if e.touched), items[0])
            existing[key] = keep
            extras = [e for e in items if e is not keep]
            ours = [
                e.item_id
                for e in extras
                if not e.touched and e.author is not None and e.author == keep.author
            ]
            theirs = [e.item_id for e in extras if e.item_id not in ours]
            recycle = _add_new(log.recycled, key, ours)
            if recycle:
                for item_id in [] if dry_run else recycle:
                    self._recycle(item_id)
                logger.warning(
                    "%s/%s: key %r was also on items %s that only this service wrote; %s them "
                    "(kept item %d)",
                    self.conn.site_path,
                    self.spec.title,
                    key,
                    recycle,
                    "would recycle" if dry_run else "recycled",
                    keep.item_id,
                )
            if left := _add_new(log.duplicates, key, theirs):
                logger.warning(
                    "%s/%s: key %r is also on items %s that a person edited; kept item %d, "
                    "the others are left alone",
                    self.conn.site_path,
                    self.spec.title,
                    key,
                    left,
                    keep.item_id,
                )
        return existing

    def _recycle(self, item_id: int) -> None:
        """Recycles an extra item; one already gone (a retry after a lost answer, or a person
        deleted it meanwhile) is what was wanted, not an error."""
        try:
            self.conn.send(
                "POST",
                self.conn.api(f"{list_path(self.spec.title)}/items({item_id})/recycle"),
                route=f"recycle item {item_id} of '{self.spec.title}'",
            )
        except SharePointRequestError as exc:
            if exc.status != 404:
                raise
            logger.info(
                "%s/%s: item %d was already gone when recycled",
                self.conn.site_path,
                self.spec.title,
                item_id,
            )

    def _fetch(self, url: str, route: str, into: dict[str, list[ExistingItem]]) -> None:
        """Adds the items of every page of ``url`` to ``into``, by key."""
        for rows in iter_pages(
            self.conn,
            self.conn.api(url),
            page_size=self.page_size,
            max_pages=MAX_PAGES,
            route=route,
        ):
            for raw in rows:
                meta = raw.get("__metadata")
                if self.entity_type is None and isinstance(meta, dict) and meta.get("type"):
                    self.entity_type = str(meta["type"])
                key = key_of(raw.get(self.owned[self.spec.key_column].wire_name))
                if key is None:
                    logger.warning(
                        "%s/%s: item %d has no key; left alone",
                        self.conn.site_path,
                        self.spec.title,
                        item_id_of(raw),
                    )
                    continue
                into.setdefault(key, []).append(
                    ExistingItem(
                        item_id_of(raw),
                        etag_of(raw),
                        owned_values(raw, self.owned),
                        any(unwrap(raw.get(h)) not in (None, "") for h in self._humans),
                        raw.get("AuthorId"),
                        raw.get("EditorId"),
                    )
                )


def _add_new(into: dict[str, list[int]], key: str, ids: list[int]) -> list[int]:
    """Appends to ``into[key]`` the ids not there yet and returns them (no empty entries)."""
    new = [i for i in ids if i not in into.get(key, [])]
    if new:
        into.setdefault(key, []).extend(new)
    return new


def _sorted(found: dict[str, list[ExistingItem]]) -> dict[str, list[ExistingItem]]:
    for items in found.values():
        items.sort(key=lambda e: e.item_id)
    return found


def key_of(value: Any) -> str | None:
    """A business key as compared: unwrapped, stripped, None when empty."""
    value = unwrap(value)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def owned_values(raw: dict[str, Any], owned: dict[str, ColumnSpec]) -> dict[str, Any]:
    """The owned columns of a raw item, by internal name."""
    return {name: unwrap(raw.get(column.wire_name)) for name, column in owned.items()}


def odata_literal(value: str) -> str:
    """A string as an OData literal: quoted, inner single quotes doubled (no filter injection)."""
    return "'" + value.replace("'", "''") + "'"
