"""A site's display name: `title` in the config's [[sites]] (肇庆市人民政府), shown to people in
the digest, the web UI and the feeds instead of the config id (zhaoqing).

Revision ID: 0008_site_title
Revises: 0007_graph
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_site_title"
down_revision = "0007_graph"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: batch mode rebuilds `site` on SQLite, which the documents'
# foreign keys refuse once rows exist; SQLite adds and (3.35+) drops a column in place.
def upgrade() -> None:
    op.add_column("site", sa.Column("title", sa.String(200), nullable=True))


def downgrade() -> None:
    op.drop_column("site", "title")
