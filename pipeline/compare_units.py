"""What compare pairs: a document's measures and text units as items, with their normalized texts."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from pipeline.articles import Article, group_articles
from pipeline.schema import Document, Measure, Section
from pipeline.text import bare_text, norm_text, text_hash


@dataclass
class _Item:
    measure: Measure
    idx: int  # position in document order
    pos: float  # idx / count, for positional tie-breaks between documents of different length
    section: str  # path of the parent section
    section_title: str
    norm: str
    bare: str
    label: str
    article: Article | None = None  # the 条 this measure is (a 款 of); None outside laws
    text_unit: bool = False


@dataclass
class _Pair:
    old: int
    new: int
    score: float
    how: str  # "exact", "bare", "fuzzy", "grown" (new = old + paragraphs) or "shrunk" (the reverse)


def _content(m: Measure) -> str:
    """The text that identifies a measure: its heading belongs to it when printed apart."""
    if m.heading and not norm_text(m.text).startswith(norm_text(m.heading)):
        return f"{m.heading}{m.text}"
    return m.text


_NO_SECTION = Section(label="", ordinal=None, level=0, path="")


def text_units(doc: Document) -> list[tuple[Measure, Section]]:
    """Text outside any measure, compared like measures so that no edit goes unseen.

    The cover notice, the preamble, a section's own paragraphs (目标要求) and the closing
    paragraph are not measures, but a reworded preamble is still a change.
    """

    def unit(label: str, path: str, text: str) -> Measure:
        norm = norm_text(text)
        return Measure(label=label, path=path, text=text, norm_text=norm, hash=text_hash(norm))

    units = []
    for path, label, text in (("cover", "印发通知", doc.cover_note), ("preamble", "序言", doc.preamble)):
        if text.strip():
            units.append((unit(label, path, text), _NO_SECTION))
    for s in doc.iter_sections():
        if s.text.strip():
            units.append((unit(f"{s.label}{s.title}".strip() or "正文", f"{s.path}#text", s.text), s))
    if doc.closing.strip():
        units.append((unit("结束语", "closing", doc.closing), _NO_SECTION))
    return units


def is_text_unit(path: str) -> bool:
    """True for a change to text outside the measures (see text_units)."""
    return path in ("cover", "preamble", "closing") or path.endswith("#text")


_INVISIBLE = {"Cf", "Zs", "Zl", "Zp", "Cc"}


def is_blank(text: str) -> bool:
    """True when nothing visible is left: spaces, zero-width and format characters only."""
    return all(ch.isspace() or unicodedata.category(ch) in _INVISIBLE for ch in text)


def _items(doc: Document) -> list[_Item]:
    every = [(m, s) for s in doc.iter_sections() for m in s.measures]
    # 条 are grouped before blank 款 are dropped: a 条 keeps its own path and stays a 条
    grouped = group_articles(
        [m.label for m, _s in every], [m.path for m, _s in every], [s.path for _m, s in every]
    )
    keep = [i for i, (m, _s) in enumerate(every) if not is_blank(_content(m))]
    at = {old: new for new, old in enumerate(keep)}
    for art in {id(a): a for a in grouped if a is not None}.values():
        art.members = [at[i] for i in art.members if i in at]
    measures = [every[i] for i in keep]
    articles = [grouped[i] for i in keep]
    units = [(m, s) for m, s in text_units(doc) if not is_blank(m.text)]
    rows = measures + units
    count = max(len(rows) - 1, 1)
    items = []
    for i, (m, section) in enumerate(rows):
        norm = norm_text(_content(m))
        title = norm_text(section.title)
        item = _Item(m, i, i / count, section.path, title, norm, bare_text(norm), norm_text(m.label))
        if i < len(measures):
            item.article = articles[i]
        else:
            item.text_unit = True
        items.append(item)
    return items


def _paragraphs(m: Measure) -> list[str]:
    """The paragraphs of a measure, normalized: its text keeps the page's breaks as newlines."""
    return [norm_text(p) for p in _content(m).split("\n") if not is_blank(p)]
