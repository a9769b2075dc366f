"""Two writer processes on one SQLite file: nothing lost, no "database is locked"."""

from __future__ import annotations

import multiprocessing as mp
import traceback

from sqlalchemy import func, select

from policywatch.flow import Page, record_page
from storage import migrate
from storage.db import connect
from storage.models import Document, Version
from tests.test_storage_support import page_text, simple_normalize

PAGES = 40  # per writer; each writer also re-records a shared set of documents


def _writer(url: str, wid: int, start, errors) -> None:
    try:
        db = connect(url)
        start.wait()
        for i in range(PAGES):
            # own documents, plus shared ones both writers change (read-then-write contention)
            record_page(
                db,
                Page(url=f"http://e.gov.cn/w{wid}/{i}", body=page_text(i).encode()),
                normalizer=simple_normalize,
            )
            shared = i % 5
            body = page_text(100 + shared, edit=1 + (i // 5) % 5).encode()
            record_page(
                db, Page(url=f"http://e.gov.cn/shared/{shared}", body=body), normalizer=simple_normalize
            )
        db.dispose()
    except Exception:
        errors.put(f"writer {wid}: {traceback.format_exc()}")


def test_two_writer_processes(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    db = connect(url)
    migrate.upgrade(db)
    ctx = mp.get_context("spawn")  # fresh interpreters: nothing shared but the file
    start, errors = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(url, w, start, errors)) for w in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    problems = []
    while not errors.empty():
        problems.append(errors.get())
    assert problems == []
    assert [p.exitcode for p in procs] == [0, 0]
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 2 * PAGES + 5
        # every shared document has gap-free sequences: no version was lost or duplicated
        for d in s.scalars(select(Document).where(Document.canonical_url.like("%/shared/%"))):
            seqs = s.scalars(
                select(Version.seq).where(Version.document_id == d.id).order_by(Version.seq)
            ).all()
            assert seqs == list(range(1, len(seqs) + 1))
            assert d.latest_version_id == s.scalar(
                select(Version.id).where(Version.document_id == d.id, Version.seq == len(seqs))
            )
