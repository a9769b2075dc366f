"""SQLite's FTS5 search index merges its segments less eagerly: automerge 8 instead of 4.

Every batch a writer commits adds a segment to the index; with the default, FTS5 merges
whenever four segments of one level are there, so the trigrams of a new measure are rewritten
again and again while a crawl records pages. Indexing was most of what recording a new measure
cost (~85 µs for a measure of 80 characters, where the row itself takes 5):
at 8, inserts cost about a quarter less, and a search reads a few more segments (0.1 -> 0.15 ms
on 40,000 measures). A first crawl of the benchmark's 2,000 notices: 4.25 -> 4.11 s wall, 6.07
-> 5.87 s CPU (medians of 4 alternating rounds). The setting is stored in the index (its config
table): nothing else changes.

Revision ID: 0010_fts_automerge
Revises: 0009_search_texts
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_fts_automerge"
down_revision = "0009_search_texts"
branch_labels = None
depends_on = None

FTS = "measure_fts"
AUTOMERGE, DEFAULT = 8, 4


def _set(value: int) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    exists = bind.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = :n"), {"n": FTS}).first()
    if exists:  # no FTS5 trigram (SQLite < 3.34): search scans, nothing to tune
        op.execute(f"INSERT INTO {FTS}({FTS}, rank) VALUES ('automerge', {value})")


def upgrade() -> None:
    _set(AUTOMERGE)


def downgrade() -> None:
    _set(DEFAULT)
