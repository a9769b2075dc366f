"""Speaking in 条 for laws (compare's step 7): the 条 of every change, one change for a 条 that
went, came or moved whole, and the page text one republication prints and another does not.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from pipeline.articles import Article
from pipeline.compare_units import _Item, _Pair
from pipeline.schema import Change, MeasureRef


@dataclass
class _Placed:
    pos: float
    change: Change
    old: int | None  # item index of the old side, for article grouping
    new: int | None


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
