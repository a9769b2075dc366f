"""Citations: the references a document prints, resolved to the watched documents they name.

A reference is 《title》, a 文号, or both (`pipeline.metadata.references` finds them). It is
matched by 文号 first, on a key that reads every printing of one number alike (〔〕 [] （） (),
spaces, 第…号, 2019年, a year in Chinese numerals), and by title only when a 文号 cannot
decide: the reference prints none, or the watched document has none on record. Two different
文号 are two documents even when the titles read alike (provinces copy each other's titles).

Titles are compared on a key with the 《》 and 印发/转发…的通知 wrappers taken off, since a
policy is cited by its own title while the page that carries it is the notice printing it.
A cited title often drops the issuing agency ("《关于促进…若干措施的通知》" for the
自治区人民政府办公厅's notice) or names the notice where the watched page names what it prints:
when no title key is equal, the cores (agency before 关于, 印发, 的通知 taken off) are compared,
and a core match counts only when exactly one watched document has that core.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeline.metadata import cn_number, normalize_doc_number, references
from pipeline.schema import Document, Reference, Section
from pipeline.text import nfkc

MATCHED_BY = ("doc_number", "title")

_CN_YEAR = re.compile(r"[〔\[［【(（]?\s*([〇零○Ｏ一二三四五六七八九]{4})\s*年?\s*[〕\]］】)）]?")
_CN_DIGIT = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "○": "0", "Ｏ": "0"}
_YEAR_IN_BRACKET = re.compile(r"([〔\[［【(（]\s*(?:19|20)\d{2})\s*年\s*([〕\]］】)）])")
_CN_SEQ = re.compile(r"第?([零〇一二三四五六七八九十百]+)号$")
_SPACE = re.compile(r"[\s\u3000]+")


def doc_number_key(raw: str) -> str:
    """One key for every printing of a 文号: `粤府 [2019] 第028号`, `粤府（2019年）28号`,
    `粤府二〇一九年28号` -> `粤府〔2019〕28号`; '' when `raw` holds no number."""
    t = _SPACE.sub("", nfkc(raw or ""))
    if not t or not re.search(r"[\d〇零○一二三四五六七八九]", t):
        return ""
    t = _CN_YEAR.sub(lambda m: "〔" + "".join(_CN_DIGIT.get(c, c) for c in m.group(1)) + "〕", t, count=1)
    t = _YEAR_IN_BRACKET.sub(r"\1\2", t)
    seq = _CN_SEQ.search(t)
    if seq and cn_number(seq.group(1)):
        t = t[: seq.start()] + f"{cn_number(seq.group(1))}号"
    return normalize_doc_number(t)


_WRAPPERS = (
    # 关于印发《X》的通知 / 关于转发…关于X的通知 / 印发X的通知: the notice is cited as the X it prints
    re.compile(r"^.*?关于(?:印发|转发|公布|发布|颁布|下发|修订印发|重新印发)(.+?)的(?:通知|决定|公告|通告|函)$"),
    re.compile(r"^(?:印发|转发|公布|发布)(.+?)的(?:通知|决定|公告|通告)$"),
)
_MARKS = re.compile(r"[《》〈〉<>“”\"'‘’「」『』\s\u3000]")


def title_key(title: str) -> str:
    """The title a citation names, as a comparable key: no 《》 or quotes, width folded, the
    印发/转发…的通知 wrapper taken off. Version tags in brackets (（试行）, （2019年修订）) stay:
    a 试行 text and the final one are two documents."""
    t = _MARKS.sub("", nfkc(title or ""))
    for pattern in _WRAPPERS:
        m = pattern.match(t)
        if m and len(m.group(1)) >= 4:
            t = m.group(1)
            break
    return t


_CORE_HEAD = re.compile(r"^(?:.*?关于)?(?:印发|转发|公布|发布)?")
_CORE_TAIL = re.compile(r"的?(?:通知|决定|公告|通告)$")


def title_core(key: str) -> str:
    """A title key without its agency (up to 关于), 印发 and 的通知: the words naming the policy."""
    return _CORE_TAIL.sub("", _CORE_HEAD.sub("", key, count=1))


@dataclass
class Candidate:
    """A watched document as the matcher sees it: its id, its 文号 key and its title keys."""

    doc_id: str
    number_key: str = ""
    title_keys: tuple[str, ...] = ()

    @classmethod
    def of(cls, doc_id: str, doc: Document) -> Candidate:
        """The keys of a normalized document: its 文号, its title and, for a 印发 notice, the
        title of the document it carries."""
        number = doc_number_key(doc.doc_number_raw or doc.doc_number)
        keys = [k for k in dict.fromkeys(title_key(t) for t in (doc.title, doc.body_title)) if len(k) >= 4]
        return cls(doc_id=doc_id, number_key=number, title_keys=tuple(keys))


@dataclass
class Citation:
    """An edge: the reference as printed, the watched document it names, and how that was decided."""

    reference: Reference
    doc_id: str
    matched_by: str  # one of MATCHED_BY


@dataclass
class _Index:
    by_number: dict[str, list[Candidate]] = field(default_factory=dict)
    by_title: dict[str, list[Candidate]] = field(default_factory=dict)
    titles: list[tuple[str, Candidate]] = field(default_factory=list)


def _index(candidates: Iterable[Candidate]) -> _Index:
    ix = _Index()
    for c in candidates:
        if c.number_key:
            ix.by_number.setdefault(c.number_key, []).append(c)
        for k in c.title_keys:
            ix.by_title.setdefault(k, []).append(c)
            ix.titles.append((k, c))
    return ix


def _title_matches(ix: _Index, key: str, number: str) -> list[Candidate]:
    """Candidates named by title; with a 文号 printed, only those with no 文号 on record."""

    def allowed(c: Candidate) -> bool:
        return not number or not c.number_key

    found = [c for c in ix.by_title.get(key, []) if allowed(c)]
    core = title_core(key)
    if found or len(core) < 8:
        return found
    # the loose match must be unique among all watched documents, allowed or not
    same = {c.doc_id: c for k, c in ix.titles if title_core(k) == core}
    return [c for c in same.values() if allowed(c)] if len(same) == 1 else []


def resolve(references: Iterable[Reference], candidates: Iterable[Candidate], own_id: str = "") -> list[Citation]:
    """Citation edges of one document's references, in the order printed, one per cited document.

    A reference whose 文号 is watched is decided by it; a reference with no 文号 (or one no
    watched document carries) falls back to its title, as the module docstring says.
    The citing document itself (`own_id`) is never a target.
    """
    ix = _index(candidates)
    edges: list[Citation] = []
    seen: set[str] = {own_id} if own_id else set()
    for ref in references:
        number = doc_number_key(ref.doc_number)
        hits = [(c, "doc_number") for c in ix.by_number.get(number, [])] if number else []
        if not hits and ref.title:
            hits = [(c, "title") for c in _title_matches(ix, title_key(ref.title), number)]
        for c, how in hits:
            if c.doc_id not in seen:
                seen.add(c.doc_id)
                edges.append(Citation(reference=ref, doc_id=c.doc_id, matched_by=how))
    return edges



_IMPLEMENTS_TITLE = re.compile(r"(?:实施|贯彻|落实|执行)《([^《》]{4,80})》")
_BASIS = re.compile(r"(?:根据|依据|依照|贯彻|落实)[^。；《]{0,6}《([^《》]{4,80})》")


def _reading_text(doc: Document) -> str:
    """The text in the order a reader meets it: cover, preamble, then each section's heading,
    text, measures and subsections as printed."""
    out = [doc.cover_note, doc.preamble]

    def walk(section: Section) -> None:
        out.extend((section.title, section.text))
        for item in section.items():
            if isinstance(item, Section):
                walk(item)
            else:
                out.append(item.text)

    for s in doc.sections:
        walk(s)
    out.append(doc.closing)
    return "\n".join(t for t in out if t)


def implements(doc: Document, edges: list[Citation]) -> Citation | None:
    """The cited document `doc` implements, for tracing when none is named: the one its title
    names (上海市实施《中华人民共和国义务教育法》办法), else the first cited as its basis (根据《…》,
    为贯彻落实《…》), else the one it cites first in reading order (an interpretation page opens
    with what the State Council 印发)."""
    if not edges:
        return None

    def named(title: str = "", number: str = "") -> Citation | None:
        key, num = title_key(title), doc_number_key(number)
        for e in edges:
            if (key and title_key(e.reference.title) == key) or (num and doc_number_key(e.reference.doc_number) == num):
                return e
        return None

    for title in (doc.body_title, doc.title):
        for m in _IMPLEMENTS_TITLE.finditer(title or ""):
            if (hit := named(m.group(1))) is not None:
                return hit
    text = _reading_text(doc)
    for m in _BASIS.finditer(text):
        if (hit := named(m.group(1))) is not None:
            return hit
    for ref in references(text):
        if (hit := named(ref.title, ref.doc_number)) is not None:
            return hit
    return edges[0]
