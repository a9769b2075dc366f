"""Step 2 of structure: the 印发 cover notice, the masthead, signatures and the 附件 scopes (trap 3)."""

from __future__ import annotations

import re

from pipeline.markers import parse_marker
from pipeline.metadata import find_doc_numbers, iso_date
from pipeline.structure_model import Line, Scope
from pipeline.text import norm_text

_COVER = re.compile(
    r"(印发给你们|现予印发|现印发|现将.{0,80}(?:印发|公布|发布)|予以印发|现予发布|现予公布|现发布|转发给你们|现转发|"
    r"请认真贯彻|请遵照执行|请认真组织实施|请结合实际|请认真执行|请贯彻执行)"
)
_SIGNATURE_ORG = re.compile(r"^[\u4e00-\u9fff（）()、\s]{2,40}(政府|委员会|局|厅|办公室|办公厅|部|院|中心|会|处|所|公司|小组|领导小组|街道办事处|分行|总队|调查队|联社)$")
_ATTACH_OPEN = re.compile(r"^附\s*[件表]\s*(\d{1,2})?\s*[:：]?\s*$")
_ATTACH_NAMED = re.compile(r"^附\s*件\s*(\d{1,2})?\s*[:：]\s*(.+)$")
_LIST_NUMBER = re.compile(r"^\s*\d{1,2}\s*[.．、]\s*")
_NOTE = re.compile(r"^[(（]此件.{0,12}[)）]$")
# an editor's note on a line of its own: （此件公开发布）, （本文有删减）, （有删减）
_EDITORIAL = re.compile(r"^[(（](?:此件|本文|有删减|略|全文)[^()（）]{0,12}[)）]$")
_CONTACT = re.compile(r"^(联系人|联系电话|联系方式|咨询电话|抄送|抄报)[:：]")


def _is_date_line(text: str) -> bool:
    t = text.strip()
    return len(t) <= 20 and bool(iso_date(t)) and not re.search(r"[，。；]", t)


# What a line of issuing bodies is made of (_SIGNATURE_ORG's characters and spaces): a line with
# any other character, as almost every line of prose has (a ，), is no signature of bodies, and is
# not tried against the backtracking patterns at all.
_SIGNATURE_CHARS = re.compile(r"[\u4e00-\u9fff（）()、\s]+")


def _is_signature(text: str) -> bool:
    t = text.strip()
    if _is_date_line(t) or _NOTE.match(t) or _CONTACT.match(t):
        return True
    if not _SIGNATURE_CHARS.fullmatch(t):
        return False
    return bool(_SIGNATURE_ORG.match(t.replace(" ", "").replace("\u3000", ""))) or _is_joint_signature(t)


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
        # both 附件 patterns open with 附: the other lines are not matched against them
        if line.table is None and line.text.lstrip().startswith("附"):
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
    return bool(_FIRST_NAME.match(t)) and len(t) < 60 and "。" not in t


_FIRST_NAME = re.compile(r"^\s*[1１]\s*[.．、]")


def _attachment_list(first: str, lines: list[Line], i: int) -> tuple[list[str], int]:
    """The names of a 附件说明 list starting with `first` at line i, and the index after the list."""
    names = [_LIST_NUMBER.sub("", first).strip()]
    j = i + 1
    while j < len(lines) and lines[j].table is None and _LIST_NUMBER.match(lines[j].text) and len(lines[j].text) < 60:
        names.append(_LIST_NUMBER.sub("", lines[j].text).strip())
        j += 1
    return [n for n in names if n], j
