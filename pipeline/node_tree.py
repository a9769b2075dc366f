"""Step 3 of structure: lines to a node tree, with a stack of marker families.

A family seen before in the stack closes the deeper levels; a new one opens a deeper level
(depth by first appearance, trap 3).
"""

from __future__ import annotations

import re

from pipeline.cover import _is_signature
from pipeline.markers import LAW_FAMILIES, Marker, parse_marker
from pipeline.structure_model import Line, Node

_NOTE_HEADING = re.compile(r"^(?:注释|注|附注|备注|说明|资料来源|小贴士|温馨提示|注意事项|特别提示)\s*[:：]?$")
_LAW_RANK = {"bian": 0, "zhang": 1, "jie": 2, "tiao": 3}


def _build_tree(lines: list[Line]) -> tuple[Node, str, str]:
    root = Node(marker=None)
    stack: list[Node] = [root]
    last: dict[str, int] = {}
    preamble: list[str] = []
    tail: list[str] = []
    last_top = _last_top_marker(lines)
    for i, line in enumerate(lines):
        if line.table is not None:
            stack[-1].tables.append(line.table)
            continue
        text = line.text.strip()
        if not text:
            continue
        marker = parse_marker(text)
        families = [n.family for n in stack] if marker else []  # the open levels, root first
        if marker and marker.family not in LAW_FAMILIES and "tiao" in families:
            marker = None  # 项 and 目 inside a 条 are part of its text
        if marker and not _plausible(marker, stack, families, last):
            marker = None
        if marker is None and _NOTE_HEADING.match(text):
            # an unnumbered heading over numbered notes (注：（1）…, 小贴士): it adds no level and sits
            # under the labelled item it belongs to, not under that item's last leaf; after the last
            # top-level item it is the document's (注释：1.… at the end of a 公报)
            if i > last_top:
                del stack[1:]
            elif len(stack) > 2 and not stack[-1].children:
                stack.pop()
            last["note"] = last.get("note", 0) + 1
            node = Node(marker=Marker("note", None, "", text.rstrip(":：")), ordinal=last["note"])
            stack[-1].children.append(node)
            stack.append(node)
            continue
        if marker is None:
            if _is_signature(text):
                tail.append(text)
                continue
            if len(stack) == 1:
                preamble.append(text)
            else:
                stack[-1].paras.append(text)
            continue
        ordinal = marker.ordinal if marker.ordinal is not None else last.get(marker.family, 0) + 1
        node = Node(marker=marker, ordinal=ordinal, inferred=marker.ordinal is None)
        if marker.family in families:
            del stack[families.index(marker.family) :]
        if marker.family in _LAW_RANK:
            # a 章 closes the open 条 (and a 节 the open 节 and 条) even when no 第一章 line opened them:
            # a republished law that drops its 第一章 heading keeps its 第二章… (trap 3)
            while len(stack) > 1 and _LAW_RANK.get(stack[-1].family or "", -1) >= _LAW_RANK[marker.family]:
                stack.pop()
        stack[-1].children.append(node)
        stack.append(node)
        last[marker.family] = ordinal
    closing = _detach_closing(root)
    return root, "\n".join(preamble), closing


def _last_top_marker(lines: list[Line]) -> int:
    """Index of the last line numbered in the family of the first numbered line (the top level)."""
    top, last = None, -1
    for i, line in enumerate(lines):
        m = parse_marker(line.text) if line.table is None else None
        if m is not None:
            top = top or m.family
            if m.family == top:
                last = i
    return last


def _plausible(marker: Marker, stack: list[Node], families: list[str | None], last: dict[str, int]) -> bool:
    """A marker continues its family's count or starts one; a stray `3.` in prose does neither.
    `families` are the stack's, root first."""
    if marker.ordinal is None:
        return True  # a dropped numeral: the count says which it is
    fam = marker.family
    if fam.startswith("dec") and fam != "dec1":
        # 2.1.3 belongs under the open 2.1: its number says so
        parent = next((n for n in reversed(stack) if n.family == f"dec{int(fam[3:]) - 1}"), None)
        if parent is None or parent.marker is None or not marker.label.startswith(parent.marker.label + "."):
            return False
    if fam not in families and fam not in last and fam in ("pad", "latin", "dec1") and marker.ordinal != 1:
        return False  # these families are read only from their first item: 01, a., 1
    if fam in families:
        sibling = stack[families.index(fam)]
        prev = sibling.ordinal or 0
        return prev < marker.ordinal <= prev + 3 or marker.ordinal == 1
    prev = last.get(fam, 0)
    return marker.ordinal <= 2 or marker.ordinal == prev + 1 or fam in LAW_FAMILIES


def _detach_closing(root: Node) -> str:
    """The closing paragraph after the last item is the document's, not the last item's.

    Recognised when the last leaf carries paragraphs that none of its sibling leaves have.
    """
    node = root
    while node.children:
        node = node.children[-1]
    parent = _parent_of(root, node)
    if parent is None or node.family in LAW_FAMILIES or not node.paras:
        return ""
    siblings = [c for c in parent.children if c is not node and not c.children]
    if len(siblings) >= 2 and all(not s.paras for s in siblings) and node.marker and node.marker.rest:
        closing, node.paras = node.paras, []
        return "\n".join(closing)
    return ""


def _parent_of(root: Node, target: Node) -> Node | None:
    for child in root.children:
        if child is target:
            return root
        found = _parent_of(child, target)
        if found is not None:
            return found
    return None
