"""Tables of the raw-record cache that makes incremental reads possible."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from c3po_sync.state.tables import UTCDateTime, metadata

# One row per source: whether its cached records are a complete read, the columns and schema
# they were read with, and where an unfinished full read stands (the checkpoint).
raw_sources = Table(
    "raw_sources",
    metadata,
    Column("source_key", String(500), primary_key=True),
    Column("complete", Boolean, nullable=False),
    Column("columns", Text, nullable=False),  # JSON list of requested column names
    Column("schema", Text, nullable=False),  # JSON: list_id, fields, time_zone
    Column("position", Text),  # JSON paging position of an unfinished full read
    Column("updated_at", UTCDateTime, nullable=False),
)

# One row per item as read (RawRecord as JSON), so a later run re-reads only what changed.
raw_records = Table(
    "raw_records",
    metadata,
    Column("source_key", String(500), primary_key=True),
    Column("item_id", Integer, primary_key=True),
    Column("data", Text, nullable=False),
)
