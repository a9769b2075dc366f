"""Writer processes started as the crawl needs them, up to POLICYWATCH_WRITERS.

A polite crawl of a real site brings a batch every few seconds, which one writer handles in
milliseconds; a second writer would only hold 50 MB and a second of start-up CPU. A crawl at
full speed (a local mirror, the benchmark) brings the next batch while the last is still being
written, and then a second writer earns its keep. So the pool starts one writer when the crawl
opens and another only when a batch arrives while every started writer has one in hand.

Each writer is a one-process executor of its own, so that the pool, not the executor's
scheduling, decides when a process starts. Spawned, not forked: the crawl process has Twisted's
threads, which a forked child would inherit stopped.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from crawler import writer

T = TypeVar("T")


class WriterPool:
    def __init__(self, size: int, database_url: str):
        self.size = max(1, size)
        self.database_url = database_url
        self._writers: list[ProcessPoolExecutor] = []
        self._in_hand: list[int] = []  # tasks submitted and not yet done, per writer
        self._lock = threading.Lock()  # done-callbacks run in the executors' threads
        self._start()

    @property
    def started(self) -> int:
        """How many writer processes this crawl has started."""
        return len(self._writers)

    def _start(self) -> int:
        executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=writer.init,
            initargs=(self.database_url, os.getpid()),
        )
        # Imports (about a second) while the spider fetches; not counted as a task in hand, so a
        # batch arriving meanwhile waits for this writer instead of starting another that would
        # have to import as well.
        executor.submit(writer.warm_up)
        self._writers.append(executor)
        self._in_hand.append(0)
        return len(self._writers) - 1

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
        future = self._writers[i].submit(fn, *args)
        future.add_done_callback(lambda _f, i=i: self._done(i))
        return future

    def _done(self, i: int) -> None:
        with self._lock:
            self._in_hand[i] -= 1

    def shutdown(self) -> None:
        for executor in self._writers:
            executor.shutdown(wait=True)
