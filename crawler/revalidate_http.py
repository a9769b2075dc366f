"""The HTTP side of the revalidation pre-check (crawler.revalidate): conditional GETs asked the
way the crawl asks them, without Scrapy.

The same user agent and default headers (crawler.politeness, the site's settings, `-s` ones),
robots.txt read with protego (Scrapy's own parser) and obeyed, Crawl-delay included (capped by
POLICYWATCH_MAX_CRAWL_DELAY); per host at most CONCURRENT_REQUESTS_PER_DOMAIN requests at
once, request starts DOWNLOAD_DELAY apart (± DOWNLOAD_DELAY_JITTER), and with AutoThrottle on
its rule for the delay (Scrapy's: a non-200 answer never lowers it). TLS certificates are not
verified, as Scrapy does not by default: the pre-check must reach what the crawl reaches.

`Asker.ask(answers)` asks every page in turn on a pool of keep-alive connections and stops at
the first one that does not answer as before; nothing is retried (the full crawl retries).
"""

from __future__ import annotations

import http.client
import random
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from crawler.manifest import Answer


@dataclass
class Politeness:
    user_agent: str
    headers: dict[str, str]
    obey_robots: bool
    robots_agent: str
    concurrency: int  # CONCURRENT_REQUESTS
    per_host: int  # CONCURRENT_REQUESTS_PER_DOMAIN
    delay: float
    jitter: float
    autothrottle: bool
    start_delay: float
    max_delay: float
    target_concurrency: float
    timeout: float
    max_crawl_delay: float


class _Slot:
    """One host's turn-taking, as Scrapy's download slot: starts `delay` apart, `per_host` at once."""

    def __init__(self, p: Politeness):
        self.p = p
        self.sem = threading.Semaphore(max(1, p.per_host))
        self.lock = threading.Lock()
        self.floor = p.delay  # never below DOWNLOAD_DELAY (nor robots.txt's Crawl-delay)
        self.delay = max(p.delay, p.start_delay) if p.autothrottle else p.delay
        self.next_at = 0.0

    def set_floor(self, crawl_delay: float) -> None:
        with self.lock:
            self.floor = max(self.floor, crawl_delay)
            self.delay = max(self.delay, self.floor)

    def wait_turn(self, stop: threading.Event) -> None:
        with self.lock:
            now = time.monotonic()
            at = max(now, self.next_at)
            gap = self.delay * random.uniform(1 - self.p.jitter, 1 + self.p.jitter) if self.p.jitter else self.delay
            self.next_at = at + gap
        if at > now:
            stop.wait(at - now)

    def answered(self, status: int, latency: float) -> None:
        if not self.p.autothrottle:
            return
        with self.lock:  # scrapy.extensions.throttle.AutoThrottle._adjust_delay
            target = latency / self.p.target_concurrency
            new = max(target, (self.delay + target) / 2.0)
            new = min(max(self.floor, new), max(self.p.max_delay, self.floor))
            if status != 200 and new <= self.delay:
                return
            self.delay = new


class Asker:
    def __init__(self, politeness: Politeness, stop: threading.Event, deadline: float):
        self.p = politeness
        self.stop = stop
        self.deadline = deadline
        self.slots: dict[str, _Slot] = {}
        self.robots: dict[str, Any] = {}
        self.requests = 0
        self.matched = 0  # pages that answered as before
        self._local = threading.local()
        self._lock = threading.Lock()
        self._tls = ssl._create_unverified_context()  # as Scrapy's default context factory

    # -- one request ---------------------------------------------------------------------------

    def get(self, url: str, extra: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """GET `url` on this thread's keep-alive connection to its host: (status, lower-cased headers, body)."""
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {**self.p.headers, "User-Agent": self.p.user_agent, "Accept-Encoding": "identity", **(extra or {})}
        for attempt in (0, 1):  # a kept-alive connection the server closed meanwhile: once more, fresh
            conn = self._connection(parts.scheme, parts.netloc, fresh=attempt > 0)
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                with self._lock:
                    self.requests += 1
                return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                conn.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _connection(self, scheme: str, netloc: str, *, fresh: bool) -> http.client.HTTPConnection:
        conns = self._local.__dict__.setdefault("conns", {})
        key = (scheme, netloc)
        if fresh or key not in conns:
            if key in conns:
                conns[key].close()
            if scheme == "https":
                conns[key] = http.client.HTTPSConnection(netloc, timeout=self.p.timeout, context=self._tls)
            else:
                conns[key] = http.client.HTTPConnection(netloc, timeout=self.p.timeout)
        return conns[key]

    def close(self) -> None:
        for conn in self._local.__dict__.get("conns", {}).values():
            conn.close()

    # -- robots.txt ----------------------------------------------------------------------------

    def read_robots(self, url: str) -> str:
        """Fetch the host's robots.txt once; "" when known, else why the crawl must decide."""
        from protego import Protego

        parts = urlsplit(url)
        netloc = parts.netloc
        if not self.p.obey_robots or netloc in self.robots:
            return ""
        try:
            status, _, body = self.get(f"{parts.scheme}://{netloc}/robots.txt")
        except (OSError, http.client.HTTPException) as e:
            return f"robots.txt of {netloc}: {type(e).__name__}: {e}"
        if status >= 500 or status == 429:
            return f"robots.txt of {netloc} answered {status}"
        self.robots[netloc] = Protego.parse(body.decode("utf-8", "replace")) if status == 200 else None
        rp = self.robots[netloc]
        delay = rp.crawl_delay(self.p.robots_agent) if rp is not None else None
        if delay:
            self.slot(netloc).set_floor(min(float(delay), self.p.max_crawl_delay))
        return ""

    def allowed(self, url: str) -> bool:
        rp = self.robots.get(urlsplit(url).netloc)
        return rp is None or rp.can_fetch(url, self.p.robots_agent)

    def slot(self, netloc: str) -> _Slot:
        with self._lock:
            return self.slots.setdefault(urlsplit(f"//{netloc}").hostname or netloc, _Slot(self.p))

    # -- the pages -----------------------------------------------------------------------------

    def ask(self, answers: list[Answer]) -> str:
        """Ask every page again; "" when each answered as before, else the first that did not."""
        todo = iter(answers)
        found: list[str] = []
        self.matched = 0
        hosts = {urlsplit(a.url).netloc for a in answers}
        workers = max(1, min(self.p.concurrency, self.p.per_host * len(hosts), len(answers)))

        def work() -> None:
            try:
                while not self.stop.is_set():
                    with self._lock:
                        answer = next(todo, None)
                    if answer is None:
                        return
                    why = self._check(answer)
                    if why:
                        with self._lock:
                            found.append(why)
                        self.stop.set()
            finally:
                self.close()  # this thread's connections

        threads = [threading.Thread(target=work, name=f"revalidate-{i}", daemon=True) for i in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if found:
            return found[0]
        return "" if self.matched == len(answers) else "stopped before every page was asked"

    def _check(self, answer: Answer) -> str:
        if time.monotonic() > self.deadline:
            return "the time limit came before every page was asked"
        if not self.allowed(answer.url):
            return f"robots.txt now forbids {answer.url}"
        extra = {}
        if answer.status == 200:
            if answer.etag:
                extra["If-None-Match"] = answer.etag
            if answer.last_modified:
                extra["If-Modified-Since"] = answer.last_modified
        slot = self.slot(urlsplit(answer.url).netloc)
        with slot.sem:
            slot.wait_turn(self.stop)
            if self.stop.is_set():
                return ""
            started = time.monotonic()
            try:
                status, headers, _ = self.get(answer.url, extra)
            except (OSError, http.client.HTTPException) as e:
                return f"{answer.url}: {type(e).__name__}: {e}"
            slot.answered(status, time.monotonic() - started)
        expected = 304 if answer.status == 200 else answer.status
        if status != expected:
            return f"http {status} for {answer.url}"
        if status == 304 and any(
            headers.get(name) not in (None, sent) for name, sent in (("etag", answer.etag), ("last-modified", answer.last_modified))
        ):
            return f"a 304 with other validators for {answer.url}"
        with self._lock:
            self.matched += 1
        return ""
