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
    etag_of,
    item_id_of,
    item_results,
    unwrap,
)
from c3po_sync.m365.schema import ListField, fetch_fields, resolve_field, site_time_zone
from c3po_sync.sources.base import RawRecord, SourceBatch, SourceRef

logger = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 5000
MAX_LOOKUPS_PER_QUERY = 12  # SharePoint's lookup column threshold
_BASE_SELECT = ("Id", "Modified", "FileDirRef")


def _select_parts(f: ListField) -> tuple[list[str], str | None]:
    """``$select`` terms and the ``$expand`` entry for one column."""
    name = f.internal_name
    if f.kind in PERSON_KINDS:
        return [f"{name}/Title", f"{name}/EMail"], name
    if f.kind in LOOKUP_KINDS:
        return [f"{name}/Title", f"{name}/Id"], name
    return [name], None


def plan_queries(fields: list[ListField]) -> list[list[ListField]]:
    """Splits columns so no query carries more than 12 lookup-type columns.

    The first query carries all plain columns; later ones only lookups (merged by Id).
    """
    plain = [f for f in fields if f.kind not in LOOKUP_KINDS]
    lookups = [f for f in fields if f.kind in LOOKUP_KINDS]
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


def _strip_paging(url: str) -> str:
    base, _, query = url.partition("?")
    kept = [
        p for p in query.split("&") if not p.lower().startswith(("$skiptoken=", "%24skiptoken="))
    ]
    return f"{base}?{'&'.join(kept)}"


class SharePointListSource:
    """The read port for one SharePoint list.

    ``time_zone``: the site's IANA zone if the caller knows it; otherwise it is read once from
    the site's RegionalSettings (falling back to UTC where that route is not served).
    Requested columns missing from the list are skipped with a warning and reported through
    ``SourceBatch.fields`` so drift checking can name them.
    """

    def __init__(
        self,
        ref: SourceRef,
        conn: SiteConnection,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int = 1000,
        time_zone: str | None = None,
    ) -> None:
        self.ref = ref
        self.conn = conn
        self.page_size = page_size
        self.max_pages = max_pages
        self.time_zone = time_zone
        self.item_requests = 0  # item page requests of the last read (retries excluded)

    def read(self, columns: list[str]) -> SourceBatch:
        fields = fetch_fields(self.conn, self.ref.list_title)
        wanted: list[ListField] = []
        for name in columns:
            f = resolve_field(fields, name)
            if f is None:
                logger.warning(
                    "%s: requested column %r is not on the list; skipped", self.ref, name
                )
            elif f not in wanted:
                wanted.append(f)
        records = self.read_items(wanted)
        if self.time_zone is None:
            self.time_zone = site_time_zone(self.conn)
        return SourceBatch(
            ref=self.ref,
            fields=[f.info() for f in fields],
            records=records,
            time_zone=self.time_zone,
        )

    def read_items(self, wanted: list[ListField]) -> list[RawRecord]:
        """Reads every item with the ``wanted`` columns (several queries if lookups > 12)."""
        self.item_requests = 0
        by_id: dict[int, RawRecord] = {}
        for index, group in enumerate(plan_queries(wanted)):
            url = items_url(self.conn, self.ref.list_title, group, self.page_size)
            route = f"items of '{self.ref.list_title}'"
            for rows in iter_pages(
                self.conn, url, page_size=self.page_size, max_pages=self.max_pages, route=route
            ):
                self.item_requests += 1
                for raw in rows:
                    values = {f.internal_name: unwrap(raw.get(f.internal_name)) for f in group}
                    item_id = item_id_of(raw)
                    record = by_id.get(item_id)
                    if record is None:
                        if index > 0:
                            continue  # created between the queries: next run picks it up
                        by_id[item_id] = self._record(item_id, raw, values)
                    else:
                        record.values.update(values)
        return [by_id[i] for i in sorted(by_id)]

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
