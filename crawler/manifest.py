"""What the last good crawl of a site fetched, and how each page answered: the revalidation
pre-check's plan (crawler.revalidate).

The spider notes every list and detail page it fetched (`Recorder`); when the run ends ok, the
pipeline writes them to `<HTTPCACHE_DIR>/<site>.revalidate.json` with the run's id, and any
other ending removes the file. The pre-check may then ask the same pages again with the same
validators: if each one answers as before (304, or the 404 after a static listing's last page),
the listing is the one that run parsed and every document is the version it stored, so the full
crawl would record nothing but touches.

A run is not fit for this (the file is removed, and the next run is a full crawl) when the
pre-check could not ask the same questions: a list request that is not a plain GET, a
redirect, a page without ETag or Last-Modified, a detail page that answered 404/410, a list
fallback, attachments to fetch, pages rendered in a browser. The site's [[sites]] table is
fingerprinted into the file: a changed site configuration needs a full crawl.

Standard library only: the pre-check reads this without Scrapy.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
LIST, DETAIL = "list", "detail"
SKIPPED = "skipped"  # a page robots.txt forbade: if it now allows it, the crawl would fetch it
END_OF_LISTING = 404  # the page after a static listing's last one


@dataclass(frozen=True)
class Answer:
    url: str
    kind: str  # LIST, DETAIL or SKIPPED
    status: int  # 200 (fetched in full or revalidated), END_OF_LISTING, or 0 (SKIPPED)
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Manifest:
    site: str
    run_id: int
    database: str  # db_key() of the database the run recorded into
    site_table: str  # site_fingerprint() of its [[sites]] table
    answers: list[Answer] = field(default_factory=list)


class Recorder:
    """The spider's notes of one run: every page's answer, or why the run cannot be replayed."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.unfit = ""  # the first reason, "" while the run is fit

    def refuse(self, why: str) -> None:
        self.unfit = self.unfit or why

    def skip(self, url: str) -> None:
        self.answers.setdefault(url, Answer(url, SKIPPED, 0))

    def add(self, kind: str, url: str, status: int, headers: Any, *, method: str = "GET", redirected: bool = False) -> None:
        if self.unfit:
            return
        if method != "GET":
            return self.refuse(f"a {kind} request is a {method}: {url}")
        if redirected:
            return self.refuse(f"a {kind} page redirects: {url}")
        etag, modified = _header(headers, "ETag"), _header(headers, "Last-Modified")
        if status == 200 and not (etag or modified):
            return self.refuse(f"a {kind} page has no ETag or Last-Modified: {url}")
        self.answers[url] = Answer(url, kind, status, etag, modified)


def _header(headers: Any, name: str) -> str | None:
    value = headers.get(name) if headers is not None else None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return value or None


def path_for(cache_dir: str | Path, site: str) -> Path:
    return Path(cache_dir) / f"{site}.revalidate.json"


def db_key(database_url: str) -> str:
    """Which database a manifest belongs to, without writing its URL (and password) to disk."""
    return hashlib.sha256(database_url.encode()).hexdigest()[:32]


def site_fingerprint(table: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(table, sort_keys=True, default=str).encode()).hexdigest()[:32]


def write(path: Path, manifest: Manifest) -> None:
    """Atomically: a reader sees the old file or the new one, never half of one."""
    data = {
        "format": FORMAT,
        "site": manifest.site,
        "run_id": manifest.run_id,
        "database": manifest.database,
        "site_table": manifest.site_table,
        "answers": [[a.url, a.kind, a.status, a.etag, a.last_modified] for a in manifest.answers],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def read(path: Path) -> Manifest | None:
    """The manifest, or None when there is none (or it cannot be read: then a full crawl)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return None
        answers = [Answer(u, k, int(s), e, m) for u, k, s, e, m in data["answers"]]
        return Manifest(data["site"], int(data["run_id"]), data["database"], data["site_table"], answers)
    except (OSError, ValueError, KeyError, TypeError):
        return None
