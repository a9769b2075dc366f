"""SQLite's FTS5 index takes a batch's new measures in one statement, not one trigger per row.

0006 kept the index in step with an AFTER INSERT trigger on measure. FTS5 writes what it holds
in memory to a new segment of the index whenever a savepoint opens, and the trigger of every
row inserted by an executemany opens one: each measure became a segment of its own, merged
again and again into the larger ones (85 µs for a measure of 80 characters, 0010's figure,
where the row itself takes 5). Inserted by `INSERT INTO measure_fts ... SELECT` once per batch
(storage.fts_index.index_measures, called by the three writers of measure rows:
storage.fresh, storage.write_rows and storage.reprocess), the batch is one segment: 20,000
measures of the benchmark's notices are indexed in 0.26 s instead of 0.9-1.1 s. The delete and
update triggers stay: a deleted or rewritten measure is rare, and one at a time anyway.

The rows already stored are indexed already; nothing is rebuilt. Downgrade puts the trigger back.

Revision ID: 0011_fts_batch_inserts
Revises: 0010_fts_automerge
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_fts_batch_inserts"
down_revision = "0010_fts_automerge"
branch_labels = None
depends_on = None

FTS = "measure_fts"


def _has_index() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    return bind.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = :n"), {"n": FTS}).first() is not None


def upgrade() -> None:
    if _has_index():  # no FTS5 trigram (SQLite < 3.34), or PostgreSQL: nothing to change
        op.execute(f"DROP TRIGGER IF EXISTS {FTS}_ai")


def downgrade() -> None:
    if _has_index():
        op.execute(
            f"CREATE TRIGGER {FTS}_ai AFTER INSERT ON measure BEGIN "
            f"INSERT INTO {FTS}(rowid, norm_text) VALUES (new.id, new.norm_text); END"
        )
