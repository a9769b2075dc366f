"""Stored crawled text printed to a terminal carries no control or bidi character: an ESC in an
old title would drive the reader's terminal, a U+202E would reverse what it shows. Real parts:
the hostile story recorded and rewritten as an older version stored it (test_output_controls),
the CLI run as a subprocess on a real pseudo-terminal; a pipe still gets the stored text."""

from __future__ import annotations

import subprocess

from sqlalchemy import select

from storage.models import Document
from tests.terminal import CLI, on_terminal
from tests.test_output_controls import forbidden, stored_hostile_story


def _on_terminal(args: list[str]) -> str:
    """What `policywatch ARGS` writes to a pseudo-terminal (stdout and stderr both)."""
    return on_terminal(args)


def test_stored_controls_never_reach_the_terminal(db, db_url):
    stored_hostile_story(db)
    with db.reader() as s:
        doc_id = s.scalar(select(Document.id).where(Document.site.has(name="zhaoqing")))
        assert "\x1b" in s.get(Document, doc_id).title  # what an older version left in the database
    for args in (["history", str(doc_id)], ["changes"], ["show", str(doc_id)]):
        shown = _on_terminal([*args, "--db", db_url])
        assert "肇" in shown and "<script>" in shown, (args, shown[:300])  # the words are there, as text
        assert forbidden(shown) == [], (args, forbidden(shown))
    # a pipe is data, not a terminal: the stored text as it is
    piped = subprocess.run([*CLI, "history", str(doc_id), "--db", db_url], capture_output=True, text=True, check=True)
    assert "\x1b" in piped.stdout
