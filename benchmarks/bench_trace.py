"""Implementation tracing: accuracy on the hand-checked article correspondences, and speed.

Accuracy: tests/data/pairs-implementation/expected-trace.json (national law article -> the local
办法 article adopting it, or none, read from both texts). `trace` against the naive tracer a bare
`process.cdist` gives: each source article's best-scoring local article by plain `fuzz.ratio`
when that reaches the same threshold (no folding, no 款, no one-to-one pairing).

Speed: the six real national/local pairs, documents already normalized; `trace` from the two
Documents (units, two folded cdists, assignment, classification, inline diffs) against a bare
`process.cdist` of the same article texts, given ready-made (the floor of any all-pairs tracer).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from pipeline.normalize import normalize
from pipeline.text import norm_text
from pipeline.trace import TRACE_THRESHOLD, trace, units

PAIRS = Path(__file__).resolve().parent.parent / "tests" / "data" / "pairs-implementation"
ALL = [
    ("national-yiwu-jiaoyu-fa-2018.md", "shanghai-yiwu-jiaoyu-2009.md"),
    ("national-yiwu-jiaoyu-fa-2018.md", "shanghai-yiwu-jiaoyu-2024.md"),
    ("national-yiwu-jiaoyu-fa-2018.md", "beijing-yiwu-jiaoyu.md"),
    ("national-nongmin-hezuoshe-fa-2017.md", "shanghai-hezuoshe-2020.md"),
    ("national-nongmin-hezuoshe-fa-2017.md", "chongqing-hezuoshe-2022.md"),
    ("national-nongmin-hezuoshe-fa-2017.md", "beijing-hezuoshe.md"),
]


def _doc(name: str, cache: dict = {}):  # noqa: B006 - a module-level memo of normalized texts
    if name not in cache:
        cache[name] = normalize((PAIRS / name).read_bytes(), filename=name)
    return cache[name]


def texts(source, local) -> tuple[list[str], list[str]]:
    return [norm_text(u.text) for u in units(source)], [norm_text(u.text) for u in units(local)]


def bare_cdist(source_texts: list[str], local_texts: list[str], workers: int = 1) -> np.ndarray:
    return process.cdist(source_texts, local_texts, scorer=fuzz.ratio, dtype=np.float32, workers=workers)


def bare_cdist_all_cores(source_texts: list[str], local_texts: list[str]) -> np.ndarray:
    return bare_cdist(source_texts, local_texts, workers=-1)


def naive_trace(source, local) -> dict[str, str | None]:
    """Best plain-ratio local article of each source article, when it reaches the threshold."""
    su, lu = units(source), units(local)
    scores = bare_cdist(*texts(source, local))
    out: dict[str, str | None] = {}
    for i, u in enumerate(su):
        j = int(scores[i].argmax()) if len(lu) else -1
        out[u.label] = lu[j].label if j >= 0 and scores[i, j] >= TRACE_THRESHOLD else None
    return out


def _ours(source, local) -> dict[str, str | None]:
    return {a.source.label: a.local.label if a.local else None for a in trace(source, local).adoptions}


def accuracy(fn, held_out: bool) -> tuple[float, float, int, int]:
    expected = json.loads((PAIRS / "expected-trace.json").read_text("utf-8"))
    tp = predicted = adopted = 0
    for pair in expected["pairs"]:
        if pair.get("held_out", False) != held_out:
            continue
        got = fn(_doc(pair["source"]), _doc(pair["local"]))
        for e in pair["entries"]:
            pred = got[e["source"]]
            predicted += pred is not None
            adopted += e["local"] is not None
            tp += pred is not None and e["local"] is not None and (pred == e["local"] or pred in e["also"])
    return tp / max(predicted, 1), tp / max(adopted, 1), tp, adopted


def _rates(fns, inputs, rounds: int) -> list[float]:
    """Best seconds per run over all six pairs, rounds interleaved so load weighs on each alike."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            start = time.perf_counter()
            for a, b in inputs[k]:
                fn(a, b)
            best[k] = min(best[k], time.perf_counter() - start)
    return best


def run(rounds: int = 20) -> str:
    articles = sum(len(units(_doc(s))) * len(units(_doc(loc))) for s, loc in ALL)
    docs = [(_doc(s), _doc(loc)) for s, loc in ALL]
    ready = [texts(s, loc) for s, loc in docs]
    t_bare, t_all, t_ours = _rates((bare_cdist, bare_cdist_all_cores, trace), (ready, ready, docs), rounds)
    rows = [
        "## Trace (national law -> local 实施办法)",
        "",
        f"`python -m benchmarks.run trace`: the six real pairs of tests/data/pairs-implementation "
        f"({articles:,} article pairs in all), documents normalized beforehand, best of {rounds} "
        "interleaved rounds; the bare cdist is given the article texts ready-made, `trace` starts from the Documents "
        "(its cdists use all cores above 4,096 cells, as compare's do).",
        "",
        "| what | ms for the six pairs | ratio to bare cdist |",
        "|---|---:|---:|",
        f"| bare `process.cdist(fuzz.ratio)` of the same article texts, one thread | {t_bare * 1000:.1f} | 1.00 |",
        f"| the same, `workers=-1` | {t_all * 1000:.1f} | {t_all / t_bare:.2f} |",
        f"| `trace` (folded 条 and 款 scores, `align.assign`, identical/adapted/absent, inline diffs) | {t_ours * 1000:.1f} | "
        f"{t_ours / t_bare:.2f} |",
        "",
        "Hand-checked correspondences (expected-trace.json; a prediction is right when it names the local article "
        "read as adopting the source article, or one that takes a part of it):",
        "",
        "| tracer | pairs | precision | recall |",
        "|---|---|---:|---:|",
    ]
    for held_out, what in ((False, "Shanghai 义务教育 2024, Shanghai 合作社 2020 (tuned on)"), (True, "Beijing 义务教育, Chongqing 合作社 2022 (held out)")):
        for name, fn in (("`trace`", _ours), (f"bare cdist argmax ≥ {TRACE_THRESHOLD:.0f}", naive_trace)):
            p, r, tp, adopted = accuracy(fn, held_out)
            rows.append(f"| {name} | {what} | {p:.3f} | {r:.3f} ({tp}/{adopted}) |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(run())
