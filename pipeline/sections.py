"""Step 4 of structure: nodes to Sections and Measures.

条 -> one measure (or one per 款), leaves -> measures, group headings -> sections, inline
一是…二是… runs -> child measures, Q&A answers -> measures.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.markers import LAW_FAMILIES, LAW_HEADINGS, Marker, inline_runs, numbered_runs, parse_marker
from pipeline.metadata import cn_number
from pipeline.schema import Item, Measure, Section
from pipeline.structure_model import Node
from pipeline.text import norm_text, text_hash

_ANSWER = re.compile(r"^答\s*[:：]\s*")
_SENTENCE_END = "。；;！!？?"


def _convert(root: Node, prefix: str) -> list[Section]:
    """The top level of a scope, in reading order.

    Measures at the top level (a flat 一、二、三 notice, a 条例 without 章) go into an unlabelled
    holder section; a run of them between two sections gets a holder of its own, so a leaf item
    is never moved before or after its numbered siblings.
    """
    sections: list[Section] = []
    holder: Section | None = None
    grouping = sum(1 for c in root.children if c.children)
    group_level = grouping > 0 and grouping * 2 >= len(root.children)
    seen: set[str] = set()
    for child in root.children:
        item = _node(child, prefix, level=1, group_level=group_level, seen=seen)
        if isinstance(item, Section):
            sections.append(item)
            holder = None
            continue
        if holder is None:
            holder = Section(label="", ordinal=None, level=1, path=_unique((prefix + "0") if prefix else "0", seen))
            sections.append(holder)
        holder.measures.extend(item)
        holder.tables.extend(child.tables)
    return sections


def _unique(path: str, seen: set[str]) -> str:
    base, n = path, 2
    while path in seen:
        path = f"{base}~{n}"
        n += 1
    seen.add(path)
    return path


@dataclass
class _At:
    """A node being converted, with what every rule reads: its path, level and marker."""

    node: Node
    marker: Marker
    path: str
    level: int
    group_level: bool
    seen: set[str]
    _split: tuple[str, str] | None = None

    @property
    def split(self) -> tuple[str, str]:
        """The marker line's (heading, body), see split_heading: worked out once, and only for
        the rules that read it."""
        if self._split is None:
            self._split = split_heading(self.marker.rest)
        return self._split

    def section(self, **fields) -> Section:
        """A Section at this node's place, labelled and numbered by its marker unless told otherwise."""
        node, marker = self.node, self.marker
        base = {"label": marker.label, "ordinal": node.ordinal, "level": self.level, "path": self.path,
                "title": marker.rest, "tables": node.tables, "inferred": node.inferred}
        return Section(**{**base, **fields})


def _note_rule(at: _At) -> Section | None:
    """An unnumbered note heading (注：, 小贴士) over its notes: a section at its parent's level."""
    if at.marker.family != "note":
        return None
    sec = Section(label="", ordinal=None, level=at.level, path=at.path, title=at.marker.rest,
                  text="\n".join(at.node.paras), tables=at.node.tables)
    _children_into(sec, at.node, at.level - 1, at.seen)
    return sec


def _law_heading_rule(at: _At) -> Section | None:
    """A 编, 章 or 节: a section of whatever it holds."""
    if at.marker.family not in LAW_HEADINGS:
        return None
    sec = at.section(text="\n".join(at.node.paras))
    _children_into(sec, at.node, at.level, at.seen)
    return sec


def _article_rule(at: _At) -> list[Measure] | None:
    """A 条: one measure, or one per 款."""
    return _article(at.node, at.path) if at.marker.family == "tiao" else None


def _group_rule(at: _At) -> Section | None:
    """A numbered heading with numbered children: a section."""
    if not at.node.children:
        return None
    heading, body = at.split
    # the line's text is the title, or its heading and the rest: never title and text both
    text = "\n".join(([body] if body and heading else []) + at.node.paras)
    sec = at.section(title=heading or at.marker.rest, text=text)
    _children_into(sec, at.node, at.level, at.seen)
    return sec


def _empty_heading_rule(at: _At) -> Section | None:
    """A heading with nothing under it (a contents list, an empty part) is no measure."""
    if at.marker.family in ("cn", "pcn") and not at.node.paras and bare_heading_only(at.marker.rest):
        return at.section()
    return None


def _answer_rule(at: _At) -> list[Measure] | None:
    """A numbered question answered by a 答： paragraph: the answer is the measure."""
    answer = _answer(at.node)
    return None if answer is None else [_measure(at.marker.label, at.path, answer, heading=at.marker.rest)]


def _paragraph_run_rule(at: _At) -> Section | None:
    """Paragraphs opening 一是… 二是…: a section with one item per paragraph run."""
    node, marker = at.node, at.marker
    by_paragraph = _paragraph_runs(node.paras)
    if by_paragraph is None:
        return None
    heading, body = at.split
    first, items = by_paragraph
    lead = ([body or marker.rest] if marker.rest and not heading else [body] if body else []) + node.paras[:first]
    sec = at.section(title=heading or marker.rest, text="\n".join(x for x in lead if x))
    _run_items_into(sec, items, at.level)
    return sec


def _inline_run_rule(at: _At) -> Section | None:
    """Inline runs (一是…二是…, ：1.…；2.…) in the item's text, or a bare top-level heading of a
    grouped document: a section whose measures are the runs."""
    node, marker = at.node, at.marker
    heading, body = at.split
    paras = ([marker.rest] if marker.rest else []) + node.paras
    runs = [m for p in paras for m in _inline_measures(p, at.path)]
    bare_heading = bool(heading) and not body
    if not ((at.group_level and at.level == 1 and bare_heading) or runs):
        return None
    title, lead = _title_and_lead(at, paras)
    return at.section(title=title, text="\n".join(x for x in lead if x), measures=runs)


def _title_and_lead(at: _At, paras: list[str]) -> tuple[str, list[str]]:
    """The title of an item holding runs, and its text: what stands outside the runs, in order,
    without the title repeated."""
    rest = at.marker.rest
    heading, body = at.split
    lead = [p[: inline_runs(p)[0][0]].strip() if inline_runs(p) else p for p in paras]
    if heading and rest and lead and lead[0] == rest:
        lead[0] = body
    title = heading or (lead[0] if rest and lead else rest)
    if not heading and rest and lead:
        lead = lead[1:]
    return title, lead


def _leaf_rule(at: _At) -> list[Measure]:
    """Any other item: one measure of its line and paragraphs."""
    marker = at.marker
    paras = ([marker.rest] if marker.rest else []) + at.node.paras
    return [_measure(marker.label, at.path, "\n".join(paras), heading=at.split[0])]


# The rules in order, first answer wins (trafilatura's rule-table style): each says what one
# kind of node becomes, or None to leave it to the next.
_RULES: tuple[Callable[[_At], Section | list[Measure] | None], ...] = (
    _note_rule,
    _law_heading_rule,
    _article_rule,
    _group_rule,
    _empty_heading_rule,
    _answer_rule,
    _paragraph_run_rule,
    _inline_run_rule,
    _leaf_rule,
)


def _node(node: Node, parent_path: str, level: int, group_level: bool, seen: set[str]) -> Section | list[Measure]:
    marker = node.marker
    assert marker is not None
    sep = "" if parent_path.endswith("/") or not parent_path else "."
    path = _unique(f"{parent_path}{sep}{'n' if marker.family == 'note' else ''}{node.ordinal}", seen)
    at = _At(node, marker, path, level, group_level, seen)
    for rule in _RULES:
        out = rule(at)
        if out is not None:
            return out
    raise AssertionError("_leaf_rule answers every node")


_PARA_RUN = re.compile(r"^([一二三四五六七八九十]{1,2})(是|要)")


def _paragraph_runs(paras: list[str]) -> tuple[int, list[tuple[str, list[str]]]] | None:
    """一是… / 二是… opening consecutive paragraphs (not one paragraph): each opens an item."""
    starts = [(i, _PARA_RUN.match(p)) for i, p in enumerate(paras)]
    starts = [(i, m) for i, m in starts if m]
    if not starts:
        return None
    first, m0 = starts[0]
    own = inline_runs(paras[first])
    if cn_number(m0.group(1)) != 1 or (own and own[0][0] == 0):
        return None  # the whole run sits inside this one paragraph
    verb, expect, opens = m0.group(2), 2, [first]
    for i, m in starts[1:]:
        if m.group(2) == verb and cn_number(m.group(1)) == expect:
            opens.append(i)
            expect += 1
    if len(opens) < 2:
        return None
    items = []
    for k, i in enumerate(opens):
        end = opens[k + 1] if k + 1 < len(opens) else len(paras)
        label = _PARA_RUN.match(paras[i]).group(0)
        items.append((label, [paras[i][len(label):].strip(), *paras[i + 1 : end]]))
    return first, items


def _run_items_into(sec: Section, items: list[tuple[str, list[str]]], level: int) -> None:
    """Items of a paragraph run: a measure each, or a section when it carries its own inline run."""
    for k, (label, paras) in enumerate(items, start=1):
        path = f"{sec.path}.{k}"
        inner = [m for p in paras for m in _inline_measures(p, path)]
        if inner:
            lead = paras[0][: inline_runs(paras[0])[0][0]].strip() if inline_runs(paras[0]) else ""
            title, rest = split_heading(lead)
            sec.add(Section(label=label, ordinal=k, level=level + 1, path=path, title=title or lead,
                            text=rest, measures=inner))
        else:
            sec.add(_measure(label, path, "\n".join(paras), heading=split_heading(paras[0])[0]))


def _children_into(sec: Section, node: Node, level: int, seen: set[str]) -> None:
    for child in node.children:
        item = _node(child, sec.path, level + 1, group_level=False, seen=seen)
        if isinstance(item, Section):
            sec.add(item)
        else:
            for m in item:
                sec.add(m)
            sec.tables.extend(child.tables)  # a table under a measure is kept by its section


def _answer(node: Node) -> str | None:
    """A numbered question whose next paragraph starts with 答： — the answer is the measure."""
    if node.paras and _ANSWER.match(node.paras[0]) and node.marker and node.marker.rest.rstrip().endswith(("？", "?")):
        first = _ANSWER.sub("", node.paras[0])
        return "\n".join([first, *node.paras[1:]])
    return None


def _article(node: Node, path: str) -> list[Measure]:
    """One measure per 条, or one per 款 when a 条 has several paragraphs; 项 stay with their 款.

    The 项 （一） (and 目 1. under them) stay in the 款's text, which is what is matched, and are
    also kept as the measure's items, so the tree shows them.
    """
    marker = node.marker
    assert marker is not None
    clauses: list[list[str]] = [[marker.rest]] if marker.rest else []
    listing = False  # inside an unnumbered list a 款 announced with a colon (本法下列用语的含义：)
    for para in node.paras:
        numbered = parse_marker(para) is not None
        if clauses and len(clauses[-1]) == 1 and clauses[-1][0].rstrip().endswith(("：", ":")) and not numbered:
            listing = True  # the definitions after "下列用语的含义：" are that 款's, one per paragraph
        if clauses and (listing or numbered or not clauses[-1][-1].rstrip().endswith(tuple(_SENTENCE_END + "：:"))):
            clauses[-1].append(para)  # 项 (一)…, wrapped lines and a listing continue the 款
        else:
            clauses.append([para])
    if not clauses:
        return [_measure(marker.label, path, "")]
    if len(clauses) == 1:
        return [_with_items(_measure(marker.label, path, "\n".join(clauses[0])), clauses[0])]
    return [
        _with_items(_measure(f"{marker.label}第{_cn_ordinal(i)}款", f"{path}.{i}", "\n".join(c)), c)
        for i, c in enumerate(clauses, start=1)
    ]


def _with_items(measure: Measure, paras: list[str]) -> Measure:
    """The numbered lines of a 条 or 款 as its items: 项 （一）, 目 1. under a 项 (depth by first appearance)."""
    stack: list[tuple[str, Item]] = []
    for k, para in enumerate(paras):
        runs = numbered_runs(para, after_colon=True)
        if runs:
            # 项 printed inside the paragraph: 有下列情形之一的：（一）…；（二）…
            ends = [start for start, _ in runs[1:]] + [len(para)]
            target = stack[-1][1].items if stack and k else measure.items
            target.extend(Item(label=label, text=para[start + len(label) : end].strip())
                          for (start, label), end in zip(runs, ends, strict=True))
            continue
        if k == 0:
            continue
        m = parse_marker(para)
        if m is None or m.family in LAW_FAMILIES:
            if stack:
                stack[-1][1].text += "\n" + para
            continue
        item = Item(label=m.label, text=m.rest)
        families = [f for f, _ in stack]
        if m.family in families:
            del stack[families.index(m.family):]
        (stack[-1][1].items if stack else measure.items).append(item)
        stack.append((m.family, item))
    return measure


def _cn_ordinal(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    return ("十" if n < 20 else digits[n // 10] + "十") + (digits[n % 10] if n % 10 else "")


def _inline_measures(paragraph: str, path: str) -> list[Measure]:
    runs = inline_runs(paragraph)
    if not runs:
        return []
    out = []
    for k, (start, label) in enumerate(runs):
        end = runs[k + 1][0] if k + 1 < len(runs) else len(paragraph)
        text = paragraph[start + len(label) : end].strip()
        out.append(_measure(label, f"{path}.{k + 1}", text))
    return out


def split_heading(text: str) -> tuple[str, str]:
    """`加强干部队伍建设。落实有关规定…` -> (`加强干部队伍建设`, `落实有关规定…`).

    Only a short first sentence followed by a long one is a heading (trap 4); a short item
    that ends in 。 is a measure, and a line with no 。 at all is a bare heading.
    """
    t = text.strip()
    if not t:
        return "", ""
    for stop in ("。", "．"):
        k = t.find(stop)
        if 0 < k <= 30 and len(t) - k - 1 >= 10 and "，" not in t[:k]:
            return t[:k], t[k + 1 :].strip()
    if len(t) <= 30 and not any(c in t for c in "。；;，,：:"):
        return t, ""
    if len(t) <= 31 and t.endswith("。") and "，" not in t:
        return t[:-1], ""
    return "", t


def bare_heading_only(text: str) -> bool:
    t = text.strip()
    return 0 < len(t) <= 30 and not any(c in t for c in "。；;，,：:！!？?")


def _measure(label: str, path: str, text: str, heading: str = "") -> Measure:
    norm = norm_text(text)
    return Measure(label=label, path=path, text=text, heading=heading, norm_text=norm, hash=text_hash(norm))
