"""The 条 of a law as the unit a reader names.

The normalizer makes a measure of every 款 of a multi-款 条 ("第八条第二款", path "3.8.2"), so
that a one-款 edit is matched and diffed on its own. A reader of a 修正决定 names the 条:
"删去第五条", "第九条修改为", "增加一条作为第十二条". This module finds the 条 a measure
belongs to from its label, groups the 款 of one 条, and turns a ChangeSet into the article
events such a reader expects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.schema import ChangeSet

_ARTICLE = re.compile(r"第[零〇一二三四五六七八九十百千两\d]+条(?:之[一二三四五六七八九十]+)?")


def article_label(label: str) -> str:
    """ "第八条" for "第八条第二款" or "第八条"; "" for a label that names no 条."""
    m = _ARTICLE.match(label.strip())
    return m.group() if m else ""


@dataclass
class Article:
    label: str  # "第八条"
    path: str  # the 条's own path: the common parent of its 款 paths
    members: list[int] = field(default_factory=list)  # indices of its 款 in the measure list


def _parent_path(paths: list[str]) -> str:
    if len(paths) == 1:
        return paths[0]
    parts = [p.split(".") for p in paths]
    common: list[str] = []
    for column in zip(*parts, strict=False):
        if len(set(column)) != 1:
            break
        common.append(column[0])
    return ".".join(common) or paths[0]


def group_articles(labels: list[str], paths: list[str], sections: list[str]) -> list[Article | None]:
    """For each measure, the 条 it belongs to (None outside a 条).

    Consecutive measures of one section with the same 条 label are the 款 of one 条; the
    number alone is not an identity (two 第一条 in a 附件 and the main text stay apart).
    """
    out: list[Article | None] = []
    current: Article | None = None
    for i, (label, section) in enumerate(zip(labels, sections, strict=True)):
        name = article_label(label)
        if not name:
            current = None
            out.append(None)
            continue
        if current is None or current.label != name or sections[current.members[-1]] != section:
            current = Article(name, "")
        current.members.append(i)
        out.append(current)
    for art in {id(a): a for a in out if a is not None}.values():
        art.path = _parent_path([paths[i] for i in art.members])
    return out


Event = tuple[str, str | None, str | None]


def _same_words(c) -> bool:
    return not any(op != "equal" and text.strip() for op, text in c.diff)


def article_events(cs: ChangeSet) -> list[Event]:
    """The changes as a 修正决定 lists them: (kind, old 条, new 条), kind added | removed | modified | moved.

    A 条 with any reportable change inside it is one `modified` event, however many of its 款
    changed; a 条 that went, came or moved whole is one event of that kind. Changes outside
    any 条 (preamble, 公文 measures) give no article event.
    """
    events: list[Event] = []
    seen: set[Event] = set()

    def add(event: Event) -> None:
        if event not in seen:
            seen.add(event)
            events.append(event)

    for c in cs.reportable():
        old, new = c.old_article or None, c.new_article or None
        if old is None and new is None:
            continue
        if (
            c.kind in ("split", "merged")
            and _same_words(c)
            and all(article_label(r.label) in (old, new) for r in c.others)
        ):
            continue  # 款 cut or joined inside one 条, not a word changed: the 条 reads the same
        if old and new:
            add(("moved" if c.kind == "moved" else "modified", old, new))
        elif old:
            add(("removed", old, None))
        else:
            add(("added", None, new))
        # the other parts of a split (new side) or a merge (old side) may be other 条
        for ref in c.others:
            name = article_label(ref.label)
            if name and c.kind == "split" and name != new:
                add(("added", None, name))
            elif name and c.kind == "merged" and name != old:
                add(("removed", name, None))
    return events
