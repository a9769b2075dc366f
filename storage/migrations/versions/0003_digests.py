"""Digests: subscriptions get addresses, a cadence, an origin and a unique name; the outbox
gets the claim owner and indexes for per-subscription and per-digest lookups.

Revision ID: 0003_digests
Revises: 0002_crawl_and_outbox
Create Date: 2025-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_digests"
down_revision = "0002_crawl_and_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot add a constraint in place: batch mode copies the table.
    with op.batch_alter_table("subscription") as batch:
        batch.add_column(sa.Column("addresses", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("cadence", sa.String(length=40), nullable=False, server_default="immediate")
        )
        batch.add_column(sa.Column("origin", sa.String(length=20), nullable=False, server_default="cli"))
        batch.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch.create_unique_constraint("uq_subscription_name", ["name"])
    # The server defaults only fill existing rows; the model supplies the values from now on.
    with op.batch_alter_table("subscription") as batch:
        batch.alter_column("cadence", server_default=None)
        batch.alter_column("origin", server_default=None)
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))
    op.create_index("ix_outbox_subscription_id_status", "outbox", ["subscription_id", "status"])
    op.create_index("ix_outbox_digest_key", "outbox", ["digest_key"])


def downgrade() -> None:
    op.drop_index("ix_outbox_digest_key", table_name="outbox")
    op.drop_index("ix_outbox_subscription_id_status", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
    with op.batch_alter_table("subscription") as batch:
        batch.drop_constraint("uq_subscription_name", type_="unique")
        batch.drop_column("updated_at")
        batch.drop_column("origin")
        batch.drop_column("cadence")
        batch.drop_column("addresses")
