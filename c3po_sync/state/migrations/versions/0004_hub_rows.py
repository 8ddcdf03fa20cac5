"""The hub lists' stored copy (hub_rows): what was last written, so a night's hub diff need not
re-read every row when the hub's change log shows nobody else touched a list.

Only a new table: a database at 0003 keeps working with code that re-reads the lists.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from c3po_sync.state.tables import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_rows",
        sa.Column("list_title", sa.String(length=255), nullable=False),
        sa.Column("item_key", sa.String(length=500), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(length=100), nullable=True),
        sa.Column("digests", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("list_title", "item_key"),
    )


def downgrade() -> None:
    op.drop_table("hub_rows")
