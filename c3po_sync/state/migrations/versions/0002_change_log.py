"""The change log (entity_versions, change_log_runs), back-filled from the stored snapshots.

History used to be read from up to 400 snapshots each night; from here on it is read from the
change log, so existing snapshots are folded into it in run order (state.changelog.fold, the
same code a run uses) before any of them may be pruned.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from c3po_sync.state import changelog
from c3po_sync.state import tables as t

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

log = logging.getLogger("c3po_sync.state.migrate")


def upgrade() -> None:
    op.create_table(
        "entity_versions",
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("entity_key", sa.String(length=1000), nullable=False),
        sa.Column("valid_from_run", sa.Integer(), nullable=False),
        sa.Column("valid_from_at", sa.DateTime(), nullable=False),
        sa.Column("valid_to_run", sa.Integer(), nullable=True),
        sa.Column("last_seen_run", sa.Integer(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", "entity_key", "valid_from_run"),
    )
    op.create_index("ix_entity_versions_current", "entity_versions", ["table_name", "valid_to_run"])
    op.create_table(
        "change_log_runs",
        sa.Column("run_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("run_id"),
    )
    conn = op.get_bind()
    runs = conn.execute(
        sa.select(t.snapshots.c.run_id, t.snapshots.c.saved_at).order_by(t.snapshots.c.run_id)
    ).all()
    for run_id, saved_at in runs:
        rows = {
            table: [
                (key, data)
                for key, data in conn.execute(
                    sa.select(t.snapshot_rows.c.row_key, t.snapshot_rows.c.data)
                    .where(
                        t.snapshot_rows.c.run_id == run_id,
                        t.snapshot_rows.c.table_name == table,
                    )
                    .order_by(t.snapshot_rows.c.row_no)
                )
            ]
            for table in changelog.VERSIONED_TABLES
        }
        changelog.fold(conn, run_id, saved_at, rows)
    if runs:
        log.warning("change log back-filled from %d stored snapshot(s)", len(runs))
    op.execute(t.schema_version.insert().values(version=2, applied_at=datetime.now(UTC)))


def downgrade() -> None:
    op.drop_table("change_log_runs")
    op.drop_index("ix_entity_versions_current", table_name="entity_versions")
    op.drop_table("entity_versions")
    op.execute(t.schema_version.delete().where(t.schema_version.c.version == 2))
