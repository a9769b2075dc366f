"""Normalize throughput on the real corpus, against a bare lxml.html parse of the same bytes."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import lxml.html

from pipeline.normalize import normalize
from policywatch.demo import PAGES

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def _pages() -> list[tuple[str, bytes]]:
    files = sorted(p for p in (DATA / "corpus").iterdir() if p.suffix in (".html", ".txt", ".md") and p.name != "README.md")
    files += sorted(PAGES.glob("*.html"))
    return [(p.name, p.read_bytes()) for p in files]


def _clear_caches() -> None:
    """Empty every memo of the normalizer (nfkc, norm_text, parse_marker…): each round starts cold,
    as a fresh crawl would, so a later round is not helped by the lines an earlier one cached."""
    for name, module in list(sys.modules.items()):
        if name.startswith("pipeline.") and module is not None:
            for value in vars(module).values():
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def _round(fn, pages: list[tuple[str, bytes]]) -> float:
    _clear_caches()
    start = time.perf_counter()
    for name, data in pages:
        fn(name, data)
    return time.perf_counter() - start


def _rates(fns, pages_of, rounds: int) -> list[float]:
    """Pages/s of each function, best of `rounds`; the rounds of all of them are interleaved, so
    a change in the machine's load during the run weighs on every one alike."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            best[k] = min(best[k], _round(fn, pages_of[k]))
    return [len(pages_of[k]) / best[k] for k in range(len(fns))]


def run(rounds: int = 5) -> str:
    pages = _pages()
    html = [p for p in pages if p[0].endswith(".html")]
    mb = sum(len(d) for _, d in pages) / 2**20

    def bare(_name: str, data: bytes) -> None:
        lxml.html.document_fromstring(data)

    def ours(name: str, data: bytes) -> None:
        normalize(data, filename=name)

    lxml_html, ours_html, ours_all = _rates((bare, ours, ours), (html, html, pages), rounds)
    rows = [
        "## Normalize",
        "",
        f"`python -m benchmarks.run normalize`: {len(pages)} real pages ({len(html)} HTML, {mb:.1f} MB in all) from "
        f"tests/data/corpus and the two seed fixtures, best of {rounds} interleaved rounds, one process, caches emptied each round.",
        "",
        "| what | pages/s | ratio to bare lxml |",
        "|---|---:|---:|",
        f"| bare `lxml.html.document_fromstring`, HTML pages | {lxml_html:.1f} | 1.00 |",
        f"| `normalize` (decode, container, metadata, structure), HTML pages | {ours_html:.1f} | {ours_html / lxml_html:.2f} |",
        f"| `normalize`, all pages incl. .txt/.md | {ours_all:.1f} | — |",
        "",
        f"Aim: at least a third of lxml's rate; measured {ours_html / lxml_html:.2f}.",
    ]
    return "\n".join(rows)
