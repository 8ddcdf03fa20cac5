"""What the list and library readers share: their settings, the schema read and the batch."""

from __future__ import annotations

from c3po_sync.m365.changes import SiteChangeFeed
from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.schema import (
    ListField,
    fetch_fields_and_list_id,
    fetch_list_id,
    fields_to_json,
    site_time_zone,
)
from c3po_sync.sources.base import RawRecord, SourceBatch, SourceRef
from c3po_sync.sources.incremental import Schema

DEFAULT_PAGE_SIZE = 5000


class SharePointReader:
    """One list or library on one site connection.

    ``time_zone``: the site's IANA zone if the caller knows it; otherwise it is read once from
    the site's RegionalSettings (falling back to UTC where that route is not served).
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

    def _site_time_zone(self) -> str:
        if self.time_zone is None:
            self.time_zone = site_time_zone(self.conn)
        return self.time_zone

    def _batch(self, fields: list[ListField], records: list[RawRecord]) -> SourceBatch:
        return SourceBatch(
            ref=self.ref,
            fields=[f.info() for f in fields],
            records=records,
            time_zone=self._site_time_zone(),
        )

    # --- incremental port (sources.incremental.IncrementalSource) ----------------------------

    def fetch_schema(self) -> Schema:
        """The list's fields and GUID (one request) and the site's time zone (cached)."""
        fields, list_id = fetch_fields_and_list_id(self.conn, self.ref.list_title)
        if not list_id:
            list_id = fetch_list_id(self.conn, self.ref.list_title)
        return Schema(list_id, fields_to_json(fields), self._site_time_zone())

    def change_feed(self) -> SiteChangeFeed:
        return SiteChangeFeed(self.conn)
