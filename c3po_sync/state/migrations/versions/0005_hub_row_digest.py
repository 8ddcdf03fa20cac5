"""One digest per stored hub row, and what its values were planned from; the unused
write_ledger is dropped.

- ``hub_rows.row_digest``: one digest of all the row's owned values, beside the per-column
  digests. A night compares rows by it and decodes the column digests only of the rows that
  differ (a new day at 4x held every row's column digests twice: ~168 MB).
- ``hub_rows.inputs`` and ``hub_rows.horizon``: what the row's values rest on besides the
  stored tables (its findings, say) and the first day its values can change with the date
  (an asset's support state): a new day rebuilds only the rows whose inputs changed or whose
  horizon came (``pipeline/hub_plan.py``).
- ``write_ledger`` had no caller since ``hub_rows`` (0004) replaced it.

Rows stored before have no row digest: they are compared column by column once, and their
digest saved; with no inputs recorded a list is planned in full until its next write.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from c3po_sync.state.tables import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hub_rows") as batch:
        batch.add_column(sa.Column("row_digest", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("inputs", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("horizon", sa.String(length=10), nullable=True))
    op.drop_table("write_ledger")


def downgrade() -> None:
    op.create_table(
        "write_ledger",
        sa.Column("list_title", sa.String(length=255), nullable=False),
        sa.Column("item_key", sa.String(length=500), nullable=False),
        sa.Column("row_hash", sa.String(length=128), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("list_title", "item_key"),
    )
    with op.batch_alter_table("hub_rows") as batch:
        batch.drop_column("horizon")
        batch.drop_column("inputs")
        batch.drop_column("row_digest")
