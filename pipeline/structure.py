"""Lines to a tree of sections and measures.

Clean lines come in (body only, chrome gone); a tree with stable paths comes out. The steps,
in order, each answering one trap of research/chinese-policy-structure.md:

1. drop repeated content: a 目录 block, a body printed twice, repeated title lines (trap 6);
2. split off the 印发 cover notice and open a scope for each 附件 and each numbering restart (trap 3);
3. build a node tree per scope with a stack of marker families: a family seen before in the
   stack closes the deeper levels, a new one opens a deeper level (depth by first appearance);
4. turn nodes into Sections and Measures: 条 -> one measure (or one per 款), leaves -> measures,
   group headings -> sections, inline 一是…二是… runs -> child measures, Q&A answers -> measures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.markers import LAW_FAMILIES, LAW_HEADINGS, Marker, inline_runs, numbered_runs, parse_marker
from pipeline.metadata import cn_number, find_doc_numbers, iso_date
from pipeline.schema import Item, Measure, Section, Table
from pipeline.text import norm_text, text_hash


@dataclass
class Line:
    text: str
    table: Table | None = None
    heading: bool = False


@dataclass
class Node:
    marker: Marker | None
    paras: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    ordinal: int | None = None
    inferred: bool = False

    @property
    def family(self) -> str | None:
        return self.marker.family if self.marker else None


@dataclass
class Scope:
    prefix: str  # "" for the body, "att1/" for the first attachment
    label: str = ""  # "附件1"
    title: str = ""
    lines: list[Line] = field(default_factory=list)


@dataclass
class Structured:
    cover_note: str = ""
    body_title: str = ""
    preamble: str = ""
    closing: str = ""
    sections: list[Section] = field(default_factory=list)
    attachment_names: list[str] = field(default_factory=list)
    masthead: str = ""  # the 文号 / 令 lines printed under the title of a document without a cover
    signature_date: str = ""  # ISO date of the first signature (发文机关署名 + 成文日期), "" if none


_COVER = re.compile(
    r"(印发给你们|现予印发|现印发|现将.{0,80}(?:印发|公布|发布)|予以印发|现予发布|现予公布|现发布|转发给你们|现转发|"
    r"请认真贯彻|请遵照执行|请认真组织实施|请结合实际|请认真执行|请贯彻执行)"
)
_SIGNATURE_ORG = re.compile(r"^[\u4e00-\u9fff（）()、\s]{2,40}(政府|委员会|局|厅|办公室|办公厅|部|院|中心|会|处|所|公司|小组|领导小组|街道办事处|分行|总队|调查队|联社)$")
_ATTACH_OPEN = re.compile(r"^附\s*[件表]\s*(\d{1,2})?\s*[:：]?\s*$")
_ATTACH_NAMED = re.compile(r"^附\s*件\s*(\d{1,2})?\s*[:：]\s*(.+)$")
_LIST_NUMBER = re.compile(r"^\s*\d{1,2}\s*[.．、]\s*")
_ANSWER = re.compile(r"^答\s*[:：]\s*")
_QUESTION = re.compile(r"^问\s*[:：]\s*")
_TOC = re.compile(r"^目\s*录$")
_NOTE = re.compile(r"^[(（]此件.{0,12}[)）]$")
# an editor's note on a line of its own: （此件公开发布）, （本文有删减）, （有删减）
_EDITORIAL = re.compile(r"^[(（](?:此件|本文|有删减|略|全文)[^()（）]{0,12}[)）]$")
_CONTACT = re.compile(r"^(联系人|联系电话|联系方式|咨询电话|抄送|抄报)[:：]")
_SENTENCE_END = "。；;！!？?"
_NOTE_HEADING = re.compile(r"^(?:注释|注|附注|备注|说明|资料来源|小贴士|温馨提示|注意事项|特别提示)\s*[:：]?$")
_SALUTATION = re.compile(r"^[^。；;！？?!]{2,120}[：:]$")
_LAW_RANK = {"bian": 0, "zhang": 1, "jie": 2, "tiao": 3}


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


# -- 1. repeated content -------------------------------------------------------------------


def _skip_toc(lines: list[Line]) -> list[Line]:
    """Drop a 目录 block: the heading lines after 目录 up to where the first one comes back."""
    for i, line in enumerate(lines[:80]):
        if not _TOC.match(norm_text(line.text)):
            continue
        entries = []
        j = i + 1
        while j < len(lines) and len(lines[j].text) <= 40 and not lines[j].table:
            key = norm_text(lines[j].text)
            if entries and key == entries[0]:
                return lines[:i] + lines[j:]
            entries.append(key)
            j += 1
        return lines
    return _skip_heading_run(lines)


def _skip_heading_run(lines: list[Line]) -> list[Line]:
    """An unlabelled contents list: 3+ bare numbered headings in a row, one of which comes back later."""
    i, n = 0, min(len(lines), 200)
    while i < n:
        j = i
        while j < len(lines) and lines[j].table is None and _is_bare_marker_line(lines[j].text):
            j += 1
        if j - i >= 3:
            later = {norm_text(x.text) for x in lines[j:] if x.table is None}
            if any(norm_text(x.text) in later for x in lines[i:j]):
                return lines[:i] + lines[j:]
        i = j + 1
    return lines


def _is_bare_marker_line(text: str) -> bool:
    m = parse_marker(text)
    return m is not None and m.family in ("cn", "bian", "zhang", "jie") and bare_heading_only(m.rest or "x")


def _drop_repeats(lines: list[Line]) -> list[Line]:
    """Keep a body printed twice once: a run of 3+ lines (or one long paragraph) seen before is dropped."""
    keys = [norm_text(x.text) if x.table is None else f"<table {id(x.table)}>" for x in lines]
    first_at: dict[str, int] = {}
    out: list[Line] = []
    i = 0
    while i < len(lines):
        k = keys[i]
        j = first_at.get(k)
        if j is not None and k and lines[i].table is None:
            run = 0
            while i + run < len(lines) and j + run < i and keys[i + run] == keys[j + run]:
                run += 1
            if run >= 3 or (run >= 1 and len(k) >= 40):
                i += run
                continue
        first_at.setdefault(k, i)
        out.append(lines[i])
        i += 1
    return out


def _drop_titles(lines: list[Line], titles: list[str]) -> list[Line]:
    """Remove title lines before the first marker, also a title wrapped over several lines (trap 5).

    A short head line whose text lies wholly inside a known title is a piece of that title.
    """
    keys = {norm_text(re.sub(r"^[（(]转载[)）]", "", t)) for t in titles if t}
    keys.discard("")
    if not keys:
        return lines
    out: list[Line] = []
    for i, line in enumerate(lines):
        if i < 12 and line.table is None and parse_marker(line.text) is None:
            key = norm_text(line.text)
            short_piece = len(key) >= 2 and not re.search(r"[\W_]", key)
            if (len(key) >= 6 or short_piece) and any(key in k for k in keys):
                continue
        out.append(line)
    return out


# -- 2. cover notice and scopes ------------------------------------------------------------


def _is_date_line(text: str) -> bool:
    t = text.strip()
    return len(t) <= 20 and bool(iso_date(t)) and not re.search(r"[，。；]", t)


def _is_signature(text: str) -> bool:
    t = text.strip()
    return (
        _is_date_line(t)
        or bool(_SIGNATURE_ORG.match(t.replace(" ", "").replace("\u3000", "")))
        or bool(_NOTE.match(t))
        or bool(_CONTACT.match(t))
        or _is_joint_signature(t)
    )


def _is_joint_signature(t: str) -> bool:
    parts = [p for p in re.split(r"\s{2,}", t) if p]
    return len(parts) >= 2 and all(_SIGNATURE_ORG.match(p) for p in parts)


_ORDER_HEAD = re.compile(r"^[\u4e00-\u9fff]{2,20}令$|^第\s*\d{1,5}\s*号$")


def _split_masthead(lines: list[Line]) -> tuple[list[Line], str]:
    """The head of a document printed without a cover: its 文号 line, or a 令's "…令 / 第706号",
    is metadata, not text: it would become the preamble or, in an unnumbered text, a measure."""
    head: list[str] = []
    i = 0
    while i < min(len(lines), 4) and lines[i].table is None:
        t = lines[i].text.strip()
        number = find_doc_numbers(t)
        if not (_ORDER_HEAD.match(t) or (number and len(norm_text(t)) <= len(norm_text(number[0][0])) + 2)):
            break
        head.append(t)
        i += 1
    return lines[i:], "\n".join(head)


def _signature_date(lines: list[Line]) -> str:
    """The date under the first signature: a date line just below a line of issuing bodies, after
    some text (a date at the head of a page, under the title, dates a briefing, not a document)."""
    seen_text = False
    for i, line in enumerate(lines):
        t = line.text.strip()
        if line.table is None and seen_text and _is_date_line(t) and i > 0 and _signature_line(lines[i - 1].text):
            return iso_date(t)
        seen_text = seen_text or (line.table is None and len(t) >= 30)
    return ""


def _signature_line(text: str) -> bool:
    parts = text.replace("\u3000", " ").split()
    return bool(parts) and all(_SIGNATURE_ORG.match(p) for p in parts)


def _split_cover(lines: list[Line]) -> tuple[list[Line], list[Line], str]:
    """A 印发 notice is two documents: the cover notice, then the attached one with its own title."""
    first_marker = next((i for i, x in enumerate(lines) if x.table is None and parse_marker(x.text)), len(lines))
    for i in range(min(first_marker, 15)):
        if lines[i].table is not None or not _COVER.search(lines[i].text):
            continue
        # the cover ends at its date line; the signature sits just above it
        # a longer cover (a 转发 note with its own paragraphs) is still one when its date sits
        # under the signature
        for j in range(i + 1, min(i + 20, len(lines))):
            if lines[j].table is None and parse_marker(lines[j].text) is not None:
                break  # numbered text before any date: the 印发 sentence was the document's own
            if _is_date_line(lines[j].text) and (j < i + 8 or _signature_line(lines[j - 1].text)):
                k = j + 1
                while k < len(lines) and _EDITORIAL.match(lines[k].text.strip()):
                    k += 1
                cover_end = k
                # the attached document's title, wrapped over up to three lines (trap 5)
                pieces: list[str] = []
                while k < len(lines) and len(pieces) < 3 and lines[k].table is None and _looks_like_title(lines[k].text) \
                        and sum(map(len, pieces)) + len(lines[k].text.strip()) <= 80:
                    pieces.append(lines[k].text.strip())
                    k += 1
                return lines[k:], lines[:cover_end], "".join(pieces)
        return lines, [], ""
    return lines, [], ""


def _looks_like_title(text: str) -> bool:
    t = text.strip()
    return (4 <= len(t) <= 80 and not any(c in t for c in "。；：:，") and parse_marker(t) is None
            and not t.startswith(("（", "(")) and not _is_date_line(t))


def _scopes(lines: list[Line], attachment_names: list[str]) -> list[Scope]:
    """The body, then one scope per 附件 (a bare "附件N" line, then its title on the next line)."""
    scopes = [Scope(prefix="")]
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.table is None:
            m_open = _ATTACH_OPEN.match(line.text.strip())
            if m_open and _is_name_list(lines, i + 1):
                # "附件：" then "1．XXX" "2．YYY": the 附件说明, names only
                names, i = _attachment_list(lines[i + 1].text, lines, i + 1)
                attachment_names.extend(names)
                continue
            if m_open:
                n = len(scopes)
                title = ""
                if i + 1 < len(lines) and lines[i + 1].table is None and _looks_like_title(lines[i + 1].text):
                    title = lines[i + 1].text.strip()
                    i += 1
                scopes.append(Scope(prefix=f"att{n}/", label=line.text.strip(), title=title))
                i += 1
                continue
            m_named = _ATTACH_NAMED.match(line.text.strip())
            if m_named:
                # 附件说明 "附件：1．XXX" lists names; the attached text, if any, follows under its own 附件 line
                names, i = _attachment_list(m_named.group(2), lines, i)
                attachment_names.extend(names)
                continue
        scopes[-1].lines.append(line)
        i += 1
    return [s for s in scopes if s.lines or s.prefix]


def _is_name_list(lines: list[Line], i: int) -> bool:
    if i >= len(lines) or lines[i].table is not None:
        return False
    t = lines[i].text
    return bool(re.match(r"^\s*[1１]\s*[.．、]", t)) and len(t) < 60 and "。" not in t


def _attachment_list(first: str, lines: list[Line], i: int) -> tuple[list[str], int]:
    """The names of a 附件说明 list starting with `first` at line i, and the index after the list."""
    names = [_LIST_NUMBER.sub("", first).strip()]
    j = i + 1
    while j < len(lines) and lines[j].table is None and _LIST_NUMBER.match(lines[j].text) and len(lines[j].text) < 60:
        names.append(_LIST_NUMBER.sub("", lines[j].text).strip())
        j += 1
    return [n for n in names if n], j


# -- 3. the node tree ----------------------------------------------------------------------


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
        in_article = any(n.family == "tiao" for n in stack[1:])
        if marker and in_article and marker.family not in LAW_FAMILIES:
            marker = None  # 项 and 目 inside a 条 are part of its text
        if marker and not _plausible(marker, stack, last):
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
        families = [n.family for n in stack]
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


def _plausible(marker: Marker, stack: list[Node], last: dict[str, int]) -> bool:
    """A marker continues its family's count or starts one; a stray `3.` in prose does neither."""
    if marker.ordinal is None:
        return True  # a dropped numeral: the count says which it is
    fam = marker.family
    families = [n.family for n in stack]
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


# -- 4. nodes to sections and measures -----------------------------------------------------


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


def _node(node: Node, parent_path: str, level: int, group_level: bool, seen: set[str]) -> Section | list[Measure]:
    marker = node.marker
    assert marker is not None
    sep = "" if parent_path.endswith("/") or not parent_path else "."
    fam = marker.family
    path = _unique(f"{parent_path}{sep}{'n' if fam == 'note' else ''}{node.ordinal}", seen)

    if fam == "note":
        sec = Section(label="", ordinal=None, level=level, path=path, title=marker.rest,
                      text="\n".join(node.paras), tables=node.tables)
        _children_into(sec, node, level - 1, seen)
        return sec
    if fam in LAW_HEADINGS:
        sec = Section(label=marker.label, ordinal=node.ordinal, level=level, path=path, title=marker.rest,
                      text="\n".join(node.paras), tables=node.tables, inferred=node.inferred)
        _children_into(sec, node, level, seen)
        return sec
    if fam == "tiao":
        return _article(node, path)

    heading, body = split_heading(marker.rest)
    if node.children:
        # the line's text is the title, or its heading and the rest: never title and text both
        text = "\n".join(([body] if body and heading else []) + node.paras)
        sec = Section(label=marker.label, ordinal=node.ordinal, level=level, path=path, title=heading or marker.rest,
                      text=text, tables=node.tables, inferred=node.inferred)
        _children_into(sec, node, level, seen)
        return sec

    if fam in ("cn", "pcn") and not node.paras and bare_heading_only(marker.rest):
        # a heading with nothing under it (a contents list, an empty part) is no measure
        return Section(label=marker.label, ordinal=node.ordinal, level=level, path=path, title=marker.rest,
                       tables=node.tables, inferred=node.inferred)

    answer = _answer(node)
    if answer is not None:
        return [_measure(marker.label, path, answer, heading=marker.rest)]

    paras = ([marker.rest] if marker.rest else []) + node.paras
    by_paragraph = _paragraph_runs(node.paras)
    if by_paragraph is not None:
        first, items = by_paragraph
        lead = ([body or marker.rest] if marker.rest and not heading else [body] if body else []) + node.paras[:first]
        sec = Section(label=marker.label, ordinal=node.ordinal, level=level, path=path, title=heading or marker.rest,
                      text="\n".join(x for x in lead if x), tables=node.tables, inferred=node.inferred)
        _run_items_into(sec, items, level)
        return sec

    runs = [m for p in paras for m in _inline_measures(p, path)]
    bare_heading = bool(heading) and not body
    if (group_level and level == 1 and bare_heading) or runs:
        # the text is what stands outside the runs, in order; the title is not repeated in it
        lead = [p[: inline_runs(p)[0][0]].strip() if inline_runs(p) else p for p in paras]
        if heading and marker.rest and lead and lead[0] == marker.rest:
            lead[0] = body
        title = heading or (lead[0] if marker.rest and lead else marker.rest)
        if not heading and marker.rest and lead:
            lead = lead[1:]
        return Section(label=marker.label, ordinal=node.ordinal, level=level, path=path, title=title,
                       text="\n".join(x for x in lead if x), measures=runs, tables=node.tables, inferred=node.inferred)
    text = "\n".join(paras)
    return [_measure(marker.label, path, text, heading=heading)]


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
    also kept as the measure's items, so the tree shows them (DESIGN.md, "The schema").
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
