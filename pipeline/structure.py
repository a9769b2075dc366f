"""Lines to a tree of sections and measures.

Clean lines come in (body only, chrome gone); a tree with stable paths comes out. The steps,
in order, each answering one trap of docs/traps.md:

1. drop repeated content: a 目录 block, a body printed twice, repeated title lines (trap 6;
   pipeline.repeats);
2. split off the 印发 cover notice and open a scope for each 附件 and each numbering restart (trap 3;
   pipeline.cover, and _split_restarts here);
3. build a node tree per scope with a stack of marker families: a family seen before in the
   stack closes the deeper levels, a new one opens a deeper level (depth by first appearance;
   pipeline.node_tree);
4. turn nodes into Sections and Measures: 条 -> one measure (or one per 款), leaves -> measures,
   group headings -> sections, inline 一是…二是… runs -> child measures, Q&A answers -> measures
   (pipeline.sections, one rule per kind of node).
"""

from __future__ import annotations

import re

from pipeline.cover import _looks_like_title, _scopes, _signature_date, _split_cover, _split_masthead
from pipeline.markers import Marker, inline_runs, numbered_runs
from pipeline.node_tree import _build_tree
from pipeline.repeats import _drop_repeats, _drop_titles, _skip_toc
from pipeline.schema import Section
from pipeline.sections import _convert, _inline_measures, bare_heading_only, split_heading
from pipeline.structure_model import Line, Node, Scope, Structured

__all__ = ["Line", "Node", "Scope", "Structured", "bare_heading_only", "split_heading", "structure"]

_SALUTATION = re.compile(r"^[^。；;！？?!]{2,120}[：:]$")


def structure(lines: list[Line], titles: list[str]) -> Structured:
    out = Structured()
    lines = _drop_repeats(_skip_toc(lines))
    out.signature_date = _signature_date(lines)
    lines, cover, out.body_title = _split_cover(lines)
    out.cover_note = "\n".join(x.text for x in _drop_titles(cover, titles) if x.table is None)
    lines = _split_item_lines(_drop_titles(lines, [*titles, out.body_title]))
    if not cover:
        lines, out.masthead = _split_masthead(lines)
    for scope in _scopes(lines, out.attachment_names):
        root, preamble, closing = _build_tree(scope.lines)
        if not root.children and not scope.prefix:
            # no numbering at all (a 决议, a news-style notice): each paragraph is a measure
            # but the salutation (主送机关：) above them is no measure
            paras = preamble.split("\n")
            head = 1 if len(paras) > 1 and _SALUTATION.match(paras[0].strip()) else 0
            root.children, preamble = _paragraph_nodes("\n".join(paras[head:])), "\n".join(paras[:head])
        parts = _split_restarts(root)
        root = parts[0][0]
        sections = _convert(root, scope.prefix)
        for k, (part, title) in enumerate(parts[1:], start=2):
            prefix = f"{scope.prefix}part{k}/"
            sections.append(Section(label="", ordinal=k, level=1, path=prefix.rstrip("/"), title=title,
                                    children=_convert(part, prefix)))
        if scope.prefix:
            att = Section(
                label=scope.label,
                ordinal=_att_ordinal(scope.prefix),
                level=1,
                path=scope.prefix.rstrip("/"),
                title=scope.title,
                text="\n".join(x for x in (preamble, closing) if x),
                children=sections,
                tables=root.tables,
            )
            _add_loose_measures(att, root)
            out.sections.append(att)
        else:
            out.preamble = preamble
            out.closing = closing
            if root.tables or _has_runs(preamble):
                # tables and inline runs that sit before any numbered heading belong to the body itself
                body = Section(label="", ordinal=None, level=1, path="0", title="", text="", tables=root.tables)
                _add_loose_measures(body, root)
                if body.tables or body.measures:
                    out.sections.append(body)
            out.sections.extend(sections)
    return out


def _split_item_lines(lines: list[Line]) -> list[Line]:
    """A paragraph printing several numbered items (1.…；2.…；3.…) is one line per item: they are
    siblings of the items printed on lines of their own."""
    out: list[Line] = []
    for line in lines:
        runs = numbered_runs(line.text) if line.table is None and _ITEM_HINT.search(line.text) else None
        if not runs:
            out.append(line)
            continue
        ends = [start for start, _ in runs[1:]] + [len(line.text)]
        head = line.text[: runs[0][0]].strip()
        if head:
            out.append(Line(text=head))
        out.extend(Line(text=line.text[start:end].strip()) for (start, _), end in zip(runs, ends, strict=True))
    return out


_ITEM_HINT = re.compile(r"[；;。]\s*(?:\d{1,2}[.．、]|[（(](?:\d{1,2}|[一二三四五六七八九十]{1,3})[)）])")


def _paragraph_nodes(preamble: str) -> list[Node]:
    paras = [p for p in preamble.split("\n") if p.strip()]
    return [Node(marker=Marker("para", i, f"¶{i}", p), ordinal=i) for i, p in enumerate(paras, start=1)]


def _split_restarts(root: Node) -> list[tuple[Node, str]]:
    """Numbering that starts again at 一、 (or 第一条) at the top level begins another part (trap 3).

    Returns (root of the part, its title) pairs; the title is a short line printed just above
    the restarted list, taken back from the previous part's last item.
    """
    parts: list[list[Node]] = [[]]
    for child in root.children:
        prev = parts[-1][-1] if parts[-1] else None
        if prev is not None and child.family == prev.family and child.ordinal == 1 and (prev.ordinal or 0) >= 2:
            parts.append([])
        parts[-1].append(child)
    if len(parts) == 1:
        return [(root, "")]
    out: list[tuple[Node, str]] = []
    for k, children in enumerate(parts):
        title = ""
        if k > 0:
            last = out[-1][0]
            leaf = last.children[-1]
            while leaf.children:
                leaf = leaf.children[-1]
            if leaf.paras and _looks_like_title(leaf.paras[-1]) and len(leaf.paras[-1]) <= 40:
                title = leaf.paras.pop()
        part = Node(marker=None, children=children, tables=root.tables if k == 0 else [])
        out.append((part, title))
    return out


def _att_ordinal(prefix: str) -> int:
    return int(re.sub(r"\D", "", prefix) or 0)


def _has_runs(text: str) -> bool:
    return any(inline_runs(p) for p in text.split("\n")) if text else False


def _add_loose_measures(section: Section, root: Node) -> None:
    """Inline runs in paragraphs that stand before any numbered heading."""
    for para in root.paras:
        ms = _inline_measures(para, section.path)
        if ms:
            section.measures.extend(ms)
