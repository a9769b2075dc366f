"""A Scrapy extension the runners enable in every crawl they start: one stop request is enough.

Scrapy takes a second SIGTERM/SIGINT as "force": it stops the reactor at once, the spider is
never closed, and the crawl_run row stays `running` for ever. A crawl started by the daemon
gets SIGTERM from several senders for one reason: the daemon stopping it, systemd signalling
the whole control group, and PR_SET_PDEATHSIG, which the kernel sends again each time the
crawl is handed to another thread of a dying daemon (a SIGKILLed daemon sends it once per
thread). So after the first stop signal, a further SIGTERM is ignored; a second SIGINT
(someone pressing Ctrl-C twice at a terminal) still forces. The daemon's own limit is SIGKILL.
And whatever stops the reactor, a spider still open is closed first (its row with it).
"""

from __future__ import annotations

import signal
from typing import Any

# Runners name the extension; they must not pay for Scrapy's import to do so (the `policywatch
# crawl` process only waits on its subprocess), so Scrapy is imported when a crawl builds it.
EXTENSION = "policywatch.scheduler.crawl_signals.OneStopSignal"


class OneStopSignal:
    def __init__(self, crawler: Any):
        from scrapy import signals

        self.crawler = crawler
        self.stopping = False
        self.scrapy: dict[int, Any] = {}
        self.kill: dict[int, Any] = {}
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        from twisted.internet import reactor

        # Scrapy stops the reactor without closing a spider that was still opening (a stop
        # signal during start-up: the engine is not "running" yet), and the crawl_run row the
        # pipeline had just opened stayed `running`. The reactor waits for this Deferred.
        reactor.addSystemEventTrigger("before", "shutdown", self.close_open_spider)

    @classmethod
    def from_crawler(cls, crawler: Any) -> OneStopSignal:
        return cls(crawler)

    def close_open_spider(self) -> Any:
        from scrapy.utils.defer import deferred_from_coro

        engine = getattr(self.crawler, "engine", None)
        if engine is None or engine.spider is None or getattr(engine, "_slot", None) is None:
            return None  # closed already (the usual end), or never opened: no row to close
        return deferred_from_coro(engine.close_spider_async(reason="shutdown"))

    def engine_started(self) -> None:
        # Scrapy installs its handlers at reactor start-up, before the engine starts
        for signum in (signal.SIGTERM, signal.SIGINT):
            current = signal.getsignal(signum)
            if callable(current) and current is not self.handle:
                self.scrapy[signum] = current
                signal.signal(signum, self.handle)

    def handle(self, signum: int, frame: Any) -> None:
        if self.stopping:
            if signum == signal.SIGINT and callable(self.kill.get(signum)):
                self.kill[signum](signum, frame)  # Ctrl-C twice: Scrapy's forced stop
                return
            self.crawler.stats.inc_value("policywatch/stop_signals_ignored")  # no logging in a handler
            return
        self.stopping = True
        self.scrapy[signum](signum, frame)  # graceful stop; Scrapy now installs its kill handler
        self.kill = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
        signal.signal(signal.SIGTERM, self.handle)
        signal.signal(signal.SIGINT, self.handle)
