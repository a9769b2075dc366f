"""Change detection: accuracy on generated revisions of real pages, the real pairs, and speed.

Accuracy: every corpus page with at least 4 measures gets SEEDS revisions per recipe of
tests/revisions.py; the reported changes are scored against the known edits, per kind. The
same revisions go through a line diff (what urlwatch-style tools do: one line per measure,
label and text, Levenshtein opcodes over lines) for comparison; on chrome-only revisions the
line diff sees the page text, as those tools do.

Speed: a law-sized document of 2,000 real measures (20 per chapter) against a revision of it,
next to a bare `process.cdist` of the same 2,000 × 2,000 strings, the scoring a naive
implementation would do and the floor of any all-pairs approach.
"""

from __future__ import annotations

import csv
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/ is not an installed package

from pipeline.articles import article_events, article_label  # noqa: E402
from pipeline.compare import compare, is_text_unit  # noqa: E402
from pipeline.normalize import normalize  # noqa: E402
from pipeline.schema import Document, Measure, Section  # noqa: E402
from pipeline.text import norm_text, text_hash  # noqa: E402
from tests.revisions import (  # noqa: E402
    PAIRS,
    RECIPES,
    Generator,
    Key,
    Score,
    corpus_files,
    measure_pool,
    reported_keys,
    reword,
)

SEEDS = 3
KINDS = ("added", "removed", "modified", "moved", "split", "merged", "cosmetic")
LAW_SIZE = 2000


def _lines(doc: Document) -> tuple[list[str], list[str]]:
    """One line per measure, as a text dump shows it, and the measure path of each line."""
    ms = doc.measures()
    return [f"{m.label} {m.text}".replace("\n", " ") for m in ms], [m.path for m in ms]


def line_diff(old: Document, new: Document) -> list[Key]:
    """The baseline: changed lines become changes; a replaced block pairs its lines in order."""
    a, pa = _lines(old)
    b, pb = _lines(new)
    keys: list[Key] = []
    for tag, i1, i2, j1, j2 in Levenshtein.opcodes(a, b).as_list():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)
        keys += [("modified", pa[i1 + k], pb[j1 + k]) for k in range(paired)]
        keys += [("removed", pa[i], None) for i in range(i1 + paired, i2)]
        keys += [("added", None, pb[j]) for j in range(j1 + paired, j2)]
    return keys


_TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S | re.I)


def page_lines(source: str) -> list[str]:
    text = _TAGS.sub("\n", source)
    return [line.strip() for line in text.splitlines() if line.strip()]


def _p(score: Score, kind: str) -> str:
    """Precision, or n/a when the method never reports the kind."""
    reported = score.tp.get(kind, 0) + score.fp.get(kind, 0)
    return f"{score.precision(kind):.3f}" if reported else "n/a (never reported)"


def _accuracy() -> tuple[list[str], int]:
    bases = {p: normalize(p.read_bytes(), filename=p.name) for p in corpus_files()}
    pool = measure_pool(list(bases.values()))
    ours, base = Score(), Score()
    per_recipe: Counter[str] = Counter()
    quiet = {"ours": Counter(), "line diff": Counter()}
    skipped = 0
    started = time.perf_counter()
    compare_time = 0.0
    for path, doc in bases.items():
        if len(doc.measures()) < 4:
            continue
        own = {m.text for m in doc.measures()}
        gen = Generator(path, normalize, [t for t in pool if t not in own])
        for recipe in RECIPES:
            for seed in range(SEEDS):
                rev = gen.revision(recipe, seed)
                if rev is None:
                    skipped += 1
                    continue
                per_recipe[recipe] += 1
                t0 = time.perf_counter()
                cs = compare(rev.old, rev.new)
                compare_time += time.perf_counter() - t0
                ours.add(reported_keys(cs), rev.truth)
                base.add(line_diff(rev.old, rev.new), rev.truth)
                if recipe in ("chrome", "cosmetic"):
                    quiet["ours"][recipe] += bool(cs.reportable())
                    if recipe == "chrome" and rev.new_source:
                        before, after = page_lines(rev.old_source), page_lines(rev.new_source)
                        noisy = any(t != "equal" for t, *_ in Levenshtein.opcodes(before, after).as_list())
                    else:
                        noisy = bool(line_diff(rev.old, rev.new))
                    quiet["line diff"][recipe] += noisy
    total = sum(per_recipe.values())
    out = [
        f"{total} revisions of {sum(1 for d in bases.values() if len(d.measures()) >= 4)} corpus pages "
        f"({', '.join(f'{r} {n}' for r, n in per_recipe.items())}; {skipped} recipe/seed combinations "
        f"not applicable, e.g. no measure long enough to split). Generation + normalize + compare took "
        f"{time.perf_counter() - started:.1f} s, compare alone {compare_time:.2f} s.",
        "",
        "| kind | expected | ours: precision | ours: recall | line diff: precision | line diff: recall |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind in KINDS:
        expected = ours.tp.get(kind, 0) + ours.fn.get(kind, 0)
        out.append(
            f"| {kind} | {expected} | {_p(ours, kind)} | {ours.recall(kind):.3f} | "
            f"{_p(base, kind)} | {base.recall(kind):.3f} |"
        )
    out += [
        "",
        "Revisions that must report nothing (a digest would alert on any reported change):",
        "",
        "| recipe | revisions | ours: with a reported change | line diff: with a change |",
        "|---|---:|---:|---:|",
    ]
    for recipe in ("chrome", "cosmetic"):
        out.append(
            f"| {recipe}-only | {per_recipe[recipe]} | {quiet['ours'][recipe]} | {quiet['line diff'][recipe]} |"
        )
    return out, total


def _article_counts(summary: str) -> str:
    m = re.search(r"articles old=(\d+) new=(\d+)", summary)
    return f"{m.group(1)} → {m.group(2)}" if m else "?"


def _article_truth(pair: str) -> tuple[set[tuple[str, str | None, str | None]], dict | None] | None:
    """The article events read by hand (tests/data/pairs/expected-articles.json), if any, and the
    条 read (`checked`, for a pair read in part; None when every 条 was read)."""
    import json

    e = json.loads((PAIRS / "expected-articles.json").read_text(encoding="utf-8")).get(pair)
    if e is None:
        return None
    truth = (
        {("added", None, x) for x in e["added"]}
        | {("removed", x, None) for x in e["removed"]}
        | {("modified", o, n) for o, n in e["modified"]}
        | {("moved", o, n) for o, n in e["moved"]}
    )
    return truth, e.get("checked")


def _in_scope(events: set, scope: dict | None) -> set:
    """The events whose old or new 条 was read by hand (all of them for a pair read whole)."""
    if scope is None:
        return events
    return {e for e in events if e[1] in scope["old"] or e[2] in scope["new"]}


def _line_article_events(old: Document, new: Document) -> set[tuple[str, str | None, str | None]]:
    """The line-diff baseline at article level: a changed line names the 条 it belongs to."""
    events = set()
    labels_old = {m.path: article_label(m.label) for m in old.measures()}
    labels_new = {m.path: article_label(m.label) for m in new.measures()}
    for _kind, po, pn in line_diff(old, new):
        a, b = labels_old.get(po or "", ""), labels_new.get(pn or "", "")
        if a and b:
            events.add(("modified", a, b))
        elif a:
            events.add(("removed", a, None))
        elif b:
            events.add(("added", None, b))
    return events


def _pr(got: set, truth: set) -> str:
    tp = len(got & truth)
    p = tp / len(got) if got else 1.0
    r = tp / len(truth) if truth else 1.0
    return f"{p:.2f} / {r:.2f}"


def _pairs() -> list[str]:
    out = [
        "| pair | 条 (pairs.tsv) | measures (条/款) | added | removed | modified | moved | split | merged | cosmetic | unchanged | renumbered only | text outside measures "
        "| 条 added | 条 removed | 条 modified | 条 events read by hand | ours: 条 precision / recall | line diff: 条 events | line diff: 条 precision / recall |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    totals = {"ours": [set(), set()], "line": [set(), set()]}
    with (PAIRS / "pairs.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            a, b = PAIRS / row["old_file"], PAIRS / row["new_file"]
            old = normalize(a.read_bytes(), filename=a.name)
            new = normalize(b.read_bytes(), filename=b.name)
            cs = compare(old, new)
            k = Counter(c.kind for c in cs.changes if not is_text_unit((c.old or c.new).path))
            text = ", ".join(
                f"{c.kind} {(c.old or c.new).path}" for c in cs.changes if is_text_unit((c.old or c.new).path)
            )
            cells = " | ".join(
                str(k[x]) for x in ("added", "removed", "modified", "moved", "split", "merged", "cosmetic")
            )
            events = set(article_events(cs))
            ev = Counter(kind for kind, *_ in events)
            baseline = _line_article_events(old, new)
            read = _article_truth(row["pair_id"])
            if read is None:
                judged = "not checked | — | " + f"{len(baseline)} | —"
            else:
                truth, scope = read
                mine, theirs = _in_scope(events, scope), _in_scope(baseline, scope)
                part = "" if scope is None else f" (first {len(scope['old'])} 条 read)"
                judged = f"{len(truth)}{part} | {_pr(mine, truth)} | {len(baseline)} | {_pr(theirs, truth)}"
                for name, got in (("ours", mine), ("line", theirs)):
                    pid = row["pair_id"]
                    totals[name][0].update((pid, *e) for e in got)
                    totals[name][1].update((pid, *e) for e in truth)
            out.append(
                f"| {row['pair_id']} | {_article_counts(row['auto_diff_summary'])} | "
                f"{len(old.measures())} → {len(new.measures())} | {cells} | {cs.unchanged} | {cs.renumbered} | {text or '—'} "
                f"| {ev['added']} | {ev['removed']} | {ev['modified'] + ev['moved']} | {judged} |"
            )
    out += [
        "",
        f"条 events over the pairs read by hand: ours precision / recall {_pr(*totals['ours'])}, "
        f"line diff {_pr(*totals['line'])}.",
    ]
    return out


def law(texts: list[str], per_chapter: int = 20, titled: bool = True) -> Document:
    sections = []
    for c in range(0, len(texts), per_chapter):
        k = c // per_chapter + 1
        title = f"第{k}部分规定" if titled else ""
        s = Section(label=f"第{k}章", ordinal=k, level=1, path=str(k), title=title)
        for i, t in enumerate(texts[c : c + per_chapter]):
            n = norm_text(t)
            s.measures.append(
                Measure(
                    label=f"第{c + i + 1}条", path=f"{s.path}.{i + 1}", text=t, norm_text=n, hash=text_hash(n)
                )
            )
        sections.append(s)
    return Document(title="law", sections=sections)


def _timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _speed() -> list[str]:
    bases = [normalize(p.read_bytes(), filename=p.name) for p in corpus_files()]
    pool = sorted(set(measure_pool(bases)))
    rng = random.Random(2000)
    texts = (
        rng.sample(pool, LAW_SIZE)
        if len(pool) >= LAW_SIZE
        else (pool * (LAW_SIZE // len(pool) + 1))[:LAW_SIZE]
    )
    old = law(texts)
    # a realistic amendment: 5% reworded, 1% deleted, 1% inserted (everything after renumbered)
    edited = list(texts)
    for i in rng.sample(range(LAW_SIZE), LAW_SIZE // 20):
        edited[i] = reword(edited[i], rng)
    for i in sorted(rng.sample(range(LAW_SIZE), LAW_SIZE // 100), reverse=True):
        del edited[i]
    for _ in range(LAW_SIZE // 100):
        edited.insert(rng.randrange(len(edited)), reword(rng.choice(pool), rng) + "，另行规定")
    amended = law(edited)
    # the worst case: every measure edited, so nothing pairs by hash and all goes to cdist
    everything = law([reword(t, random.Random(i)) for i, t in enumerate(texts)])
    untitled_old = law(texts, titled=False)
    untitled_all = law([reword(t, random.Random(i)) for i, t in enumerate(texts)], titled=False)
    # the same strings compare() scores, so the ratio shows only the work around the scoring
    queries = [norm_text(t) for t in texts]
    choices_amended = [norm_text(t) for t in edited]
    choices_all = [norm_text(m.text) for m in everything.measures()]

    def bare(choices: list[str]):
        return lambda: process.cdist(queries, choices, scorer=fuzz.ratio, dtype=np.uint8, workers=-1)

    rows = [
        "| case | compare | measures/s | bare cdist 2000×2000 | compare / cdist |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, base, new, choices in (
        ("amendment (5% reworded, 1% inserted, 1% deleted)", old, amended, choices_amended),
        ("every measure reworded, titled chapters (blocked by chapter)", old, everything, choices_all),
        (
            "every measure reworded, untitled chapters (one document-wide cdist)",
            untitled_old,
            untitled_all,
            choices_all,
        ),
    ):
        t_cmp = _timed(lambda base=base, new=new: compare(base, new))
        t_cdist = _timed(bare(choices))
        n = len(old.measures()) + len(new.measures())
        rows.append(
            f"| {name} | {t_cmp:.3f} s | {n / t_cmp:,.0f} | {t_cdist:.3f} s | {t_cmp / t_cdist:.2f} |"
        )
    return rows


def run() -> str:
    accuracy, _total = _accuracy()
    parts = [
        "## Change detection (compare)",
        "",
        "Command: `make bench` (or `python -m benchmarks.run compare`); generator: `tests/revisions.py`.",
        "",
        "### Generated revisions of real pages: precision and recall per kind",
        "",
        *accuracy,
        "",
        "### Real version pairs (tests/data/pairs)",
        "",
        "xfmt-* and lawref-18 are controls (same text, other format or width): they must show no",
        "added, removed or modified measure. The 条 column is the article count of pairs.tsv; measures",
        "count each 款 of a multi-款 条 separately. Measure columns count measures only; the last column",
        "lists changes to text outside the measures (cover notice, preamble, section text, closing):",
        "the HTML controls print a preface or 公布 line that the Markdown keeps in its header, and",
        "lawref-18/old.md alone carries a 2012 preface paragraph: such one-sided text of a law is",
        "page text (`notes`), not a change. The 条 columns count article events (a 条 added, removed",
        "or changed, however many of its 款), scored against tests/data/pairs/expected-articles.json",
        "(read by hand from the texts); the line-diff baseline diffs one line per measure with",
        "rapidfuzz opcodes and names the 条 of each changed line.",
        "",
        *_pairs(),
        "",
        f"### Speed: a {LAW_SIZE}-measure law (real measures from the corpus, 20 per chapter)",
        "",
        "Best of 3; cdist with `workers=-1` and uint8 scores in both columns. measures/s counts the",
        "measures of both versions.",
        "",
        *_speed(),
    ]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(run())
