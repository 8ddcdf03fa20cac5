"""Release 1: the schema C3PO Sync created with ``metadata.create_all`` before Alembic.

A database made by that release already has these tables (without an ``alembic_version``), and
an older one may lack the tables added later without a schema version bump; so each table and
index is created only where it is missing, and upgrading any of them ends in the same schema.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _create_table(name: str, *columns: sa.schema.SchemaItem) -> None:
    if not sa.inspect(op.get_bind()).has_table(name):
        op.create_table(name, *columns)


def _create_index(name: str, table: str, columns: list[str], unique: bool = False) -> None:
    known = {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes(table)}
    if name not in known:
        op.create_index(name, table, columns, unique=unique)


def _add_column(table: str, column: sa.Column) -> None:
    known = {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}
    if column.name not in known:
        op.add_column(table, column)


def upgrade() -> None:
    _create_table(
        "change_tokens",
        sa.Column("source_key", sa.String(length=500), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source_key"),
    )
    _create_table(
        "checkpoints",
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    _create_table(
        "finding_events",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.String(length=500), nullable=False),
        sa.Column("event", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "finding_id"),
    )
    _create_index("ix_finding_events_finding", "finding_events", ["finding_id"], unique=False)
    _create_table(
        "findings",
        sa.Column("finding_id", sa.String(length=500), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("recommendation", sa.Integer(), nullable=True),
        sa.Column("severity", sa.String(length=20), nullable=True),
        sa.Column("entity_kind", sa.String(length=20), nullable=True),
        sa.Column("entity_key", sa.String(length=400), nullable=True),
        sa.Column("project_key", sa.String(length=200), nullable=True),
        sa.Column("ppm", sa.String(length=320), nullable=True),
        sa.Column("portfolio", sa.String(length=200), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("reopened_at", sa.DateTime(), nullable=True),
        sa.Column("times_reopened", sa.Integer(), nullable=False),
        sa.Column("first_run_id", sa.Integer(), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("finding_id"),
    )
    _create_index("ix_findings_status", "findings", ["status"], unique=False)
    _create_table(
        "findings_runs",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("delta", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id"),
    )
    _create_table(
        "raw_records",
        sa.Column("source_key", sa.String(length=500), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("source_key", "item_id"),
    )
    _create_table(
        "raw_sources",
        sa.Column("source_key", sa.String(length=500), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.Column("schema", sa.Text(), nullable=False),
        sa.Column("position", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source_key"),
    )
    _create_table(
        "rule_evaluations",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("recommendation", sa.Integer(), nullable=True),
        sa.Column("entity_kind", sa.String(length=20), nullable=True),
        sa.Column("entities", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "rule_id"),
    )
    _create_table(
        "runs",
        sa.Column("run_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job", sa.String(length=200), nullable=False),
        sa.Column("trigger", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("counts", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("run_id"),
    )
    _create_table(
        "schema_version",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    _create_table(
        "snapshot_rows",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("row_key", sa.String(length=1000), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "table_name", "row_no"),
    )
    _create_index("ix_snapshot_rows_key", "snapshot_rows", ["table_name", "row_key"], unique=False)
    _create_table(
        "snapshots",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id"),
    )
    _create_table(
        "write_ledger",
        sa.Column("list_title", sa.String(length=255), nullable=False),
        sa.Column("item_key", sa.String(length=500), nullable=False),
        sa.Column("row_hash", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("list_title", "item_key"),
    )
    _create_table(
        "write_runs",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("list_title", sa.String(length=255), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("marked", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("added_keys", sa.Text(), nullable=False),
        sa.Column("changed_keys", sa.Text(), nullable=False),
        sa.Column("marked_keys", sa.Text(), nullable=False),
        sa.Column("failed_keys", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recycled", sa.Integer(), server_default="0", nullable=False),
        sa.Column("recycled_keys", sa.Text(), server_default="{}", nullable=False),
        sa.Column("replans", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("run_id", "list_title"),
    )
    # Columns release 1 added to write_runs after its first version (they were added by a
    # hand-written ALTER on open): a table from before them gets them, rows keep the defaults.
    _add_column(
        "write_runs", sa.Column("recycled", sa.Integer(), nullable=False, server_default="0")
    )
    _add_column(
        "write_runs", sa.Column("recycled_keys", sa.Text(), nullable=False, server_default="{}")
    )
    _add_column("write_runs", sa.Column("replans", sa.Integer(), nullable=False,
                                        server_default="0"))  # fmt: skip
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM schema_version")).scalar() == 0:
        # What release 1's store wrote on first open; a release-1 process reading this database
        # compares it with the version it understands.
        op.execute(
            sa.text("INSERT INTO schema_version (version, applied_at) VALUES (1, :at)").bindparams(
                at=datetime.now(UTC).replace(tzinfo=None)
            )
        )


def downgrade() -> None:
    raise NotImplementedError("release 1 is the first schema; there is nothing to go back to")
