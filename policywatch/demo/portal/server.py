"""A threaded HTTP server on 127.0.0.1 (free port) serving the portal of policywatch.demo.portal.content.

    with Portal() as portal:          # state 1
        portal.url("/zq/gkmlpt/index.html")
        portal.state = 2              # the sites change; tests switch this attribute

It behaves like the CMS servers it imitates where the crawler cares: ETag and Last-Modified
on every page with `Cache-Control: no-cache`, 304 for a matching If-None-Match /
If-Modified-Since, 404 for what is gone, robots.txt. Trap pages under /traps/ exercise the
failure paths: /traps/flaky.html answers 500 the first `flaky_failures` times, /traps/big.html
is 11 MB, /traps/slow.html answers after `slow_seconds`. Every request is logged in `hits`, with
its arrival time (time.monotonic()). Tests may also replace robots.txt (`robots_txt`), a page
(`overrides`, path -> Resource), make a path answer an error status (`errors`, path -> status)
or every path under a prefix answer 404 (`gone_prefix`). The sites that need a browser (/js/,
/rs/) and the anti-bot gates (/waf/, /loop/, /ct/) are policywatch.demo.portal.js_sites.

Outages, switched on by tests: `fail_status = 503` (or 429, 500, ...) answers every request
with that status, robots.txt included; `gone` holds paths that answer 404 while their listing
still links them.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from policywatch.demo.portal import content, families, js_sites

BIG_BYTES = 11 * 1024 * 1024
_EPOCH = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)


@dataclass
class Hit:
    path: str
    status: int
    headers: dict[str, str]
    at: float = 0.0  # time.monotonic() when the request arrived


class _Server(ThreadingHTTPServer):
    # socketserver's backlog of 5 overflows when 16 crawler connections open at once: the
    # kernel drops the SYN and the client waits a 1-3 s retransmit, which made crawl timings
    # bimodal. Real CMS front ends (nginx) listen with 511.
    request_queue_size = 128
    daemon_threads = True  # a slow page must not hold up stop()


class Portal:
    def __init__(self, state: int = 1, *, slow_seconds: float = 10.0, flaky_failures: int = 1, bulk: int = 0):
        self.state = state
        self.bulk = bulk  # generated notices under /bulk/ (benchmarks)
        self.slow_seconds = slow_seconds
        self.flaky_failures = flaky_failures
        self.fail_status: int | None = None  # every request answers this (an outage)
        self.gone: set[str] = set()  # paths answering 404 though still listed
        self.search_blocked = False  # the channel search answers a 412 challenge (policywatch.demo.portal.families)
        self.hits: list[Hit] = []
        self.robots_txt = content.ROBOTS_TXT
        self.overrides: dict[str, content.Resource] = {}
        self.gone_prefix: str | None = None
        self.errors: dict[str, int] = {}  # path -> status it answers instead (500, 503, ...)
        self._lock = threading.Lock()
        self._pages: dict[int, dict[str, content.Resource]] = {}
        self._first_seen: dict[tuple[str, str], int] = {}  # (path, etag) -> state it appeared in
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Portal:
        handler = type("Handler", (_Handler,), {"portal": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="portal", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Portal:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base(self) -> str:
        assert self._server is not None, "start() the portal first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    # -- content -----------------------------------------------------------------------------

    def pages(self, state: int | None = None) -> dict[str, content.Resource]:
        state = self.state if state is None else state
        with self._lock:
            if state not in self._pages:
                self._pages[state] = content.site_pages(state)
                if self.bulk:
                    self._pages[state].update(content.bulk_pages(self.bulk, state))
            return self._pages[state]

    def validators(self, path: str, body: bytes) -> tuple[str, datetime]:
        """ETag of the bytes; Last-Modified = the day of the state these bytes first appeared in."""
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        with self._lock:
            first = self._first_seen.setdefault((path, etag), self.state)
        return etag, _EPOCH + timedelta(days=first)

    def requested(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]

    def statuses(self, path: str) -> list[int]:
        return [h.status for h in self.requested(path)]


class _Handler(BaseHTTPRequestHandler):
    portal: Portal
    protocol_version = "HTTP/1.1"
    server_version = "nginx"  # what these sites send; hides BaseHTTP's Python version
    sys_version = ""
    # headers and body go out in two writes; with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms on loopback) on every keep-alive response. nginx sets tcp_nodelay.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the hits list is the log
        pass

    def _hit(self, status: int) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.portal.hits.append(Hit(self.path, status, headers, self._arrived))

    def parse_request(self) -> bool:
        self._arrived = time.monotonic()  # before the handler's work: what a server access log stamps
        return super().parse_request()

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        try:
            if self.portal.fail_status is not None:
                status = self.portal.fail_status
                return self._send(status, f"<html><body>{status}</body></html>".encode(), "text/html")
            if path == "/robots.txt":
                return self._send(200, self.portal.robots_txt.encode(), "text/plain; charset=utf-8")
            if path.startswith("/traps/"):
                return self._trap(path)
            if js_sites.answer(self.portal, self, path):  # browser-only sites and anti-bot gates
                return None
            if path in self.portal.errors:
                return self._send(self.portal.errors[path], b"<html><body>error</body></html>", "text/html")
            if self._family_api("GET", b""):
                return None
            gone = self.portal.gone_prefix is not None and path.startswith(self.portal.gone_prefix)
            resource = None if gone else self.portal.overrides.get(path) or self.portal.pages().get(path)
            if resource is None or path in self.portal.gone:
                return self._send(
                    404,
                    "<html><body><h1>404 页面不存在</h1></body></html>".encode(),
                    "text/html; charset=utf-8",
                )
            self._conditional(path, resource)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler gave up on this response (timeout, size limit): fine

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            if not self._family_api("POST", body):
                self._send(405, b"method not allowed", "text/plain")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _family_api(self, method: str, body: bytes) -> bool:
        """The list APIs of policywatch.demo.portal.families (gkmlpt JSON, dataproxy.jsp, channel search)."""
        found = families.answer(self.portal, method, self.path, body)
        if found is None:
            return False
        status, resource = found
        if status == 200 and method == "GET":
            self._conditional(self.path, resource)
        else:
            self._send(status, resource.body, resource.content_type)
        return True

    def _conditional(self, path: str, resource: content.Resource) -> None:
        etag, modified = self.portal.validators(path, resource.body)
        headers = {
            "ETag": etag,
            "Last-Modified": format_datetime(modified, usegmt=True),
            "Cache-Control": "no-cache",  # many CMSs send it; the crawler must still revalidate
        }
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        fresh = False
        if inm is not None:
            fresh = etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        elif ims:
            try:
                fresh = parsedate_to_datetime(ims) >= modified
            except (TypeError, ValueError):
                fresh = False
        if fresh:
            return self._send(304, b"", None, headers)
        self._send(200, resource.body, resource.content_type, headers)

    def _trap(self, path: str) -> None:
        p = self.portal
        if path == "/traps/index.html":
            links = "".join(f'<li><a href="{n}.html">{n}</a></li>' for n in ("ok", "flaky", "big", "slow"))
            return self._send(
                200,
                f"<html><body><ul class='list'>{links}</ul></body></html>".encode(),
                "text/html; charset=utf-8",
            )
        if path == "/traps/ok.html":
            return self._send(200, _trap_doc("可靠页面"), "text/html; charset=utf-8")
        if path == "/traps/flaky.html":
            failures = sum(1 for h in p.requested(path) if h.status == 500)
            if failures < p.flaky_failures:
                return self._send(500, b"<html><body>Internal Server Error</body></html>", "text/html")
            return self._send(200, _trap_doc("偶尔出错的页面"), "text/html; charset=utf-8")
        if path == "/traps/big.html":
            return self._big()
        if path == "/traps/slow.html":
            self._hit(0)  # logged on arrival: the crawler may be gone before the answer
            p._stopping.wait(p.slow_seconds)
            return self._send(200, _trap_doc("很慢的页面"), "text/html; charset=utf-8", log=False)
        self._send(404, b"not found", "text/plain")

    def _big(self) -> None:
        self._hit(200)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(BIG_BYTES))
        self.end_headers()
        chunk = ("<p>" + "大" * 20000 + "</p>").encode()
        sent = 0
        while sent < BIG_BYTES:
            piece = chunk[: BIG_BYTES - sent]
            self.wfile.write(piece)
            sent += len(piece)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
        *,
        log: bool = True,
    ) -> None:
        if log:
            self._hit(status)
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


def _trap_doc(title: str) -> bytes:
    # a 文号 of its own per page: storage treats pages sharing 文号 + publisher as one document
    number = f"测试〔2025〕{int(hashlib.sha1(title.encode()).hexdigest()[:4], 16)}号"
    return content.notice(title, number, "2025-06-01", [f"{title}的第一项措施。", f"{title}的第二项措施。"])
