"""Attachments: the size and SHA-256 of each distinct content of a fetched 附件.

Revision ID: 0004_attachments
Revises: 0003_digests
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_attachments"
down_revision = "0003_digests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("fetch_count", sa.Integer(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name="fk_attachment_document_id_document", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"], ["crawl_run.id"], name="fk_attachment_crawl_run_id_crawl_run", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_attachment"),
    )
    op.create_index("ix_attachment_url", "attachment", ["url"])
    op.create_index("ix_attachment_document_id", "attachment", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_attachment_document_id", table_name="attachment")
    op.drop_index("ix_attachment_url", table_name="attachment")
    op.drop_table("attachment")
