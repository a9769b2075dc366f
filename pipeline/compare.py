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

Here: the orchestration and the changes it classifies; the items in pipeline.compare_units, steps
1-5 in pipeline.compare_pairing (with the thresholds), step 7 in pipeline.compare_articles.
"""

from __future__ import annotations

from pipeline.compare_articles import _page_text, _Placed, _speak_articles
from pipeline.compare_pairing import (
    CONTAINED,
    GAP_BLOCK,
    GAP_FLOOR,
    GAP_IN_PLACE,
    GAP_PAIR_BONUS,
    MATCH_THRESHOLD,
    SMALL_CDIST,
    SPLIT_GAIN,
    SPLIT_MIN,
    _moved,
    _pair_equal,
    _pair_fuzzy,
    _pair_grown,
    _pair_in_order,
    _pair_in_place,
    _section_map,
    _split_merge,
)
from pipeline.compare_units import (
    _content,
    _Item,
    _items,
    _Pair,
    _paragraphs,
    is_blank,
    is_text_unit,
    text_units,
)
from pipeline.inline_diff import inline_diff
from pipeline.schema import METADATA_FIELDS, Change, ChangeSet, Document, MeasureRef, MetadataChange
from pipeline.text import norm_text, text_hash

__all__ = [
    "CONTAINED", "GAP_BLOCK", "GAP_FLOOR", "GAP_IN_PLACE", "GAP_PAIR_BONUS", "MATCH_THRESHOLD", "SMALL_CDIST",
    "SPLIT_GAIN", "SPLIT_MIN", "compare", "is_blank", "is_text_unit", "text_units",
]


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
