"""Validity of a document: when it takes effect, how long it runs, and what it repeals.

A 规范性文件 carries a term ("本办法自印发之日起施行，有效期5年", "…有效期至2026年12月31日");
a law or 条例 a commencement date ("本条例自2022年3月1日起施行") and often a list of what it
replaces ("《…》同时废止"). Sites add fields: 实施日期 / 失效日期 in the 政府信息公开 block, and a
status (有效性 / 文件状态: 现行有效, 已失效, 已废止, 已修订).

What the body says is preferred to the fields: the body is the instrument, the fields are data
entry, and they disagree on real pages (gz-29: "有效期5年" from 2021-12-06, 失效日期 2029-12-06).
A disagreement is kept as a note for the reader, in Chinese. "自印发之日起施行" names a date the
body does not print: the 实施日期 field gives it when there is one, the 成文日期 otherwise
(`effective_by` says which).

The fields are not part of Document (pipeline/schema.py carries `status` only), so
`fields_from_lines` reads them from the metadata lines of a page (`PageParts.labels`) for the
caller to pass in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from pipeline.metadata import cn_number, iso_date, references
from pipeline.schema import Document, Reference
from pipeline.text import nfkc

STATUSES = ("in_force", "not_yet", "expired", "repealed", "amended", "partly_expired")
"""Codes of a printed status; `state_on` adds "unknown"."""

_STATUS_WORDS = (  # longest first: 部分失效 before 失效
    ("partly_expired", ("部分失效", "部分有效")),
    ("not_yet", ("尚未生效", "尚未施行", "未生效")),
    ("repealed", ("已废止", "废止", "已撤销")),
    ("expired", ("已失效", "失效", "已过期", "过期")),
    ("amended", ("已修订", "已修改", "已修正", "已被修改", "修订", "修正")),
    ("in_force", ("现行有效", "有效", "现行", "生效")),
)

_INSTRUMENT = r"本(?:实施细则|实施办法|实施意见|实施方案|办法|通知|细则|规定|意见|方案|决定|条例|规则|措施|制度|标准|指引|法|规划|公告|通告)"
_CN_INT = r"[0-9一二三四五六七八九十两]+"
_DATE_TEXT = r"(?:(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[〇零○一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日)"
_EFFECTIVE = re.compile(
    _INSTRUMENT + r"[^。；;]{0,12}?自\s*(?P<when>" + _DATE_TEXT + r"|印发之日|公布之日|发布之日|颁布之日|下发之日)\s*(?:起)?\s*(?:施行|实施|执行|生效)"
)
_TERM = re.compile(r"有效期(?:为|是)?\s*(?P<n>" + _CN_INT + r")\s*年")
_UNTIL = re.compile(r"有效期(?:至|到|截至|截止(?:到|至)?)\s*(?P<d>" + _DATE_TEXT + ")")
_EXTEND = re.compile(r"(?:有效期|执行期)(?:调整|延长|延续)(?:至|到)\s*(?P<d>" + _DATE_TEXT + ")")
_REPEAL = re.compile(r"同时(?:废止|失效)|予以废止|宣布废止|停止执行")
_AMEND_TITLE = re.compile(r"关于修改《?(?P<t>[^《》]{4,80}?)》?(?:等[^的]{0,12})?的决定")
_AMEND_BODY = re.compile(r"对《(?P<t>[^《》]{4,80})》(?:（[^（）]{2,30}）|\([^()]{2,30}\))?\s*(?:作|做)(?:如下|以下)修改")
_SENTENCE = re.compile(r"[^。；;\n]*(?:[。；;\n]|$)")

_FIELD_LABELS = {
    "effective": ("实施日期", "施行日期", "生效日期"),
    "expires": ("失效日期", "废止日期", "有效期至"),
    "status": ("有效性", "文件状态", "时效性", "效力状态"),
}
_SPACED = r"[\s\u3000]*"
_FIELD_RE = re.compile(
    "(" + "|".join(_SPACED.join(w) for ws in _FIELD_LABELS.values() for w in sorted(ws, key=len, reverse=True)) + ")"
    + _SPACED + r"[:：]" + r"\s*([^:：]*?)\s*(?=(?:[\u4e00-\u9fff]{2,6}" + _SPACED + r"[:：])|$)"
)
_FIELD_OF = {w: k for k, ws in _FIELD_LABELS.items() for w in ws}


@dataclass
class Validity:
    """What a document says about its own force, in ISO dates ('' when it says nothing)."""

    status: str = ""  # one of STATUSES, from the printed status
    status_printed: str = ""  # 现行有效, 已废止…
    effective: str = ""  # the day it takes effect
    effective_by: str = ""  # text | field | written_date | published_date
    effective_printed: str = ""  # the clause as printed: "本办法自印发之日起施行"
    term_years: int | None = None  # 有效期X年
    expires: str = ""  # the last day in force
    expires_by: str = ""  # text (有效期至) | term (有效期X年 from `effective`) | field
    repeals: list[Reference] = field(default_factory=list)  # what it declares 废止 / 失效
    amends: list[Reference] = field(default_factory=list)  # 关于修改《X》的决定, 对《X》作如下修改
    extends: list[tuple[Reference, str]] = field(default_factory=list)  # (document, new last day)
    notes: list[str] = field(default_factory=list)  # disagreements between the body and the fields


def status_code(printed: str) -> str:
    """现行有效 -> in_force, 已废止 -> repealed…; '' for an empty or unknown value."""
    t = re.sub(r"\s", "", nfkc(printed or ""))
    for code, words in _STATUS_WORDS:
        if any(w in t for w in words):
            return code
    return ""


def fields_from_lines(lines: list[str]) -> dict[str, str]:
    """实施日期 / 失效日期 / 文件状态 values of a page's metadata lines, keyed effective, expires,
    status (first value wins; an empty value is no value)."""
    out: dict[str, str] = {}
    for line in lines:
        for m in _FIELD_RE.finditer(line):
            key = _FIELD_OF[re.sub(r"[\s\u3000]", "", m.group(1))]
            value = m.group(2).strip()
            if value and key not in out:
                out[key] = value
    return out


def _add_years(iso: str, years: int) -> str:
    """The last day of a term of `years` starting on `iso` (2019-07-01, 5 -> 2024-06-30)."""
    d = date.fromisoformat(iso)
    try:
        end = d.replace(year=d.year + years)
    except ValueError:  # 29 February into a common year
        end = d.replace(year=d.year + years, day=28)
    return (end - timedelta(days=1)).isoformat()


def _body(doc: Document) -> str:
    parts = [doc.cover_note, doc.preamble]
    parts += [m.text for m in doc.iter_measures()] + [s.text for s in doc.iter_sections()] + [doc.closing]
    return "\n".join(p for p in parts if p)


def _clauses(sentence: str) -> list[tuple[int, int]]:
    """(start, end) of the comma-separated clauses of a sentence; a comma inside 《》 does not cut."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(sentence):
        depth += ch == "《"
        depth -= ch == "》" and depth > 0
        if depth == 0 and ch in "，,：:":
            out.append((start, i))
            start = i + 1
    out.append((start, len(sentence)))
    return out


def _refs_before(sentence: str, at: int, doc: Document) -> list[Reference]:
    """The documents a 废止 / 有效期调整 at offset `at` is about: those cited in its own clause up to
    `at`, or else in the nearest clause before it that cites any ("根据《规定》，现将《X》重新发布，
    有效期调整至…" is about X, not about the 规定). A repealed predecessor often bears the title of
    the page itself, so only the page's own 文号 is left out."""
    for start, end in reversed([c for c in _clauses(sentence) if c[0] <= at]):
        found = references(sentence[start : min(end, at)], own_number=doc.doc_number)
        if found:
            return found
    return []


def read_validity(doc: Document, fields: dict[str, str] | None = None) -> Validity:
    """The validity of `doc` from its body and status, and the page's fields when given
    (`fields_from_lines`)."""
    fields = fields or {}
    v = Validity()
    v.status_printed = doc.status or fields.get("status", "")
    v.status = status_code(v.status_printed)
    body = _body(doc)
    sentences = [s for s in _SENTENCE.findall(body) if s.strip()]

    for s in sentences:
        m = _EFFECTIVE.search(s)
        if m and not v.effective_printed:
            v.effective_printed = m.group(0)
            when = m.group("when")
            if when.startswith(("印发", "下发")):
                v.effective_by = "written_date"
            elif when.endswith("之日"):
                v.effective_by = "published_date"
            else:
                v.effective, v.effective_by = iso_date(when), "text"
        if m or _INSTRUMENT_NEAR.search(s):
            if v.term_years is None and (t := _TERM.search(s)):
                v.term_years = cn_number(t.group("n")) or None
            if not v.expires and (u := _UNTIL.search(s)):
                v.expires, v.expires_by = iso_date(u.group("d")), "text"
        if (rep := _REPEAL.search(s)) is not None:
            v.repeals += [r for r in _refs_before(s, rep.start(), doc) if r not in v.repeals]
        if (x := _EXTEND.search(s)) is not None:
            v.extends += [(r, iso_date(x.group("d"))) for r in _refs_before(s, x.start(), doc)]
        for am in _AMEND_BODY.finditer(s):
            ref = next((r for r in references(am.group(0)) if r.title == am.group("t")), Reference(title=am.group("t")))
            if ref not in v.amends:
                v.amends.append(ref)

    _fill_from_fields(v, doc, fields)
    for title in (doc.title, doc.body_title):
        for m in _AMEND_TITLE.finditer(nfkc(title or "").replace("〈", "《").replace("〉", "》")):
            ref = Reference(title=m.group("t"))
            if ref not in v.amends:
                v.amends.append(ref)
    return v


# a term stated in the sentence after the commencement clause ("…起施行。有效期5年。") still
# belongs to the instrument when the sentence names it or opens with 有效期
_INSTRUMENT_NEAR = re.compile(r"^\s*有效期|" + _INSTRUMENT + r"[^。；;]{0,6}有效期")


def _fill_from_fields(v: Validity, doc: Document, fields: dict[str, str]) -> None:
    field_effective = iso_date(fields.get("effective", ""))
    field_expires = iso_date(fields.get("expires", ""))
    if v.effective and field_effective and field_effective != v.effective:
        v.notes.append(f"实施日期字段为{field_effective}，正文为{v.effective}")
    if not v.effective and field_effective:
        v.effective, v.effective_by = field_effective, "field"
    elif not v.effective and v.effective_by in ("written_date", "published_date"):
        v.effective = getattr(doc, v.effective_by)
        if not v.effective:
            v.effective_by = ""
    if not v.expires and v.term_years and v.effective:
        v.expires, v.expires_by = _add_years(v.effective, v.term_years), "term"
    if v.expires and field_expires and field_expires != v.expires:
        what = f"“有效期{v.term_years}年”推算" if v.expires_by == "term" else "正文"
        v.notes.append(f"失效日期字段为{field_expires}，{what}为{v.expires}")
    if not v.expires and field_expires:
        v.expires, v.expires_by = field_expires, "field"


def state_on(v: Validity, day: str) -> str:
    """The document's state on ISO `day`: a printed repealed/expired/amended status wins; otherwise
    the dates decide (not_yet before `effective`, expired after `expires`); "unknown" when nothing
    is known."""
    if v.status in ("repealed", "expired", "amended", "partly_expired"):
        return v.status
    if v.effective and day < v.effective:
        return "not_yet"
    if v.expires and day > v.expires:
        return "expired"
    if v.status or v.effective or v.expires:
        return "in_force"
    return "unknown"


_COMPARED = ("status", "effective", "expires", "term_years")


def validity_changes(old: Validity, new: Validity) -> list[tuple[str, object, object]]:
    """(field, old, new) for what changed between two versions' validity: a status turned 已废止,
    an extended term."""
    return [(f, getattr(old, f), getattr(new, f)) for f in _COMPARED if getattr(old, f) != getattr(new, f)]
