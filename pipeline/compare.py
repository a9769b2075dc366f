"""compare(old, new) -> ChangeSet: what changed between two versions of one document.

Identity across versions comes from content, never from numbers (an inserted measure
renumbers everything after it). The steps, cheapest first so that most measures never reach
the fuzzy scorer:

1. pair measures whose normalized text is identical (hash), then those equal once
   punctuation is dropped (cosmetic), then a measure kept whole with paragraphs added after
   it (an unnumbered paragraph the normalizer reads into the item before it) or removed;
2. map old sections to new ones (same title, else where most of their paired measures went);
3. inside each gap between two order-keeping identical pairs, align the unpaired measures
   in order (`align.align_in_order`): a provision rewritten in place pairs with its
   successor even at a low score, and look-alike provisions keep their order;
4. score the rest with `process.cdist(fuzz.ratio)`: first inside each mapped section pair,
   then over the whole document, and pair them by `align.assign` (moved and edited);
5. look at the measures still unpaired next to a paired one: a split or a merge;
6. classify: unchanged (counted), cosmetic, modified, moved, added, removed; flag renumbered;
   paragraphs added after (removed from) a measure kept whole are an added (removed)
   paragraph under it, "（二）第二段";
7. for laws, speak in 条: a 条 whose 款 all went, came or moved together is one change of
   the 条, and every change carries the 条 it sits in (pipeline.articles).

A measure whose text is empty once normalized (a paragraph of zero-width spaces) is never
compared nor reported.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from rapidfuzz import fuzz, process

from pipeline.align import align_in_order, assign, longest_increasing
from pipeline.articles import Article, group_articles
from pipeline.inline_diff import inline_diff
from pipeline.schema import (
    METADATA_FIELDS,
    Change,
    ChangeSet,
    Document,
    Measure,
    MeasureRef,
    MetadataChange,
    Section,
)
from pipeline.text import bare_text, norm_text, text_hash

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


@dataclass
class _Item:
    measure: Measure
    idx: int  # position in document order
    pos: float  # idx / count, for positional tie-breaks between documents of different length
    section: str  # path of the parent section
    section_title: str
    norm: str
    bare: str
    label: str
    article: Article | None = None  # the 条 this measure is (a 款 of); None outside laws
    text_unit: bool = False


@dataclass
class _Pair:
    old: int
    new: int
    score: float
    how: str  # "exact", "bare", "fuzzy", "grown" (new = old + paragraphs) or "shrunk" (the reverse)


def _content(m: Measure) -> str:
    """The text that identifies a measure: its heading belongs to it when printed apart."""
    if m.heading and not norm_text(m.text).startswith(norm_text(m.heading)):
        return f"{m.heading}{m.text}"
    return m.text


_NO_SECTION = Section(label="", ordinal=None, level=0, path="")


def text_units(doc: Document) -> list[tuple[Measure, Section]]:
    """Text outside any measure, compared like measures so that no edit goes unseen.

    The cover notice, the preamble, a section's own paragraphs (目标要求) and the closing
    paragraph are not measures (DESIGN.md), but a reworded preamble is still a change.
    """

    def unit(label: str, path: str, text: str) -> Measure:
        norm = norm_text(text)
        return Measure(label=label, path=path, text=text, norm_text=norm, hash=text_hash(norm))

    units = []
    for path, label, text in (("cover", "印发通知", doc.cover_note), ("preamble", "序言", doc.preamble)):
        if text.strip():
            units.append((unit(label, path, text), _NO_SECTION))
    for s in doc.iter_sections():
        if s.text.strip():
            units.append((unit(f"{s.label}{s.title}".strip() or "正文", f"{s.path}#text", s.text), s))
    if doc.closing.strip():
        units.append((unit("结束语", "closing", doc.closing), _NO_SECTION))
    return units


def is_text_unit(path: str) -> bool:
    """True for a change to text outside the measures (see text_units)."""
    return path in ("cover", "preamble", "closing") or path.endswith("#text")


_INVISIBLE = {"Cf", "Zs", "Zl", "Zp", "Cc"}


def is_blank(text: str) -> bool:
    """True when nothing visible is left: spaces, zero-width and format characters only."""
    return all(ch.isspace() or unicodedata.category(ch) in _INVISIBLE for ch in text)


def _items(doc: Document) -> list[_Item]:
    every = [(m, s) for s in doc.iter_sections() for m in s.measures]
    # 条 are grouped before blank 款 are dropped: a 条 keeps its own path and stays a 条
    grouped = group_articles(
        [m.label for m, _s in every], [m.path for m, _s in every], [s.path for _m, s in every]
    )
    keep = [i for i, (m, _s) in enumerate(every) if not is_blank(_content(m))]
    at = {old: new for new, old in enumerate(keep)}
    for art in {id(a): a for a in grouped if a is not None}.values():
        art.members = [at[i] for i in art.members if i in at]
    measures = [every[i] for i in keep]
    articles = [grouped[i] for i in keep]
    units = [(m, s) for m, s in text_units(doc) if not is_blank(m.text)]
    rows = measures + units
    count = max(len(rows) - 1, 1)
    items = []
    for i, (m, section) in enumerate(rows):
        norm = norm_text(_content(m))
        title = norm_text(section.title)
        item = _Item(m, i, i / count, section.path, title, norm, bare_text(norm), norm_text(m.label))
        if i < len(measures):
            item.article = articles[i]
        else:
            item.text_unit = True
        items.append(item)
    return items


def _paragraphs(m: Measure) -> list[str]:
    """The paragraphs of a measure, normalized: its text keeps the page's breaks as newlines."""
    return [norm_text(p) for p in _content(m).split("\n") if not is_blank(p)]


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
    that adds or splits chapters around unchanged articles has moved nothing (DESIGN.md).
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


def _ref(it: _Item) -> MeasureRef:
    return MeasureRef.of(it.measure)


def _cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    return ("十" if n < 20 else digits[n // 10] + "十") + (digits[n % 10] if n % 10 else "")


def _paragraph_change(o: _Item, n: _Item, how: str) -> _Placed:
    """The paragraphs a measure gained (or lost) after its kept text, as one added (removed) change.

    The side is the paragraphs themselves, under the measure: "（二）第二段", path "1.2#p2". It
    is no measure of its own, so storage keeps its text with the change. Inside a 条 the same
    growth is a new 项 or sentence of that 条 and stays `modified` (the caller's choice).
    """
    short, long = (o, n) if how == "grown" else (n, o)
    kept = len(_paragraphs(short.measure))
    extra = [p for p in _content(long.measure).split("\n") if not is_blank(p)][kept:]
    text = "\n".join(extra)
    m = long.measure
    ref = MeasureRef(
        path=f"{m.path}#p{kept + 1}",
        label=f"{m.label}第{_cn(kept + 1)}段",
        text=text,
        hash=text_hash(norm_text(text)),
    )
    if how == "grown":
        change = Change(kind="added", new=ref, diff=[("insert", text)], renumbered=o.label != n.label)
        return _Placed(n.idx + 0.5, change, None, None)
    change = Change(kind="removed", old=ref, diff=[("delete", text)], renumbered=o.label != n.label)
    return _Placed(n.idx + 0.5, change, None, None)


def _metadata(old: Document, new: Document) -> list[MetadataChange]:
    out = []
    for name in METADATA_FIELDS:
        a, b = getattr(old, name), getattr(new, name)
        if name == "attachments":
            key_a = sorted((norm_text(x.name), x.url) for x in a)
            key_b = sorted((norm_text(x.name), x.url) for x in b)
            if key_a != key_b:
                out.append(MetadataChange(name, [x.name for x in a], [x.name for x in b]))
        elif norm_text(str(a or "")) != norm_text(str(b or "")):
            out.append(MetadataChange(name, a, b))
    return out


def _is_law(items: list[_Item]) -> bool:
    measures = [it for it in items if not it.text_unit]
    return bool(measures) and 2 * sum(it.article is not None for it in measures) >= len(measures)


def _page_text(
    olds: list[_Item], news: list[_Item], pairs: dict[int, _Pair]
) -> tuple[set[int], set[int], list[str]]:
    """Text before or after the articles of a law printed by one copy only: page metadata.

    One republication prints a 题注 or 公布 line ("（2021年7月27日国务院令第746号公布）") or an
    editor's preface where another keeps it in its header or leaves it out; neither is a
    change of the law. Such a unit (preamble, cover note, closing) is left out of the changes
    when the other version has no unit of that kind at all, and named in `notes`; the same
    unit reworded on both sides is still compared.
    """
    if not (_is_law(olds) and _is_law(news)):
        return set(), set(), []
    taken_new = {p.new for p in pairs.values()}
    old_paths = {it.measure.path for it in olds if it.text_unit}
    new_paths = {it.measure.path for it in news if it.text_unit}
    skip_old, skip_new, notes = set(), set(), []
    for side, items, taken, others, skip in (
        ("old", olds, set(pairs), new_paths, skip_old),
        ("new", news, taken_new, old_paths, skip_new),
    ):
        for it in items:
            path = it.measure.path
            if (
                it.text_unit
                and path in ("cover", "preamble", "closing")
                and it.idx not in taken
                and path not in others
            ):
                skip.add(it.idx)
                text = it.measure.text.replace("\n", " ")
                notes.append(
                    f"{it.measure.label} printed by the {side} version only, taken as page text, "
                    f"not a change of the law: {text[:60]}{'…' if len(text) > 60 else ''}"
                )
    return skip_old, skip_new, notes


def _article_ref(items: list[_Item], art: Article) -> MeasureRef:
    """One side of a change of a whole 条: its label and the text of all its 款.

    Path and hash stay those of its first 款, so that storage links the change to a stored
    measure row (a 条 of several 款 has no row of its own); `units` lists every 款.
    """
    first = items[art.members[0]].measure
    text = "\n".join(items[i].measure.text for i in art.members)
    return MeasureRef(path=first.path, label=art.label, text=text, hash=first.hash)


def _article_map(
    olds: list[_Item], news: list[_Item], pairs: dict[int, _Pair]
) -> tuple[dict[int, Article], dict[int, Article]]:
    """Old 条 -> new 条 and back (by id), where most of their paired 款 went."""
    votes: dict[int, Counter[int]] = defaultdict(Counter)
    back: dict[int, Counter[int]] = defaultdict(Counter)
    arts: dict[int, Article] = {}
    for p in pairs.values():
        a, b = olds[p.old].article, news[p.new].article
        if a is not None and b is not None:
            votes[id(a)][id(b)] += 1
            back[id(b)][id(a)] += 1
            arts[id(a)], arts[id(b)] = a, b
    forward = {a: arts[c.most_common(1)[0][0]] for a, c in votes.items()}
    backward = {b: arts[c.most_common(1)[0][0]] for b, c in back.items()}
    return forward, backward


@dataclass
class _Placed:
    pos: float
    change: Change
    old: int | None  # item index of the old side, for article grouping
    new: int | None


def _speak_articles(
    olds: list[_Item], news: list[_Item], pairs: dict[int, _Pair], placed: list[_Placed]
) -> list[_Placed]:
    """Label every change with its 条, and make one change of a 条 that went, came or moved whole."""
    forward, backward = _article_map(olds, news, pairs)
    for pc in placed:
        c = pc.change
        a = olds[pc.old].article if pc.old is not None else None
        b = news[pc.new].article if pc.new is not None else None
        if a is None and b is not None and id(b) in backward:
            a = backward[id(b)]  # a 款 added to a 条 that is still there
        if b is None and a is not None and id(a) in forward:
            b = forward[id(a)]
        c.old_article = a.label if a is not None else ""
        c.new_article = b.label if b is not None else ""

    def whole(art: Article, side: str, kind: str) -> list[_Placed] | None:
        members = set(art.members)
        found = [
            pc for pc in placed if pc.change.kind == kind and (pc.old if side == "old" else pc.new) in members
        ]
        # one change of the 条 when it has several 款 (a blank one dropped still counts)
        several = len(art.members) > 1 or (
            art.members and art.path != items_of(side)[art.members[0]].measure.path
        )
        return found if several and len(found) == len(members) else None

    def items_of(side: str) -> list[_Item]:
        return olds if side == "old" else news

    out: list[_Placed] = []
    done: set[int] = set()
    for pc in placed:
        if id(pc) in done:
            continue
        c = pc.change
        group: list[_Placed] | None = None
        if c.kind == "removed" and pc.old is not None and olds[pc.old].article is not None:
            art = olds[pc.old].article
            group = whole(art, "old", "removed")
            if group:
                ref = _article_ref(olds, art)
                merged = Change(
                    kind="removed",
                    old=ref,
                    diff=[("delete", ref.text)],
                    old_article=art.label,
                    units=[g.change.old for g in group if g.change.old],
                )
        elif c.kind == "added" and pc.new is not None and news[pc.new].article is not None:
            art = news[pc.new].article
            group = whole(art, "new", "added")
            if group:
                ref = _article_ref(news, art)
                merged = Change(
                    kind="added",
                    new=ref,
                    diff=[("insert", ref.text)],
                    new_article=art.label,
                    units=[g.change.new for g in group if g.change.new],
                )
        elif c.kind == "moved" and pc.old is not None and pc.new is not None:
            a, b = olds[pc.old].article, news[pc.new].article
            if a is not None and b is not None:
                group = whole(a, "old", "moved")
                if group and sorted(g.new for g in group) != sorted(b.members):
                    group = None
                if group:
                    ra, rb = _article_ref(olds, a), _article_ref(news, b)
                    merged = Change(
                        kind="moved",
                        old=ra,
                        new=rb,
                        similarity=100.0,
                        old_article=a.label,
                        new_article=b.label,
                        renumbered=a.label != b.label,
                        units=[g.change.new for g in group if g.change.new],
                    )
        if group:
            done.update(id(g) for g in group)
            out.append(_Placed(min(g.pos for g in group), merged, None, None))
        else:
            out.append(pc)
    return out


def compare(old: Document, new: Document) -> ChangeSet:
    """The measure-level changes from `old` to `new`, plus metadata changes."""
    olds, news = _items(old), _items(new)
    pairs: dict[int, _Pair] = {}
    _pair_equal(olds, news, "norm", pairs)
    _pair_equal(olds, news, "bare", pairs)
    _pair_grown(olds, news, pairs)
    section_map = _section_map(olds, news, old, new, pairs)
    _pair_in_order(olds, news, pairs, section_map)
    _pair_fuzzy(olds, news, pairs, section_map)
    _pair_in_place(olds, news, pairs)
    splits, merges = _split_merge(olds, news, pairs)
    moved = _moved(olds, news, pairs, section_map)
    skip_old, skip_new, notes = _page_text(olds, news, pairs)

    result = ChangeSet(metadata_changes=_metadata(old, new), notes=notes)
    placed: list[_Placed] = []
    in_split_merge_old: set[int] = set()
    in_split_merge_new: set[int] = set()
    for o, parts, score in splits:
        joined = "".join(news[i].measure.text for i in parts)
        change = Change(
            kind="split",
            old=_ref(olds[o]),
            new=_ref(news[parts[0]]),
            others=[_ref(news[i]) for i in parts[1:]],
            similarity=round(score, 1),
            diff=inline_diff(olds[o].measure.text, joined),
        )
        placed.append(_Placed(parts[0], change, o, parts[0]))
        in_split_merge_old.add(o)
        in_split_merge_new.update(parts)
    for sources, n, score in merges:
        joined = "".join(olds[i].measure.text for i in sources)
        change = Change(
            kind="merged",
            old=_ref(olds[sources[0]]),
            new=_ref(news[n]),
            others=[_ref(olds[i]) for i in sources[1:]],
            similarity=round(score, 1),
            diff=inline_diff(joined, news[n].measure.text),
        )
        placed.append(_Placed(n, change, sources[0], n))
        in_split_merge_old.update(sources)
        in_split_merge_new.add(n)

    new_pos_of_old: dict[int, float] = {}
    for p in pairs.values():
        new_pos_of_old[p.old] = p.new
        if p.old in in_split_merge_old or p.new in in_split_merge_new:
            continue
        o, n = olds[p.old], news[p.new]
        renumbered = o.label != n.label
        same_text = o.measure.text == n.measure.text
        if p.how in ("grown", "shrunk") and o.article is None and n.article is None and p.old not in moved:
            # the measure itself kept its text: it counts as unchanged, the paragraph is the change
            result.unchanged += 1
            result.pairs.append((_ref(o), _ref(n)))
            result.renumbered += renumbered
            placed.append(_paragraph_change(o, n, p.how))
            continue
        if p.how != "exact" and p.how != "bare":
            kind = "modified"
        elif p.old in moved:
            kind = "moved"
        elif same_text:
            result.unchanged += 1
            result.pairs.append((_ref(o), _ref(n)))
            result.renumbered += renumbered
            continue
        else:
            kind = "cosmetic"
            result.renumbered += renumbered
        change = Change(
            kind=kind,
            old=_ref(o),
            new=_ref(n),
            similarity=round(p.score, 1),
            diff=[] if same_text else inline_diff(o.measure.text, n.measure.text),
            renumbered=renumbered,
            moved=p.old in moved,
        )
        placed.append(_Placed(p.new, change, p.old, p.new))

    paired_new = {p.new for p in pairs.values()} | in_split_merge_new
    for n in news:
        if n.idx not in paired_new and n.idx not in skip_new:
            change = Change(kind="added", new=_ref(n), diff=[("insert", n.measure.text)])
            placed.append(_Placed(n.idx, change, None, n.idx))
    last = -0.5
    for o in olds:
        if o.idx in new_pos_of_old:
            last = new_pos_of_old[o.idx]
        elif o.idx not in in_split_merge_old and o.idx not in skip_old:
            change = Change(kind="removed", old=_ref(o), diff=[("delete", o.measure.text)])
            placed.append(_Placed(last + 0.5, change, o.idx, None))

    placed.sort(key=lambda pc: pc.pos)
    result.changes = [pc.change for pc in _speak_articles(olds, news, pairs, placed)]
    if olds and news and not pairs:
        result.warnings.append(
            "nothing aligns: no measure of one version resembles a measure of the other; "
            "these look like different documents"
        )
    elif not olds or not news:
        side = "old" if not olds else "new"
        result.warnings.append(
            f"the {side} version has no measures; every measure is reported as added/removed"
        )
    return result
