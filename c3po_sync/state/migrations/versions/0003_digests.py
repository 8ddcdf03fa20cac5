"""What each PPM was told (digests, digest_items): the notify step's keyed record of sent digests.

Only new tables: a database at 0002 keeps working with code that does not notify.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from c3po_sync.state.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("digest_id", sa.String(length=400), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("ppm", sa.String(length=320), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("digest_id"),
    )
    op.create_table(
        "digest_items",
        sa.Column("ppm", sa.String(length=320), nullable=False),
        sa.Column("item_key", sa.String(length=600), nullable=False),
        sa.Column("digest_id", sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint("ppm", "item_key"),
    )


def downgrade() -> None:
    op.drop_table("digest_items")
    op.drop_table("digests")
