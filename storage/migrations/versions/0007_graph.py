"""Citation graph and validity: citation edges, the keys documents are looked up by,
validity per version, the notices mailed, and the per-subscription impact opt-out.

Revision ID: 0007_graph
Revises: 0006_search_index
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_graph"
down_revision = "0006_search_index"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "citation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("ref_title", sa.Text(), nullable=False),
        sa.Column("ref_doc_number", sa.String(length=200), nullable=False),
        sa.Column("number_key", sa.String(length=200), nullable=False),
        sa.Column("title_key", sa.Text(), nullable=False),
        sa.Column("title_core", sa.Text(), nullable=False),
        sa.Column("cited_document_id", sa.Integer(), nullable=True),
        sa.Column("matched_by", sa.String(length=20), nullable=False),
        _fk("citation", "version_id", "version", "CASCADE"),
        _fk("citation", "document_id", "document", "CASCADE"),
        _fk("citation", "cited_document_id", "document", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_citation"),
    )
    op.create_index("ix_citation_version_id", "citation", ["version_id"])
    op.create_index("ix_citation_cited_document_id", "citation", ["cited_document_id"])
    op.create_index("ix_citation_number_key", "citation", ["number_key"])
    op.create_table(
        "document_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        _fk("document_key", "document_id", "document", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_document_key"),
    )
    op.create_index("ix_document_key_document_id", "document_key", ["document_id"])
    op.create_index("ix_document_key_kind_key", "document_key", ["kind", "key"])
    op.create_table(
        "validity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_printed", sa.String(length=100), nullable=False),
        sa.Column("effective", sa.String(length=10), nullable=False),
        sa.Column("expires", sa.String(length=10), nullable=False),
        sa.Column("term_years", sa.Integer(), nullable=True),
        sa.Column("repeals", sa.JSON(), nullable=True),
        sa.Column("amends", sa.JSON(), nullable=True),
        sa.Column("notes", sa.JSON(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        _fk("validity", "document_id", "document", "CASCADE"),
        _fk("validity", "version_id", "version", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_validity"),
        sa.UniqueConstraint("version_id", name="uq_validity_version_id"),
    )
    op.create_index("ix_validity_document_id", "validity", ["document_id"])
    op.create_index("ix_validity_expires", "validity", ["expires"])
    op.create_table(
        "notice_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("expires", sa.String(length=10), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        _fk("notice_sent", "subscription_id", "subscription", "CASCADE"),
        _fk("notice_sent", "document_id", "document", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_notice_sent"),
        sa.UniqueConstraint("key", name="uq_notice_sent_key"),
    )
    with op.batch_alter_table("subscription") as batch:
        batch.add_column(sa.Column("impact", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("subscription") as batch:
        batch.alter_column("impact", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("subscription") as batch:
        batch.drop_column("impact")
    op.drop_table("notice_sent")
    for name in ("ix_validity_expires", "ix_validity_document_id"):
        op.drop_index(name, table_name="validity")
    op.drop_table("validity")
    for name in ("ix_document_key_kind_key", "ix_document_key_document_id"):
        op.drop_index(name, table_name="document_key")
    op.drop_table("document_key")
    for name in ("ix_citation_number_key", "ix_citation_cited_document_id", "ix_citation_version_id"):
        op.drop_index(name, table_name="citation")
    op.drop_table("citation")
