"""crawler.writer_pool: writer processes start as the crawl needs them, real spawned processes."""

from __future__ import annotations

import os
import time

from crawler.writer_pool import WriterPool


def test_batches_that_come_one_after_another_use_one_writer(tmp_path):
    pool = WriterPool(2, f"sqlite:///{tmp_path / 'pw.db'}")
    try:  # the first arrives while the writer is still importing: it waits for that one
        pids = {pool.submit(os.getpid).result(timeout=60) for _ in range(5)}
    finally:
        pool.shutdown()
    assert pool.started == 1 and len(pids) == 1


def test_a_batch_arriving_while_every_writer_is_busy_starts_another_up_to_the_limit(tmp_path):
    pool = WriterPool(2, f"sqlite:///{tmp_path / 'pw.db'}")
    try:
        first = pool.submit(os.getpid).result(timeout=60)  # the first writer is up and idle
        busy = pool.submit(time.sleep, 2)
        assert pool.submit(os.getpid).result(timeout=60) != first  # not queued behind the sleep
        assert pool.started == 2
        third = [pool.submit(time.sleep, 0.1) for _ in range(3)]  # at the limit: queued, none started
        assert pool.started == 2
        for f in [busy, *third]:
            f.result(timeout=60)
    finally:
        pool.shutdown()

