"""The one shape every page becomes, and the shape of a comparison.

Document -> Section (tree) -> Measure is the normalized form of a policy page, whatever
its CMS template. ChangeSet is what `compare` says about two
Documents. Both are plain dataclasses so that storage, notifications and the CLI can read
them without importing any parsing code, and both round-trip through dicts (JSON).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

from pipeline.vocabulary import *  # noqa: F403  the change vocabulary, re-exported: importers name it from here
from pipeline.vocabulary import DIGEST_KINDS

DOCUMENT_KINDS = ("notice", "opinion", "plan", "regulation", "interpretation", "qa", "other")

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def asdict(obj: Any) -> Any:
    """dataclasses.asdict without its deepcopy of every leaf: the leaves here are str, int,
    float, bool and None, and a stored version serializes a few hundred of them per page, so a
    leaf (most values) is taken as it is, without a call of its own."""
    cls = type(obj)
    if cls in _LEAVES:
        return obj
    names = _FIELD_NAMES.get(cls)
    if names is None:
        if not hasattr(cls, "__dataclass_fields__"):
            if isinstance(obj, list | tuple):
                return type(obj)(asdict(v) for v in obj)
            if isinstance(obj, dict):
                return {k: asdict(v) for k, v in obj.items()}
            return obj
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    out = {}
    for name in names:
        value = getattr(obj, name)
        kind = type(value)
        if kind in _LEAVES:
            out[name] = value
        elif kind is list:
            out[name] = [v if type(v) in _LEAVES else asdict(v) for v in value]
        else:
            out[name] = asdict(value)
    return out


_LEAVES = frozenset((str, int, float, bool, type(None)))


@dataclass
class Item:
    """A numbered part printed inside a measure: the 项 （一） of a 条 or 款, the 目 1. of a 项.

    Visible structure only: its words stay in the measure's text, which is what is matched and
    hashed, so a 条 is still one unit of change.
    """

    label: str
    text: str
    items: list[Item] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Item:
        return cls(label=d.get("label", ""), text=d.get("text", ""), items=[cls.from_dict(i) for i in d.get("items", [])])


@dataclass
class Measure:
    """The smallest numbered, actionable unit: a `1.` item, a `（一）` leaf, an inline 一是…, a 条 or 款, a Q&A answer."""

    label: str  # as printed: "3.", "一是", "第十二条", "第十二条第二款"
    path: str  # hierarchical id within the document: "2.1.3", "att1/2.4", "3.12.2"
    text: str  # as printed, without the label
    heading: str = ""  # the short lead phrase when the first sentence is one
    norm_text: str = ""  # width/space/punctuation-normalized text, for matching and hashing
    hash: str = ""  # hex digest of norm_text
    items: list[Item] = field(default_factory=list)  # 项/目 printed inside the text, for display

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Measure:
        kw: dict[str, Any] = {f.name: d.get(f.name, "") for f in fields(cls) if f.name != "items"}
        return cls(**kw, items=[Item.from_dict(i) for i in d.get("items", [])])


@dataclass
class Table:
    """A table kept as rows of cells, so that cells never become fake paragraphs."""

    rows: list[list[str]]
    caption: str = ""


@dataclass
class Section:
    """A numbered heading ("二、", "（一）", "第三章", "附件1") and what lies under it."""

    label: str
    ordinal: int | None  # the number printed, or inferred when the page drops it
    level: int  # 1 for the top level of its scope
    path: str
    title: str = ""
    text: str = ""  # unnumbered paragraphs directly under this heading
    children: list[Section] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    inferred: bool = False  # True when the numeral was missing on the page
    # Reading order of measures and children: one letter per item, "m" the next measure, "s" the
    # next child section ("msm": measure, section, measure). Measures and children are kept in two
    # lists, and a numbered item with sub-items (a section) often stands between leaf siblings
    # (measures); without this, a reader of the two lists sees 一、三、五、二、四. "" is the old
    # order (measures, then children).
    order: str = ""

    def items(self) -> Iterator[Measure | Section]:
        """Measures and child sections in the page's reading order."""
        for _kind, item in interleave(self.order, self.measures, self.children):
            yield item

    def add(self, item: Measure | Section) -> None:
        """Append a measure or a child section after everything already here, in reading order."""
        if not self.order and (self.measures or self.children):
            self.order = "m" * len(self.measures) + "s" * len(self.children)
        if isinstance(item, Section):
            self.children.append(item)
            self.order += "s"
        else:
            self.measures.append(item)
            self.order += "m"

    def walk(self):
        """This section and every section below it, in reading order."""
        yield self
        for child in self.items():
            if isinstance(child, Section):
                yield from child.walk()

    def iter_measures(self) -> Iterator[Measure]:
        """Every measure at and below this section, in reading order."""
        for item in self.items():
            if isinstance(item, Section):
                yield from item.iter_measures()
            else:
                yield item

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Section:
        return cls(
            label=d["label"],
            ordinal=d.get("ordinal"),
            level=d.get("level", 1),
            path=d["path"],
            title=d.get("title", ""),
            text=d.get("text", ""),
            children=[Section.from_dict(c) for c in d.get("children", [])],
            measures=[Measure.from_dict(m) for m in d.get("measures", [])],
            tables=[Table(**t) for t in d.get("tables", [])],
            inferred=d.get("inferred", False),
            order=d.get("order", ""),
        )


def interleave(order: str, measures: list, children: list) -> Iterator[tuple[str, Any]]:
    """("m", measure) and ("s", child) pairs in the reading order `order` gives (Section.order);
    for the dataclasses and for their dict form alike (the web page renders stored JSON)."""
    if len(order) != len(measures) + len(children) or order.count("m") != len(measures):
        order = "m" * len(measures) + "s" * len(children)
    mi = si = 0
    for kind in order:
        if kind == "m":
            yield "m", measures[mi]
            mi += 1
        else:
            yield "s", children[si]
            si += 1


def section_items(section: dict[str, Any]) -> list[tuple[str, Any]]:
    """`Section.items()` for a section as stored (its to_dict form): ("m"|"s", dict) pairs."""
    return list(interleave(section.get("order", ""), section.get("measures") or [], section.get("children") or []))


@dataclass
class Reference:
    """A document cited in the text: 《title》 and/or its 文号."""

    title: str = ""
    doc_number: str = ""


@dataclass
class Attachment:
    """A linked file (附件, 相关文件下载): name as shown, absolute URL, extension without the dot."""

    name: str
    url: str
    ext: str = ""


FATAL_FLAGS = ("empty", "binary", "no_text", "garbled")
"""Quality flags that mean a page carries no policy text to store or compare."""


@dataclass
class Quality:
    """What the normalizer noticed about a page that a reader should know (flags are short codes)."""

    flags: list[str] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)
    reason: str = ""  # one line for a person when a flag means the page cannot be used

    def usable(self) -> bool:
        """False when a fatal flag says the page carries no policy text (see `reason`)."""
        return not any(f in self.flags for f in FATAL_FLAGS)


@dataclass
class Document:
    url: str = ""
    site: str = ""
    title: str = ""
    doc_number: str = ""  # normalized 代字〔YYYY〕N号
    doc_number_raw: str = ""  # as printed
    index_number: str = ""  # 索引号
    publisher: str = ""  # 发布机构
    category: str = ""  # 分类 / 主题分类
    written_date: str = ""  # 成文日期, ISO yyyy-mm-dd
    published_date: str = ""  # 发布日期, ISO yyyy-mm-dd
    subject_terms: str = ""  # 主题词
    status: str = ""  # 有效性 / 文件状态
    source: str = ""  # 来源 / ContentSource
    kind: str = "other"  # one of DOCUMENT_KINDS
    body_title: str = ""  # the title of the attached document when the page is a 印发 cover notice
    cover_note: str = ""  # the cover notice itself (主送, text, signature, date), kept apart
    references: list[Reference] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    preamble: str = ""  # text before the first numbered section
    closing: str = ""  # text after the last numbered item (结束语), not part of any measure
    sections: list[Section] = field(default_factory=list)
    quality: Quality = field(default_factory=Quality)

    def iter_sections(self):
        for s in self.sections:
            yield from s.walk()

    def iter_measures(self):
        """Every measure, in reading order."""
        for s in self.sections:
            yield from s.iter_measures()

    def measures(self) -> list[Measure]:
        return list(self.iter_measures())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        simple = {f.name: d[f.name] for f in fields(cls) if f.name in d and f.type in ("str", "str | None")}
        return cls(
            **simple,
            references=[Reference(**r) for r in d.get("references", [])],
            attachments=[Attachment(**a) for a in d.get("attachments", [])],
            sections=[Section.from_dict(s) for s in d.get("sections", [])],
            quality=Quality(**d.get("quality", {})),
        )


@dataclass
class MeasureRef:
    """One side of a change: where the measure stood and what it said."""

    path: str
    label: str
    text: str
    hash: str = ""
    heading: str = ""

    @classmethod
    def of(cls, m: Measure) -> MeasureRef:
        return cls(path=m.path, label=m.label, text=m.text, hash=m.hash, heading=m.heading)


@dataclass
class Change:
    """One measure-level change.

    `diff` is a list of (op, text) spans with op in "equal", "delete", "insert", built from
    rapidfuzz Levenshtein opcodes and merged into word-sized spans. For `split`, `new` is the
    first part and `others` the rest; for `merged`, `old` is the first source and `others` the
    rest. `renumbered` says the label changed only because of an insertion or deletion nearby.
    `moved` marks a measure both edited and moved (its kind stays `modified`).

    In a law the unit a reader names is the 条: `old_article`/`new_article` are the 条 labels
    the change sits in ("第八条" for a change of 第八条第二款), and a 条 added, removed or moved
    whole is one change whose `old`/`new` stand for the 条 (its label, path and full text) and
    whose `units` list its 款. All three stay empty outside laws.
    """

    kind: str
    old: MeasureRef | None = None
    new: MeasureRef | None = None
    similarity: float | None = None  # 0..100
    diff: list[tuple[str, str]] = field(default_factory=list)
    renumbered: bool = False
    others: list[MeasureRef] = field(default_factory=list)
    moved: bool = False  # a `modified` measure that also changed place (kind stays `modified`)
    old_article: str = ""  # the 条 of the old side ("第八条"), "" outside laws
    new_article: str = ""
    units: list[MeasureRef] = field(default_factory=list)  # the 款 of a 条 added/removed/moved whole

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["diff"] = [list(span) for span in self.diff]
        return d


@dataclass
class MetadataChange:
    field: str
    old: Any
    new: Any


@dataclass
class ChangeSet:
    """Everything `compare(old, new)` found.

    `pairs` are the measures the aligner paired and found unchanged (old side, new side):
    storage keeps them, so a side-by-side view shows the pairing
    compare made instead of guessing it again. They stay out of `to_dict`, the `compare --json`
    shape, which counts them (`unchanged`).
    """

    changes: list[Change] = field(default_factory=list)
    metadata_changes: list[MetadataChange] = field(default_factory=list)
    unchanged: int = 0
    pairs: list[tuple[MeasureRef, MeasureRef]] = field(default_factory=list)
    renumbered: int = 0  # unchanged or cosmetic measures whose label moved with an insertion/deletion
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # page text left out of the comparison, and why

    def by_kind(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    def reportable(self) -> list[Change]:
        """Changes a reader should see: everything but cosmetic."""
        return [c for c in self.changes if c.kind in DIGEST_KINDS]

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": [c.to_dict() for c in self.changes],
            "metadata_changes": [asdict(m) for m in self.metadata_changes],
            "unchanged": self.unchanged,
            "renumbered": self.renumbered,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }
