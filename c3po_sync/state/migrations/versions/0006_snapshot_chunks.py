"""Snapshots stored by columns: one row per chunk of a table's rows, a JSON array per column.

A new day loads the whole stored snapshot for its re-check, hub rows and workbook. Stored one
JSON object per row, that was about 83,000 decodes (each a dict of every column name) at city
size, about 1 CPU s of a new day's 3.9; by chunks of 1,000 rows it is about 90 decodes of
plain arrays (state/serialize.py).

Snapshots saved before stay in ``snapshot_rows`` and are read from there (``load_snapshot``
falls back to them for a table with no chunks), so upgrading rewrites nothing: the old rows
go when retention prunes their snapshots.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "snapshot_chunks",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("chunk_no", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "table_name", "chunk_no"),
    )


def downgrade() -> None:
    # A downgraded release reads snapshot_rows only: snapshots saved by columns go with the
    # table (their runs keep no snapshot, as if pruned).
    conn = op.get_bind()
    chunked = sa.table("snapshot_chunks", sa.column("run_id", sa.Integer()))
    runs = [r for (r,) in conn.execute(sa.select(chunked.c.run_id).distinct())]
    snapshots = sa.table("snapshots", sa.column("run_id", sa.Integer()))
    for start in range(0, len(runs), 500):
        conn.execute(sa.delete(snapshots).where(snapshots.c.run_id.in_(runs[start : start + 500])))
    op.drop_table("snapshot_chunks")
