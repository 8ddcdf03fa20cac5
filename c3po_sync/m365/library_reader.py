"""Reads every file of a document library, all folders deep, with CAML GetItems paging."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import quoteattr

from c3po_sync.m365.errors import PagingLoopError
from c3po_sync.m365.http import SiteConnection, list_path
from c3po_sync.m365.odata import PERSON_KINDS, etag_of, item_id_of, item_results, unwrap
from c3po_sync.m365.reader_base import DEFAULT_PAGE_SIZE, SharePointReader
from c3po_sync.m365.schema import (
    ListField,
    fetch_fields,
    fields_from_json,
    fields_url,
    resolve_field,
    time_zone_url,
)
from c3po_sync.sources.base import RawRecord, SourceBatch, SourceRef
from c3po_sync.sources.incremental import Page, PrefetchPlan, Schema

logger = logging.getLogger(__name__)

LIBRARY_FIELDS = (
    "FileRef",
    "FileLeafRef",
    "FileDirRef",
    "FSObjType",
    "File_x0020_Size",
    "Modified",
    "Editor",
)
MAX_IN_VALUES = 500  # CAML <In> takes at most 500 values


def view_xml(
    view_fields: list[str], row_limit: int, *, folders_filter: bool, ids: list[int] | None = None
) -> str:
    """CAML for all items in all folders, ordered by ID, paged.

    Written by hand: the 3.x client renders ``Scope="ViewScope.RecursiveAll"`` (SHAREPOINT.md §3).
    The ``FSObjType`` filter is optional because on a library over the list view threshold a
    Where on that unindexed column is refused; by default folders are dropped here instead.
    """
    refs = "".join(f"<FieldRef Name={quoteattr(name)}/>" for name in view_fields)
    conditions: list[str] = []
    if folders_filter:
        conditions.append("<Eq><FieldRef Name='FSObjType'/><Value Type='Integer'>0</Value></Eq>")
    if ids:
        values = "".join(f"<Value Type='Counter'>{int(i)}</Value>" for i in ids)
        conditions.append(f"<In><FieldRef Name='ID'/><Values>{values}</Values></In>")
    where = ""
    if len(conditions) == 2:
        where = f"<Where><And>{conditions[0]}{conditions[1]}</And></Where>"
    elif conditions:
        where = f"<Where>{conditions[0]}</Where>"
    return (
        "<View Scope='RecursiveAll'>"
        f"<Query>{where}<OrderBy><FieldRef Name='ID' Ascending='TRUE'/></OrderBy></Query>"
        f"<ViewFields>{refs}</ViewFields>"
        f"<RowLimit Paged='TRUE'>{row_limit}</RowLimit>"
        "</View>"
    )


class SharePointLibrarySource(SharePointReader):
    """The read port for one document library: one POST per ``page_size`` rows, none per folder.

    Person columns (``Editor`` and requested User columns) come back from GetItems as ids; they
    are expanded to ``{"Title", "EMail"}`` with one SiteUsers request per read.
    """

    def __init__(
        self,
        ref: SourceRef,
        conn: SiteConnection,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int = 1000,
        time_zone: str | None = None,
        server_folder_filter: bool = False,
    ) -> None:
        super().__init__(ref, conn, page_size=page_size, max_pages=max_pages, time_zone=time_zone)
        self.server_folder_filter = server_folder_filter

    def read(self, columns: list[str]) -> SourceBatch:
        """A whole read in one go, nothing cached (the incremental path is ``iter_full``)."""
        fields = fetch_fields(self.conn, self.ref.list_title)
        names, kinds = self._names(columns, fields)
        records: list[RawRecord] = []
        for page in self._pages(names, kinds, None, None):
            records.extend(page.records)
        return self._batch(fields, records)

    def _names(
        self, columns: list[str], fields: list[ListField], *, quiet: bool = False
    ) -> tuple[list[str], dict[str, str]]:
        names = list(LIBRARY_FIELDS)
        for name in columns:
            f = resolve_field(fields, name)
            if f is None:
                if not quiet:
                    logger.warning("%s: requested column %r is not on the library", self.ref, name)
            elif f.internal_name not in names:
                names.append(f.internal_name)
        kinds = {f.internal_name: f.kind for f in fields}
        kinds.setdefault("Editor", "User")
        return names, kinds

    # --- incremental port (sources.incremental.IncrementalSource) ----------------------------

    def prefetch_urls(self, plan: PrefetchPlan) -> list[str]:
        """The GETs a read of this library starts with (fields, site users), for the batch.

        The CAML pages themselves are POSTs and are not batched.
        """
        urls = [fields_url(self.conn, self.ref.list_title), self._users_url()]
        if self.time_zone is None:
            urls.append(time_zone_url(self.conn))
        return urls

    def shared_urls(self) -> list[str]:
        return [self._users_url(), time_zone_url(self.conn)]

    def resolved_columns(self, columns: list[str], schema: Schema) -> list[str]:
        return self._names(columns, fields_from_json(schema.fields), quiet=True)[0]

    def iter_full(
        self, columns: list[str], schema: Schema, position: dict[str, Any] | None
    ) -> Iterator[Page]:
        """CAML pages, each with the ``p_ID`` to resume after it."""
        names, kinds = self._names(columns, fields_from_json(schema.fields))
        after = int((position or {}).get("after", 0))
        yield from self._pages(names, kinds, after or None, None)

    def read_ids(self, columns: list[str], schema: Schema, ids: list[int]) -> list[RawRecord]:
        """The given files by a CAML ``In`` on ID (indexed; up to 500 values per query)."""
        names, kinds = self._names(columns, fields_from_json(schema.fields))
        records: list[RawRecord] = []
        wanted = sorted(set(ids))
        for i in range(0, len(wanted), MAX_IN_VALUES):
            for page in self._pages(names, kinds, None, wanted[i : i + MAX_IN_VALUES]):
                records.extend(page.records)
        return records

    def _pages(
        self, names: list[str], kinds: dict[str, str], after: int | None, ids: list[int] | None
    ) -> Iterator[Page]:
        url = self.conn.api(f"{list_path(self.ref.list_title)}/GetItems")
        xml = view_xml(names, self.page_size, folders_filter=self.server_folder_filter, ids=ids)
        route = f"GetItems of '{self.ref.list_title}'"
        people = [n for n in names if kinds.get(n) in PERSON_KINDS]
        users: dict[int, dict[str, Any]] | None = None
        paging: str | None = f"Paged=TRUE&p_ID={after}" if after else None
        last_id = after or 0
        self.item_requests = 0
        while True:
            if self.item_requests >= self.max_pages:
                raise PagingLoopError(
                    f"{self.conn.site_path}: {route}: over {self.max_pages} pages"
                )
            query: dict[str, Any] = {
                "__metadata": {"type": "SP.CamlQuery"},
                "DatesInUtc": True,
                "ViewXml": xml,
            }
            if paging:
                query["ListItemCollectionPosition"] = {
                    "__metadata": {"type": "SP.ListItemCollectionPosition"},
                    "PagingInfo": paging,
                }
            d = self.conn.post_json(url, {"query": query}, route=route)
            self.item_requests += 1
            rows = item_results(d)
            records: list[RawRecord] = []
            for raw in rows:
                item_id = item_id_of(raw)
                if item_id <= last_id:
                    raise PagingLoopError(
                        f"{self.conn.site_path}: {route}: item {item_id} repeated after {last_id}"
                    )
                last_id = item_id
                if str(raw.get("FSObjType", raw.get("FileSystemObjectType", 0))) == "1":
                    continue
                if people and users is None:
                    users = self._site_users()
                records.append(self._record(item_id, raw, names, people, users or {}))
            if len(rows) < self.page_size:
                yield Page(records, None)
                return
            yield Page(records, {"after": last_id})
            paging = f"Paged=TRUE&p_ID={last_id}"

    def _record(
        self,
        item_id: int,
        raw: dict[str, Any],
        names: list[str],
        people: list[str],
        users: dict[int, dict[str, Any]],
    ) -> RawRecord:
        values: dict[str, Any] = {}
        for name in names:
            if name in people:
                values[name] = _person(raw, name, users)
            else:
                values[name] = unwrap(raw.get(name))
        file_ref = values.get("FileRef")
        url = None
        if file_ref:
            parts = urlsplit(self.conn.site_url)
            url = f"{parts.scheme}://{parts.netloc}{quote(str(file_ref))}"
        return RawRecord(
            item_id=item_id, values=values, etag=etag_of(raw), modified=raw.get("Modified"), url=url
        )

    def _users_url(self) -> str:
        return self.conn.api("Web/SiteUsers?$select=Id,Title,Email")

    def _site_users(self) -> dict[int, dict[str, Any]]:
        d = self.conn.get_json(self._users_url(), route="site users")
        return {
            int(u["Id"]): {"Title": u.get("Title"), "EMail": u.get("Email") or u.get("EMail")}
            for u in item_results(d)
            if u.get("Id") is not None
        }


def _person(raw: dict[str, Any], name: str, users: dict[int, dict[str, Any]]) -> Any:
    """A person value as ``{"Title","EMail"}`` (list for multi), whether sent expanded or as ids."""
    value = unwrap(raw.get(name))
    if isinstance(value, (dict, list)) and value:
        return value
    ids = unwrap(raw.get(f"{name}Id"))
    if ids is None:
        ids = value if isinstance(value, int) else None
    if ids is None:
        return None
    if isinstance(ids, list):
        return [users.get(int(i), {"Id": int(i)}) for i in ids]
    return users.get(int(ids), {"Id": int(ids)})
