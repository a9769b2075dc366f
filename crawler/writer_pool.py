"""Writer processes started as the crawl needs them, up to POLICYWATCH_WRITERS.

A polite crawl of a real site brings a batch every few seconds, which one writer handles in
milliseconds; a second writer would only hold 50 MB and a second of start-up CPU. A crawl at
full speed (a local mirror, the benchmark) brings the next batch while the last is still being
written, and then a second writer earns its keep, if it has a core of its own (the pipeline
asks for no more writers than the cores but one). So the pool starts a writer when warmed (the
pipeline does so when the spider opens on a site the database knows nothing of, else on the
first page that needs normalizing) or on the first batch it is given, and another only when a
batch arrives while every started writer has one in hand. A recrawl of an unchanged site gives it none: its 304s need no normalizer, and the pipeline records
them in the crawl process (crawler.pipelines), so no writer (2.5 s of imports, 70-110 MB, and
multiprocessing's resource tracker) is started for them.

Each writer is a one-process executor of its own, so that the pool, not the executor's
scheduling, decides when a process starts. Spawned, not forked: the crawl process has Twisted's
threads, which a forked child would inherit stopped.

A writer that dies (the OOM killer, a crash) breaks its executor: the batches it had in hand
fail (the pipeline counts their pages as errors) and the next batch goes to a new writer in its
place, so one dead process costs its batches, not the rest of the crawl.

A first crawl's writer may be started before Scrapy is even imported (start_early, called by
crawler.launch when the site has no document yet): the pool of the crawl then takes that process
as its first writer instead of spawning one when the spider opens.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from crawler import writer

T = TypeVar("T")


_early: tuple[str, ProcessPoolExecutor] | None = None  # (database URL, writer) from start_early


def _executor(database_url: str) -> ProcessPoolExecutor:
    executor = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=writer.init,
        initargs=(database_url, os.getpid()),
    )
    # Imports (about a second) before the batch that started it; not counted as a task in
    # hand, so a batch arriving meanwhile waits for this writer instead of starting another
    # that would have to import as well.
    executor.submit(writer.warm_up)
    return executor


def start_early(database_url: str) -> None:
    """Start a writer for `database_url` now; the first WriterPool of this process for the same
    URL takes it as its first writer (discard_early ends it if none does)."""
    global _early
    if _early is None:
        _early = (database_url, _executor(database_url))


def _take_early(database_url: str) -> ProcessPoolExecutor | None:
    global _early
    if _early is not None and _early[0] == database_url:
        executor, _early = _early[1], None
        return executor
    discard_early()  # none, or one for another database: of no use here
    return None


def discard_early() -> None:
    """End a writer started early that no pool took (the crawl stopped before it needed one)."""
    global _early
    if _early is not None:
        _early[1].shutdown(wait=False, cancel_futures=True)
        _early = None


class WriterPool:
    def __init__(self, size: int, database_url: str):
        self.size = max(1, size)
        self.database_url = database_url
        self._writers: list[ProcessPoolExecutor] = []
        self._in_hand: list[int] = []  # tasks submitted and not yet done, per writer
        self._retired: list[ProcessPoolExecutor] = []  # broken writers, replaced
        self._lock = threading.Lock()  # done-callbacks run in the executors' threads
        self.took_early = False  # the first writer was start_early's

    @property
    def started(self) -> int:
        """How many writer processes this crawl has started (replacements included)."""
        return len(self._writers) + len(self._retired)

    @property
    def running(self) -> int:
        """How many writer processes can take a batch now (started, and not replaced)."""
        return len(self._writers)

    def _new(self) -> ProcessPoolExecutor:
        early = _take_early(self.database_url)
        if early is not None:
            self.took_early = True
            return early
        return _executor(self.database_url)

    def warm(self) -> None:
        """Start the first writer now, if none is started: the crawl has fetched a page that will
        need it, and the writer imports while the rest of that page's batch is fetched."""
        with self._lock:
            if not self._writers:
                self._start()

    def _start(self) -> int:
        self._writers.append(self._new())
        self._in_hand.append(0)
        return len(self._writers) - 1

    def _replace(self, i: int, broken: ProcessPoolExecutor) -> None:
        """Writer i died: a new process takes its place (once, however many batches notice)."""
        with self._lock:
            if self._writers[i] is not broken:
                return
            self._retired.append(broken)
            self._writers[i] = self._new()
            self._in_hand[i] = 0

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run fn(*args) in an idle writer; start one if none is idle and the pool may grow;
        else queue it behind the writer with the fewest tasks in hand."""
        with self._lock:
            idle = [i for i, n in enumerate(self._in_hand) if n == 0]
            if idle:
                i = idle[0]
            elif len(self._writers) < self.size:
                i = self._start()
            else:
                i = min(range(len(self._writers)), key=self._in_hand.__getitem__)
            self._in_hand[i] += 1
            executor = self._writers[i]
        try:
            future = executor.submit(fn, *args)
        except BrokenProcessPool:
            self._replace(i, executor)
            with self._lock:
                executor = self._writers[i]
                self._in_hand[i] += 1
            future = executor.submit(fn, *args)
        future.add_done_callback(lambda _f, i=i, executor=executor: self._done(i, executor))
        return future

    def _done(self, i: int, executor: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._writers[i] is executor:  # not a late callback of a replaced writer
                self._in_hand[i] -= 1

    def shutdown(self) -> None:
        for executor in self._retired:
            executor.shutdown(wait=False, cancel_futures=True)
        for executor in self._writers:
            executor.shutdown(wait=True)
