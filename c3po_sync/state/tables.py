"""SQLAlchemy Core tables of the state store (portable: SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

# Release 1 had no Alembic; 2 is the first Alembic head (0002). A release that only knows 1
# refuses a database migrated past it instead of misreading it.
SCHEMA_VERSION = 2


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as naive UTC and gives them back aware.

    SQLite has no time zone type; normalising at the edge keeps comparisons right on both
    SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the state store needs aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", UTCDateTime, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(200), nullable=False),
    Column("trigger", String(200), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("outcome", String(20), nullable=False),  # running | ok | partial | failed
    Column("counts", Text),  # JSON object
    Column("error", Text),
)

# One row per snapshot, so an empty snapshot still counts as taken.
snapshots = Table(
    "snapshots",
    metadata,
    Column("run_id", Integer, primary_key=True),
    Column("saved_at", UTCDateTime, nullable=False),
    Column("counts", Text, nullable=False),  # JSON: table -> rows
)

# Snapshots saved before migration 0006, one JSON object per row (read, never written now).
# Rows keep their position (row_no) so duplicate business keys survive a round trip.
snapshot_rows = Table(
    "snapshot_rows",
    metadata,
    Column("run_id", Integer, primary_key=True),
    Column("table_name", String(40), primary_key=True),
    Column("row_no", Integer, primary_key=True),
    Column("row_key", String(1000), nullable=False),
    Column("data", Text, nullable=False),  # JSON object, NA values omitted
    Index("ix_snapshot_rows_key", "table_name", "row_key"),
)

# Snapshots saved since migration 0006: one row per chunk of a table's rows, holding a JSON
# object of one array per column (state.serialize), so a snapshot loads in one JSON decode per
# chunk instead of one per row. Older snapshots' rows stay in snapshot_rows and are read there.
snapshot_chunks = Table(
    "snapshot_chunks",
    metadata,
    Column("run_id", Integer, primary_key=True),
    Column("table_name", String(40), primary_key=True),
    Column("chunk_no", Integer, primary_key=True),
    Column("data", Text, nullable=False),  # JSON: column name -> values, null where missing
)

FINDING_FIELDS = (
    "rule_id", "recommendation", "severity", "entity_kind", "entity_key", "project_key", "ppm",
    "portfolio", "message", "source_url",
)  # fmt: skip

findings = Table(
    "findings",
    metadata,
    Column("finding_id", String(500), primary_key=True),
    Column("rule_id", String(100), nullable=False),
    Column("recommendation", Integer),
    Column("severity", String(20)),
    Column("entity_kind", String(20)),
    Column("entity_key", String(400)),
    Column("project_key", String(200)),
    Column("ppm", String(320)),
    Column("portfolio", String(200)),
    Column("message", Text),
    Column("source_url", Text),
    Column("status", String(10), nullable=False),  # open | resolved
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("reopened_at", UTCDateTime),
    Column("times_reopened", Integer, nullable=False, default=0),
    Column("first_run_id", Integer),
    Column("last_run_id", Integer),
    Index("ix_findings_status", "status"),
)

# Each run's delta, so recording the same run twice returns the first answer unchanged.
findings_runs = Table(
    "findings_runs",
    metadata,
    Column("run_id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("delta", Text, nullable=False),  # JSON: opened/reopened/resolved/still_open ids
)

# Auditor trail: every open/reopen/resolve transition, never deleted.
finding_events = Table(
    "finding_events",
    metadata,
    Column("run_id", Integer, primary_key=True),
    Column("finding_id", String(500), primary_key=True),
    Column("event", String(10), nullable=False),  # opened | reopened | resolved
    Column("at", UTCDateTime, nullable=False),
    Index("ix_finding_events_finding", "finding_id"),
)

tokens = Table(
    "change_tokens",
    metadata,
    Column("source_key", String(500), primary_key=True),
    Column("token", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("key", String(500), primary_key=True),
    Column("value", Text, nullable=False),  # JSON
    Column("updated_at", UTCDateTime, nullable=False),
)

# The change log (SCD-2): one row per version of an entity, opened by the run that first saw
# it and closed by the first run that no longer did (changed or gone). The history rules read
# it instead of every stored snapshot, so it grows with what changes, not with nights.
entity_versions = Table(
    "entity_versions",
    metadata,
    Column("table_name", String(40), primary_key=True),
    Column("entity_key", String(1000), primary_key=True),
    Column("valid_from_run", Integer, primary_key=True),
    Column("valid_from_at", UTCDateTime, nullable=False),
    Column("valid_to_run", Integer),  # None while current
    Column("last_seen_run", Integer),  # the last run that saw this version, once closed
    Column("last_seen_at", UTCDateTime),
    Column("data", Text, nullable=False),  # the row as stored in a snapshot (serialize.py)
    Index("ix_entity_versions_current", "table_name", "valid_to_run"),
)

# Every run folded into the change log, in order: the change log's clock.
change_log_runs = Table(
    "change_log_runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime, nullable=False),
)
