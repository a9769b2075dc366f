"""The 政府信息公开 metadata block, 文号, dates and references.

Labels vary by site (索引号/信息索引号, 发布机构/发文机关/公开主体, 文号/发文字号…); values
are plain text after a colon, or in the next cell. 文号 bracket variants are normalized to
代字〔YYYY〕N号 for matching, and the raw string is kept.
"""

from __future__ import annotations

import re
from itertools import pairwise

from pipeline.schema import Reference
from pipeline.text import nfkc

# field -> label variants as printed, in no order (longer variants are tried first). A site
# picks one name per field: 发布机构, 发文机关 and 责任部门 are all the publisher; 成文日期, 发文日期
# and 生成日期 all the date the document was written (生成日期 is the xxgk block's).
LABELS: dict[str, tuple[str, ...]] = {
    "index_number": ("信息索引号", "索引号"),
    "category": ("主题分类", "组配分类", "信息分类", "分类"),
    "publisher": ("发布机构", "发文机关", "发布机关", "公开主体", "发文单位", "责任部门", "发布单位"),
    "written_date": ("成文日期", "成文时间", "发文日期", "生成日期"),
    "title": ("名称", "标题", "文件名称"),
    "doc_number": ("发文字号", "文件编号", "文号"),
    "published_date": ("发布日期", "发布时间", "公开日期", "公开时间"),
    "subject_terms": ("主题词", "关键词"),
    "status": ("有效性", "文件状态", "时效性", "效力状态"),
    "effective_date": ("实施日期", "施行日期"),
    # a bare 日期 beside 来源 under the title is the page's byline; weaker than 发布日期
    "byline_date": ("日期",),
}
_ALL = sorted(((v, k) for k, vs in LABELS.items() for v in vs), key=lambda x: -len(x[0]))
_SPACED = r"[\s\u3000]*"  # pages space labels out to the width of the longest: 索 引 号, 标　　题
_LABEL_ALT = "|".join(_SPACED.join(map(re.escape, v)) for v, _ in _ALL)
# a label then its colon, anywhere in a line (the one-line form 发布机关：… 发文字号：… 发布日期：…)
_LABEL_RE = re.compile(r"(?<![\u4e00-\u9fff])(" + _LABEL_ALT + r")" + _SPACED + r"[:：]")
# a label alone in its cell, with or without its colon: the value is in the next cell
_LABEL_CELL = re.compile(r"^(" + _LABEL_ALT + r")" + _SPACED + r"[:：]?$")
_FIELD_OF = dict(_ALL)
_NOT_LABEL = re.compile(r"[\s\u3000:：]")


def _field(label: str) -> str:
    return _FIELD_OF[_NOT_LABEL.sub("", label)]


_NUM = "0-9零〇○一二三四五六七八九十百"
DOC_NUMBER = re.compile(
    r"(?P<agency>[\u4e00-\u9fff]{1,20}?(?:字)?)\s*"
    r"(?:[〔\[［【(（]\s*(?P<year>(?:19|20)\d{2})\s*[〕\]］】)）]|(?P<year2>(?:19|20)\d{2})年)\s*"
    r"第?\s*(?P<seq>\d{1,5})\s*号"
    r"|(?P<agency3>[\u4e00-\u9fff]{1,12}令)\s*第\s*(?P<seq3>\d{1,5})\s*号"
)
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "O": 0, "0": 0, "Ｏ": 0}
_CN_DATE = re.compile(r"([〇零○Ｏ一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")
_BOOK = re.compile(r"《([^《》\n]{2,80})》\s*(?:[(（]\s*([^()（）]{2,30}?号)\s*[)）])?")
_AGENCY_HEAD = re.compile(r"^(?:关于|根据|按照|依据|经|由|对|将|在|为|以及|和|与|及|或|等|印发|转发|参照|省|市)+")


def normalize_doc_number(raw: str) -> str:
    """`穗残联[2016] 11 号` -> `穗残联〔2016〕11号`; `国令第837号` stays; unknown shapes pass through squeezed."""
    t = nfkc(raw).strip()
    m = DOC_NUMBER.search(t)
    if not m:
        return re.sub(r"\s+", "", raw)
    if m.group("agency3"):
        return f"{m.group('agency3')}第{int(m.group('seq3'))}号"
    year = m.group("year") or m.group("year2")
    return f"{m.group('agency')}〔{year}〕{int(m.group('seq'))}号"


_DOC_NUMBER_TAIL = re.compile(r"(?:[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]|(?:19|20)\d{2}年|令)\s*第?\s*\d{1,5}\s*号")


def find_doc_numbers(text: str) -> list[tuple[str, str]]:
    """(raw, normalized) 文号 found in running text, in order, without repeats.

    The year-and-number tail is searched first and the agency read backwards from it:
    trying the agency pattern at every character of a long text is what costs.
    """
    seen: dict[str, str] = {}
    folded = nfkc(text)
    for tail in _DOC_NUMBER_TAIL.finditer(folded):
        start = max(0, tail.start() - 21)
        m = None
        for m in DOC_NUMBER.finditer(folded, start, tail.end()):
            if m.end() == tail.end():
                break
        else:
            continue
        if m is None:
            continue
        raw = m.group(0).strip()
        found = m.group("agency") or m.group("agency3")
        agency = _AGENCY_HEAD.sub("", found)
        at = m.start("agency") if m.group("agency") else m.start("agency3")
        if agency[:1] in "年月日号" and at > 0 and folded[at - 1].isdigit():
            agency = agency[1:]  # "…7月27日中华人民共和国国务院令": the 日 ends the date before it
        if not agency:
            continue
        raw = raw[raw.index(found) + len(found) - len(agency) :]
        norm = normalize_doc_number(raw)
        seen.setdefault(norm, raw)
    return [(raw, norm) for norm, raw in seen.items()]


def iso_date(text: str) -> str:
    """`2019-10-24`, `2026年07月03日`, `二○一二年一月九日` -> ISO date; '' when there is none."""
    t = nfkc(text)
    m = _DATE.search(t)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if 1 <= mo <= 12 and 1 <= d <= 31:
            return f"{y:04d}-{mo:02d}-{d:02d}"
    m = _CN_DATE.search(text)
    if m:
        y = "".join(str(_CN_DIGITS.get(c, 0)) for c in m.group(1))
        return f"{y}-{cn_number(m.group(2)):02d}-{cn_number(m.group(3)):02d}"
    return ""


def cn_number(s: str) -> int:
    """一 -> 1, 十二 -> 12, 二十 -> 20, 一百零五 -> 105, 3 -> 3. 0 when it is not a number."""
    s = nfkc(s).strip()
    if s.isdigit():
        return int(s)
    digits = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    units = {"十": 10, "百": 100, "千": 1000}
    total, current = 0, 0
    for ch in s:
        if ch in digits:
            current = digits[ch]
        elif ch in units:
            total += (current or 1) * units[ch]
            current = 0
        else:
            return 0
    return total + current


def label_values(lines: list[str]) -> dict[str, str]:
    """Read `label：value` pairs, several to a line; a label with nothing after it (or alone in its
    table cell, colon or not) takes the next line when that is no label. The first value wins."""
    out: dict[str, str] = {}
    for i, line in enumerate(lines):
        line = line.strip()
        cell = _LABEL_CELL.match(line)
        if cell:
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if nxt and not _LABEL_CELL.match(nxt) and not _starts_with_label(nxt):
                _keep(out, _field(cell.group(1)), nxt)
            continue
        matches = list(_LABEL_RE.finditer(line))
        for j, m in enumerate(matches):
            end = matches[j + 1].start() if j + 1 < len(matches) else len(line)
            value = line[m.end() : end].strip()
            if not value and j + 1 == len(matches) and i + 1 < len(lines) and not _LABEL_RE.search(lines[i + 1]) \
                    and not _LABEL_CELL.match(lines[i + 1].strip()):
                value = lines[i + 1].strip()
            _keep(out, _field(m.group(1)), value)
    return out


def label_count(text: str) -> int:
    """How many metadata labels a line or cell holds (a lone label cell counts one)."""
    t = text.strip()
    if _LABEL_CELL.match(t):
        return 1
    # a label of the line form is followed by its colon: a paragraph without one (most of the body
    # text this is asked about) spares the regex, which tries every label at every character
    return len(_LABEL_RE.findall(t)) if ":" in t or "：" in t else 0


def _starts_with_label(text: str) -> bool:
    m = _LABEL_RE.match(text)
    return m is not None and m.start() == 0


def _keep(out: dict[str, str], field: str, value: str) -> None:
    if value and field not in out and len(value) <= 200:
        out[field] = value


_SPACE = re.compile(r"\s")
_ALIAS = re.compile(r"简称\s*$")


def references(text: str, own_number: str = "", own_titles: tuple[str, ...] = ()) -> list[Reference]:
    """《title》(文号) pairs and bare 文号 cited in the text; the page's own 文号 and titles are not references."""
    by_title: dict[str, Reference] = {}
    numbers: set[str] = {own_number} if own_number else set()
    own = {norm for norm in (_SPACE.sub("", t) for t in own_titles) if norm}
    for m in _BOOK.finditer(text):
        title = m.group(1).strip()
        if _ALIAS.search(text, max(0, m.start() - 4), m.start()) or len(title) < 5:
            continue  # (以下简称《意见》) is an alias, not a citation
        if _SPACE.sub("", title) in own:
            continue
        number = ""
        if m.group(2) and DOC_NUMBER.search(nfkc(m.group(2))):
            number = normalize_doc_number(m.group(2))
        ref = by_title.setdefault(title, Reference(title=title))
        if number and not ref.doc_number and number != own_number:
            ref.doc_number = number
        numbers.add(number)
    refs = list(by_title.values())
    for _raw, norm in find_doc_numbers(text):
        if norm not in numbers:
            numbers.add(norm)
            refs.append(Reference(doc_number=norm))
    return refs


def table_values(rows: list[list[str]]) -> dict[str, str]:
    """Key/value pairs of a two-column table body (行政处罚决定书文号 | 金罚决字〔2024〕36号):
    a key cell ending in a label word names the field of the cell after it."""
    out: dict[str, str] = {}
    for row in rows:
        for key, value in pairwise(row):
            k = _NOT_LABEL.sub("", key)
            if not k or len(k) > 20:
                continue
            label = next((v for v, _ in _ALL if k.endswith(v)), None)
            if label is not None:
                _keep(out, _FIELD_OF[label], clean_value(value))
    return out


def clean_value(value: str) -> str:
    return " ".join(value.split())
