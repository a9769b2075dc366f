"""Normalize throughput on the real corpus, against a bare lxml.html parse of the same bytes."""

from __future__ import annotations

import time
from pathlib import Path

import lxml.html

from pipeline.normalize import normalize
from pipeline.text import nfkc, norm_text

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def _pages() -> list[tuple[str, bytes]]:
    files = sorted(p for p in (DATA / "corpus").iterdir() if p.suffix in (".html", ".txt", ".md") and p.name != "README.md")
    files += sorted((DATA / "fixtures").glob("*.html"))
    return [(p.name, p.read_bytes()) for p in files]


def _rate(fn, pages: list[tuple[str, bytes]], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        nfkc.cache_clear()  # each round starts cold, as a fresh crawl would
        norm_text.cache_clear()
        start = time.perf_counter()
        for name, data in pages:
            fn(name, data)
        best = min(best, time.perf_counter() - start)
    return len(pages) / best


def run(rounds: int = 5) -> str:
    pages = _pages()
    html = [p for p in pages if p[0].endswith(".html")]
    mb = sum(len(d) for _, d in pages) / 2**20

    def bare(_name: str, data: bytes) -> None:
        lxml.html.document_fromstring(data)

    def ours(name: str, data: bytes) -> None:
        normalize(data, filename=name)

    lxml_html = _rate(bare, html, rounds)
    ours_html = _rate(ours, html, rounds)
    ours_all = _rate(ours, pages, rounds)
    rows = [
        "## Normalize",
        "",
        f"`python -m benchmarks.run normalize`: {len(pages)} real pages ({len(html)} HTML, {mb:.1f} MB in all) from "
        f"tests/data/corpus and the two seed fixtures, best of {rounds} rounds, one process.",
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
