"""Reads a SharePoint list into a SourceBatch: requested columns only, paged by ID, ETags kept."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

from c3po_sync.m365.errors import PagingLoopError
from c3po_sync.m365.http import SiteConnection, list_path
from c3po_sync.m365.odata import (
    LOOKUP_KINDS,
    PERSON_KINDS,
    THRESHOLD_KINDS,
    etag_of,
    item_id_of,
    item_results,
    unwrap,
)
from c3po_sync.m365.reader_base import SharePointReader
from c3po_sync.m365.schema import (
    ListField,
    fetch_fields,
    fields_from_json,
    fields_url,
    resolve_field,
    time_zone_url,
)
from c3po_sync.sources.base import RawRecord, SourceBatch
from c3po_sync.sources.incremental import Page, PrefetchPlan, Schema, id_ranges

logger = logging.getLogger(__name__)

MAX_LOOKUPS_PER_QUERY = 12  # SharePoint's lookup column threshold
MAX_ID_TERMS = 40  # ID terms per $filter: keeps URLs well under SharePoint's limits
# FileSystemObjectType: a list can hold folders too; they are skipped as the library reader
# skips them, so a folder the change log names is never a record held (sources/incremental:
# a deleted or renamed folder makes the list be read in full, its items being unlogged).
_BASE_SELECT = ("Id", "Modified", "FileDirRef", "FileSystemObjectType")


def _select_parts(f: ListField) -> tuple[list[str], str | None]:
    """``$select`` terms and the ``$expand`` entry for one column."""
    name = f.internal_name
    if f.kind in PERSON_KINDS:
        return [f"{name}/Title", f"{name}/EMail"], name
    if f.kind in LOOKUP_KINDS:
        return [f"{name}/Title", f"{name}/Id"], name
    return [name], None


def _is_folder(raw: dict[str, Any]) -> bool:
    return str(raw.get("FileSystemObjectType", 0)) == "1"


def plan_queries(fields: list[ListField]) -> list[list[ListField]]:
    """Splits columns so no query carries more than 12 lookup-type columns.

    Lookup-type: lookup, person and managed metadata, single or multi (``THRESHOLD_KINDS``).
    The first query carries all plain columns; later ones only lookups (merged by Id).
    """
    plain = [f for f in fields if f.kind not in THRESHOLD_KINDS]
    lookups = [f for f in fields if f.kind in THRESHOLD_KINDS]
    chunks = [
        lookups[i : i + MAX_LOOKUPS_PER_QUERY]
        for i in range(0, len(lookups), MAX_LOOKUPS_PER_QUERY)
    ] or [[]]
    return [plain + chunks[0], *chunks[1:]]


def items_url(conn: SiteConnection, list_title: str, fields: list[ListField], top: int) -> str:
    select = list(_BASE_SELECT)
    expand: list[str] = []
    for f in fields:
        terms, exp = _select_parts(f)
        select.extend(t for t in terms if t not in select)
        if exp and exp not in expand:
            expand.append(exp)
    query = f"$select={quote(','.join(select), safe=',/')}"
    if expand:
        query += f"&$expand={quote(','.join(expand), safe=',/')}"
    query += f"&$top={top}&$orderby=ID"
    return conn.api(f"{list_path(list_title)}/items?{query}")


def iter_pages(
    conn: SiteConnection, first_url: str, *, page_size: int, max_pages: int, route: str
) -> Iterator[list[dict[str, Any]]]:
    """Yields raw item pages, following the server's ``__next`` verbatim.

    Never falls back to ``$skip`` (SharePoint ignores it on items, so the 3.x client loops).
    A full page without ``__next`` is followed by an ID skiptoken; pages must advance by ID.
    """
    url: str | None = first_url
    last_id = 0
    pages = 0
    while url:
        pages += 1
        if pages > max_pages:
            raise PagingLoopError(f"{conn.site_path}: {route}: more than {max_pages} pages")
        d = conn.get_json(url, route=route)
        rows = item_results(d)
        if rows:
            newest = max(item_id_of(r) for r in rows)
            if newest <= last_id:
                raise PagingLoopError(
                    f"{conn.site_path}: {route}: page {pages} did not advance past ID {last_id}"
                )
            last_id = newest
        yield rows
        next_url = d.get("__next") if isinstance(d, dict) else None
        if next_url:
            url = next_url
        elif len(rows) >= page_size:
            logger.warning(
                "%s %s: full page without __next; paging on by ID", conn.site_path, route
            )
            url = f"{_strip_paging(first_url)}&$skiptoken={quote(f'Paged=TRUE&p_ID={last_id}')}"
        else:
            url = None


def id_filters(ids: list[int], per_request: int = MAX_ID_TERMS) -> list[str]:
    """``$filter`` texts selecting ``ids``: ranges as ``ge``/``le``, singles as ``eq``, chunked.

    ``ID`` is always indexed, so these never meet the list view threshold.
    """
    terms = [
        f"ID eq {lo}" if lo == hi else f"(ID ge {lo} and ID le {hi})" for lo, hi in id_ranges(ids)
    ]
    return [" or ".join(terms[i : i + per_request]) for i in range(0, len(terms), per_request)]


def _values(raw: dict[str, Any], group: list[ListField]) -> dict[str, Any]:
    return {f.internal_name: unwrap(raw.get(f.internal_name)) for f in group}


def _resolve_all(fields: list[ListField], columns: list[str]) -> list[ListField]:
    found = [resolve_field(fields, name) for name in columns]
    return [f for f in found if f is not None]


def _strip_paging(url: str) -> str:
    base, _, query = url.partition("?")
    kept = [
        p for p in query.split("&") if not p.lower().startswith(("$skiptoken=", "%24skiptoken="))
    ]
    return f"{base}?{'&'.join(kept)}"


class SharePointListSource(SharePointReader):
    """The read port for one SharePoint list.

    Requested columns missing from the list are skipped with a warning and reported through
    ``SourceBatch.fields`` so drift checking can name them.
    """

    def read(self, columns: list[str]) -> SourceBatch:
        """A whole read in one go, nothing cached (the incremental path is ``iter_full``)."""
        fields = fetch_fields(self.conn, self.ref.list_title)
        return self._batch(fields, self.read_items(self._wanted(columns, fields)))

    def _wanted(self, columns: list[str], fields: list[ListField]) -> list[ListField]:
        wanted: list[ListField] = []
        for name in columns:
            f = resolve_field(fields, name)
            if f is None:
                logger.warning(
                    "%s: requested column %r is not on the list; skipped", self.ref, name
                )
            elif f not in wanted:
                wanted.append(f)
        return wanted

    def read_items(self, wanted: list[ListField]) -> list[RawRecord]:
        """Reads every item with the ``wanted`` columns (several queries if lookups > 12)."""
        self.item_requests = 0
        return self._collect(wanted, None)

    # --- incremental port (sources.incremental.IncrementalSource) ----------------------------

    def prefetch_urls(self, plan: PrefetchPlan) -> list[str]:
        """The GETs this sync starts with, for the site's read ``$batch``: the fields, and the
        first page of each ID re-read as the cached schema builds it (if the fresh schema
        resolves the columns otherwise, the URL differs and that answer goes unused).
        """
        urls = [fields_url(self.conn, self.ref.list_title)]
        if self.time_zone is None:
            urls.append(time_zone_url(self.conn))
        if plan.schema is not None and plan.ids:
            fields = fields_from_json(plan.schema.fields)
            wanted = list(dict.fromkeys(_resolve_all(fields, plan.columns)))  # as _wanted()
            queries = plan_queries(wanted)
            for group in queries:
                for flt in id_filters(plan.ids):
                    urls.append(self._items_url(group, flt))
        return urls

    def shared_urls(self) -> list[str]:
        return [time_zone_url(self.conn)]

    def resolved_columns(self, columns: list[str], schema: Schema) -> list[str]:
        fields = fields_from_json(schema.fields)
        return [f.internal_name for f in fields if f in _resolve_all(fields, columns)]

    def iter_full(
        self, columns: list[str], schema: Schema, position: dict[str, Any] | None
    ) -> Iterator[Page]:
        """Pages of a full read, each with the position to resume after it.

        The position is (query, last ID): a resumed read starts with an ID skiptoken, so the
        pages already cached are not requested again.
        """
        wanted = self._wanted(columns, fields_from_json(schema.fields))
        queries = plan_queries(wanted)
        start = int((position or {}).get("query", 0))
        after = int((position or {}).get("after", 0))
        self.item_requests = 0
        route = f"items of '{self.ref.list_title}'"
        for index in range(start, len(queries)):
            group = queries[index]
            url = items_url(self.conn, self.ref.list_title, group, self.page_size)
            if after:
                url += f"&$skiptoken={quote(f'Paged=TRUE&p_ID={after}')}"
            for rows in iter_pages(
                self.conn, url, page_size=self.page_size, max_pages=self.max_pages, route=route
            ):
                self.item_requests += 1
                records = [
                    self._record(item_id_of(r), r, _values(r, group))
                    for r in rows
                    if not _is_folder(r)
                ]
                if rows:
                    after = item_id_of(rows[-1])
                yield Page(records, {"query": index, "after": after}, merge=index > 0)
            after = 0
        yield Page([], None)

    def read_ids(self, columns: list[str], schema: Schema, ids: list[int]) -> list[RawRecord]:
        """The given items with their columns, by ``ID`` filters (ID is always indexed)."""
        if not ids:
            return []
        wanted = self._wanted(columns, fields_from_json(schema.fields))
        self.item_requests = 0
        return self._collect(wanted, ids)

    def _collect(self, wanted: list[ListField], ids: list[int] | None) -> list[RawRecord]:
        by_id: dict[int, RawRecord] = {}
        route = f"items of '{self.ref.list_title}'"
        filters = [None] if ids is None else id_filters(ids)
        for index, group in enumerate(plan_queries(wanted)):
            for flt in filters:
                url = self._items_url(group, flt)
                for rows in iter_pages(
                    self.conn, url, page_size=self.page_size, max_pages=self.max_pages, route=route
                ):
                    self.item_requests += 1
                    for raw in rows:
                        if _is_folder(raw):
                            continue
                        values = _values(raw, group)
                        item_id = item_id_of(raw)
                        record = by_id.get(item_id)
                        if record is None:
                            if index > 0:
                                continue  # created between the queries: next run picks it up
                            by_id[item_id] = self._record(item_id, raw, values)
                        else:
                            record.values.update(values)
        return [by_id[i] for i in sorted(by_id)]

    def _items_url(self, group: list[ListField], flt: str | None) -> str:
        url = items_url(self.conn, self.ref.list_title, group, self.page_size)
        return f"{url}&$filter={quote(flt, safe='')}" if flt else url

    def _record(self, item_id: int, raw: dict[str, Any], values: dict[str, Any]) -> RawRecord:
        folder = raw.get("FileDirRef")
        url = None
        if folder:
            parts = urlsplit(self.conn.site_url)
            url = f"{parts.scheme}://{parts.netloc}{quote(folder)}/DispForm.aspx?ID={item_id}"
        return RawRecord(
            item_id=item_id,
            values=values,
            etag=etag_of(raw),
            modified=raw.get("Modified"),
            url=url,
        )
