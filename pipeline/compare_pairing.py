"""Pairing old and new measures, cheapest first: equal texts, grown ones, in order inside the
gaps between identical pairs, by fuzzy score, then splits, merges and moves (compare's steps 1-5).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import pairwise

import numpy as np
from rapidfuzz import fuzz, process

from pipeline.align import align_in_order, assign, longest_increasing
from pipeline.compare_units import _Item, _Pair, _paragraphs
from pipeline.schema import Document
from pipeline.text import norm_text

MATCH_THRESHOLD = 55.0
"""fuzz.ratio at or above which two measures may be the same measure, edited.

fuzz.ratio between distinct articles of one law sits mostly below 45 (shared function words
and 本办法/应当 phrasing); real amendments of one article stay above 60. Tuned on the
revision benchmark and the real pairs (BENCHMARKS.md).
"""

SPLIT_GAIN = 8.0
"""How much better the concatenation must align than the single part to call it a split/merge."""

SPLIT_MIN = 75.0
"""The concatenation must also look like the same measure (fuzz.ratio) on its own."""

CONTAINED = 85.0
"""fuzz.partial_ratio of an extra part inside the other side: it was cut out of it."""

GAP_FLOOR = 40.0
"""fuzz.ratio at or above which a provision rewritten in place pairs with its successor.

A provision rewritten in place keeps its place between paired neighbours but can fall well
below MATCH_THRESHOLD (屠宰生猪，应当符合…操作规程和技术要求 -> …应当遵守…操作规程、技术要求
和…). On the real pairs (tests/data/pairs) every same-rank pair of a small gap scores 40.0-54.4
and reads, by hand, as the same provision rewritten; same-rank neighbours that are unrelated
provisions (a new article replacing another in a long rewritten run) score 21-34.
"""

GAP_PAIR_BONUS = 30.0
"""What pairing in order is worth against similarity in a gap: two order-keeping pairs at 50
beat one crossing pair at 68 (look-alike penalty articles)."""

GAP_IN_PLACE = 3
"""Largest gap (unpaired measures per side) read as provisions rewritten in place."""

GAP_BLOCK = 2500
"""A gap with more cells than this is aligned per mapped section, keeping cdist small."""

SMALL_CDIST = 4096
"""Below this many cells, cdist runs on one thread (thread start-up costs more than it saves)."""


def _pair_grown(olds: list[_Item], news: list[_Item], pairs: dict[int, _Pair]) -> None:
    """Pair a measure with its counterpart that kept all its paragraphs and gained more after them.

    An unnumbered paragraph printed after an item (（二）…, then a paragraph of its own) is read
    into that item's text by the normalizer, so the new （二） is the old one plus a paragraph.
    That is the old measure kept whole and a paragraph added, however long the paragraph (the
    fuzzy score falls below MATCH_THRESHOLD when it is longer than the item). The reverse, a
    trailing paragraph deleted, pairs the same way ("shrunk").
    """
    taken_new = {p.new for p in pairs.values()}
    for how, short_side, long_side in (("grown", olds, news), ("shrunk", news, olds)):
        taken_short = set(pairs) if how == "grown" else taken_new
        taken_long = taken_new if how == "grown" else set(pairs)
        whole: dict[str, list[_Item]] = defaultdict(list)
        for it in short_side:
            if it.idx not in taken_short and not it.text_unit:
                whole["\n".join(_paragraphs(it.measure))].append(it)
        heads: dict[str, list[_Item]] = defaultdict(list)
        for it in long_side:
            if it.idx in taken_long or it.text_unit:
                continue
            paras = _paragraphs(it.measure)
            for k in range(1, len(paras)):
                heads["\n".join(paras[:k])].append(it)
        # the longest kept text first: "X" must not take the partner of "X / Y"
        for key in sorted(whole, key=len, reverse=True):
            short, longs = whole[key], [it for it in heads.get(key, []) if it.idx not in taken_long]
            if len(short) != 1 or len(longs) != 1 or not key:
                continue  # repeated text: no way to tell which copy grew
            a, b = (short[0], longs[0]) if how == "grown" else (longs[0], short[0])
            pairs[a.idx] = _Pair(a.idx, b.idx, fuzz.ratio(a.norm, b.norm), how)
            taken_long.add(longs[0].idx)
            taken_short.add(short[0].idx)


def _pair_equal(olds: list[_Item], news: list[_Item], key: str, pairs: dict[int, _Pair]) -> None:
    """Pair measures with equal `key` text.

    A text printed once on each side pairs at once. Repeated texts (the same 申请表 line in
    three materials lists) pair by context: same neighbours, same section title, then the
    nearest position, so a merge or deletion next to one copy does not shift the others.
    """
    how = "exact" if key == "norm" else "bare"
    taken_new = {p.new for p in pairs.values()}
    old_by: dict[str, list[_Item]] = defaultdict(list)
    new_by: dict[str, list[_Item]] = defaultdict(list)
    for it in olds:
        if it.idx not in pairs:
            old_by[getattr(it, key)].append(it)
    for it in news:
        if it.idx not in taken_new:
            new_by[getattr(it, key)].append(it)
    for k, group_old in old_by.items():
        group_new = new_by.get(k)
        if not group_new:
            continue
        if len(group_old) == 1 and len(group_new) == 1:
            pairs[group_old[0].idx] = _Pair(group_old[0].idx, group_new[0].idx, 100.0, how)
            continue
        scored = []
        for o in group_old:
            for n in group_new:
                context = _neighbour_agreement(olds, news, o, n, key) + (o.section_title == n.section_title)
                scored.append((-context, abs(o.pos - n.pos), o.idx, n.idx))
        used_old: set[int] = set()
        used_new: set[int] = set()
        for _c, _d, oi, ni in sorted(scored):
            if oi not in used_old and ni not in used_new:
                used_old.add(oi)
                used_new.add(ni)
                pairs[oi] = _Pair(oi, ni, 100.0, how)


def _neighbour_agreement(olds: list[_Item], news: list[_Item], o: _Item, n: _Item, key: str) -> int:
    same = 0
    for step in (-1, 1):
        i, j = o.idx + step, n.idx + step
        if 0 <= i < len(olds) and 0 <= j < len(news) and getattr(olds[i], key) == getattr(news[j], key):
            same += 1
    return same


def _section_map(
    olds: list[_Item], news: list[_Item], old_doc: Document, new_doc: Document, pairs: dict[int, _Pair]
) -> dict[str, str]:
    """Old section path -> new section path.

    A title printed the same on both sides wins (it survives renumbering and a measure moving
    out); otherwise the section goes where most of its paired measures went.
    """

    def titles(doc: Document) -> dict[str, str]:
        seen: Counter[str] = Counter()
        out: dict[str, str] = {}
        for s in doc.iter_sections():
            t = norm_text(s.title)
            if t:
                seen[t] += 1
                out[t] = s.path
        return {t: p for t, p in out.items() if seen[t] == 1}

    mapping: dict[str, str] = {}
    new_titles = titles(new_doc)
    for t, path in titles(old_doc).items():
        if t in new_titles:
            mapping[path] = new_titles[t]
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for p in pairs.values():
        votes[olds[p.old].section][news[p.new].section] += 1
    for section, counter in votes.items():
        if section not in mapping:
            # a tie (one measure left, one moved out) goes to the section printed at the same path
            mapping[section] = max(counter, key=lambda t: (counter[t], t == section))
    return mapping


def _score(queries: list[str], choices: list[str]) -> np.ndarray:
    workers = 1 if len(queries) * len(choices) < SMALL_CDIST else -1
    return process.cdist(queries, choices, scorer=fuzz.ratio, dtype=np.uint8, workers=workers)


def _gaps(
    olds: list[_Item], news: list[_Item], pairs: dict[int, _Pair]
) -> list[tuple[list[_Item], list[_Item]]]:
    """The unpaired measures between consecutive order-keeping pairs, old and new side."""
    ordered = sorted(((p.old, p.new) for p in pairs.values()), key=lambda on: on[1])
    keep = longest_increasing([o for o, _n in ordered])
    anchors = [ordered[k] for k in sorted(keep)]
    taken_new = {p.new for p in pairs.values()}
    n_old = sum(not it.text_unit for it in olds)
    n_new = sum(not it.text_unit for it in news)
    bounds = [(-1, -1), *[(o, n) for o, n in anchors if o < n_old and n < n_new], (n_old, n_new)]
    gaps = []
    for (o1, n1), (o2, n2) in pairwise(bounds):
        go = [o for o in olds[o1 + 1 : o2] if o.idx not in pairs]
        gn = [n for n in news[n1 + 1 : n2] if n.idx not in taken_new]
        if go and gn:
            gaps.append((go, gn))
    return gaps


def _gap_blocks(
    go: list[_Item], gn: list[_Item], section_map: dict[str, str]
) -> list[tuple[list[_Item], list[_Item]]]:
    if len(go) * len(gn) <= GAP_BLOCK:
        return [(go, gn)]
    # a long gap (a chapter rewritten whole) is aligned per mapped section, keeping cdist small
    by_section: dict[str, list[_Item]] = defaultdict(list)
    for n in gn:
        by_section[n.section].append(n)
    grouped: dict[str, list[_Item]] = defaultdict(list)
    for o in go:
        grouped[o.section].append(o)
    return [(b, by_section.get(section_map.get(sec, ""), [])) for sec, b in grouped.items()]


def _pair_in_order(
    olds: list[_Item], news: list[_Item], pairs: dict[int, _Pair], section_map: dict[str, str]
) -> None:
    """Pair the unpaired measures of each gap between identical pairs, keeping their order.

    Between two measures that kept their text and their order, what is left on both sides
    is, first of all, the same provisions edited, in the same order. align_in_order picks
    the order-keeping pairs of largest total worth, a pair being worth GAP_PAIR_BONUS plus its
    similarity: so among look-alike provisions (penalty articles) the successor in order wins
    over a slightly higher-scoring one further on. Crossing pairs (moved and edited) are left
    to the assignment that follows.
    """
    for go, gn in _gaps(olds, news, pairs):
        for bo, bn in _gap_blocks(go, gn, section_map):
            if not bo or not bn:
                continue
            scores = _score([o.norm for o in bo], [n.norm for n in bn]).astype(np.float64)
            weight = np.where(scores >= MATCH_THRESHOLD, GAP_PAIR_BONUS + scores - MATCH_THRESHOLD + 1.0, 0.0)
            for i, j in align_in_order(weight):
                o, n = bo[i], bn[j]
                pairs[o.idx] = _Pair(o.idx, n.idx, fuzz.ratio(o.norm, n.norm), "fuzzy")


def _pair_in_place(olds: list[_Item], news: list[_Item], pairs: dict[int, _Pair]) -> None:
    """A provision rewritten in place: alone, or one of a few, in a gap with as many on each side.

    Once everything resembling something is paired, a gap between two paired neighbours that
    holds the same small number of unpaired measures on each side is the same provisions
    rewritten, in order: each pairs with the one at its rank when they still share GAP_FLOOR.
    """
    for go, gn in _gaps(olds, news, pairs):
        if len(go) != len(gn) or len(go) > GAP_IN_PLACE:
            continue
        for o, n in zip(go, gn, strict=True):
            score = fuzz.ratio(o.norm, n.norm)
            if score >= GAP_FLOOR:
                pairs[o.idx] = _Pair(o.idx, n.idx, score, "fuzzy")


def _pair_fuzzy(
    olds: list[_Item], news: list[_Item], pairs: dict[int, _Pair], section_map: dict[str, str]
) -> None:
    def unpaired() -> tuple[list[_Item], list[_Item]]:
        taken_new = {p.new for p in pairs.values()}
        return [o for o in olds if o.idx not in pairs], [n for n in news if n.idx not in taken_new]

    def run(block_old: list[_Item], block_new: list[_Item]) -> None:
        if not block_old or not block_new:
            return
        scores = _score([o.norm for o in block_old], [n.norm for n in block_new])
        row_pos = np.array([o.pos for o in block_old])
        col_pos = np.array([n.pos for n in block_new])
        for r, c, _s in assign(scores, MATCH_THRESHOLD, row_pos, col_pos):
            o, n = block_old[r], block_new[c]
            # cdist gave a rounded uint8; keep the exact ratio for the report
            pairs[o.idx] = _Pair(o.idx, n.idx, fuzz.ratio(o.norm, n.norm), "fuzzy")

    # Blocking by section keeps each cdist small on a 2,000-measure law; the whole-document
    # pass then catches measures that moved between sections, or sections that did not map.
    left_old, left_new = unpaired()
    new_by_section: dict[str, list[_Item]] = defaultdict(list)
    for n in left_new:
        new_by_section[n.section].append(n)
    old_by_section: dict[str, list[_Item]] = defaultdict(list)
    for o in left_old:
        old_by_section[o.section].append(o)
    for section, block in old_by_section.items():
        target = section_map.get(section)
        if target is not None:
            run(block, new_by_section.get(target, []))
    run(*unpaired())


def _split_merge(
    olds: list[_Item], news: list[_Item], pairs: dict[int, _Pair]
) -> tuple[list[tuple[int, list[int], float]], list[tuple[list[int], int, float]]]:
    """Splits (old, [new parts], score) and merges ([old sources], new, score).

    An unpaired measure next to a paired one is a piece of it when the pieces joined in
    order align clearly better with the counterpart than the paired piece alone, and the
    extra piece is (nearly) contained in the counterpart.
    """
    by_new = {p.new: p for p in pairs.values()}

    def grow(
        center: int, side: list[_Item], free: set[int], other_norm: str, base: float
    ) -> tuple[list[int], float]:
        parts = [center]
        best = base
        improved = True
        while improved:
            improved = False
            for cand in (parts[0] - 1, parts[-1] + 1):
                if cand not in free or side[cand].section != side[center].section:
                    continue
                if fuzz.partial_ratio(side[cand].norm, other_norm) < CONTAINED:
                    continue
                trial = sorted([*parts, cand])
                score = fuzz.ratio("".join(side[i].norm for i in trial), other_norm)
                # the piece must close a real part of the gap: SPLIT_GAIN points, or half of
                # what was missing when the paired piece alone already scored high
                if score >= best + min(SPLIT_GAIN, (100.0 - best) / 2) and score > best:
                    parts, best, improved = trial, score, True
                    break
        return parts, best

    splits: list[tuple[int, list[int], float]] = []
    merges: list[tuple[list[int], int, float]] = []
    free_new = set(range(len(news))) - set(by_new)
    free_old = set(range(len(olds))) - set(pairs)
    for p in sorted(pairs.values(), key=lambda p: p.new):
        if p.score >= 100.0 and p.how != "fuzzy":
            continue  # an identical measure keeps its neighbours: they are insertions
        # a measure kept whole that grew (shrank) by paragraphs is tried too: the paragraphs
        # cut off into (joined from) a neighbour are a split (merge), not a paragraph removed
        parts, score = grow(p.new, news, free_new, olds[p.old].norm, p.score)
        if len(parts) > 1 and score >= SPLIT_MIN:
            free_new -= set(parts)
            splits.append((p.old, parts, score))
            continue
        sources, score = grow(p.old, olds, free_old, news[p.new].norm, p.score)
        if len(sources) > 1 and score >= SPLIT_MIN:
            free_old -= set(sources)
            merges.append((sources, p.new, score))
    return splits, merges


def _moved(
    olds: list[_Item], news: list[_Item], pairs: dict[int, _Pair], section_map: dict[str, str]
) -> set[int]:
    """Old indices of pairs that changed place: another section, or out of order.

    Order is judged by a longest increasing subsequence of old positions taken in new order,
    so a measure that jumped is the one reported, not every measure it jumped over. A 条 of a
    law that keeps its order is not moved when it lands in another chapter: a new version
    that adds or splits chapters around unchanged articles has moved nothing.
    """
    ordered = sorted(pairs.values(), key=lambda p: p.new)
    keep = longest_increasing([p.old for p in ordered])
    moved = {p.old for k, p in enumerate(ordered) if k not in keep}
    for p in ordered:
        o, n = olds[p.old], news[p.new]
        if o.article is not None and n.article is not None:
            continue
        if section_map.get(o.section) not in (None, n.section):
            moved.add(p.old)
    return moved
