"""crawler.writer_pool: writer processes start as the crawl needs them, real spawned processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.writer_pool import WriterPool


def _children_of_this_process() -> list[int]:
    return [int(p) for t in Path("/proc/self/task").iterdir() for p in (t / "children").read_text().split()]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_no_writer_starts_before_the_crawl_has_work_for_one(tmp_path):
    """A recheck of an unchanged site gives the pool nothing: it must cost no process."""
    before = set(_children_of_this_process())
    pool = WriterPool(2, f"sqlite:///{tmp_path / 'pw.db'}")
    try:
        assert pool.started == 0 and set(_children_of_this_process()) == before
        pool.warm()
        pool.warm()  # once started, warming again starts nothing
        assert pool.started == 1
        pool.submit(os.getpid).result(timeout=60)  # the warmed writer takes the first batch
        assert pool.started == 1
    finally:
        pool.shutdown()


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


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits to be read


PARENT = """
import os, sys, time
sys.path.insert(0, {root!r})
from crawler.writer_pool import WriterPool
pool = WriterPool(1, {url!r})
print(pool.submit(os.getpid).result(timeout=60), flush=True)
time.sleep(120)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_writer_ends_with_its_crawl_process_even_when_that_is_killed(tmp_path):
    """The scheduler SIGKILLs a crawl that outlives its time limit; its writers must not stay."""
    code = PARENT.format(root=str(Path(__file__).resolve().parent.parent), url=f"sqlite:///{tmp_path / 'pw.db'}")
    crawl = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        writer_pid = int(crawl.stdout.readline())
        assert _alive(writer_pid)
    finally:
        crawl.kill()
        crawl.wait()
    for _ in range(100):
        if not _alive(writer_pid):
            break
        time.sleep(0.1)
    else:
        os.kill(writer_pid, signal.SIGKILL)
        pytest.fail(f"writer {writer_pid} outlived its killed crawl process")


def test_a_writer_killed_fails_its_batches_and_a_new_writer_takes_the_next(tmp_path):
    from concurrent.futures.process import BrokenProcessPool

    pool = WriterPool(1, f"sqlite:///{tmp_path / 'pw.db'}")
    try:
        victim = pool.submit(os.getpid).result(timeout=60)
        in_hand = pool.submit(time.sleep, 30)
        time.sleep(0.5)  # it is sleeping in the writer
        os.kill(victim, signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):  # the batch in hand fails: the pipeline counts it
            in_hand.result(timeout=60)
        successor = pool.submit(os.getpid).result(timeout=60)
        assert successor != victim and pool.started == 2
        assert pool.submit(os.getpid).result(timeout=60) == successor  # one replacement, reused
    finally:
        pool.shutdown()
