"""Unchanged pairs: the measures compare paired with the previous version and found unchanged.

The change rows list what changed; this column keeps the rest of the alignment, so the
side-by-side diff shows the pairing compare made. Existing versions get NULL: they are compared
again when read, until `policywatch reprocess` fills them.

Revision ID: 0005_unchanged_pairs
Revises: 0004_attachments
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_unchanged_pairs"
down_revision = "0004_attachments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("version") as batch:
        batch.add_column(sa.Column("unchanged_pairs", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("version") as batch:
        batch.drop_column("unchanged_pairs")
