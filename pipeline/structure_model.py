"""The values the structure steps hand each other: body lines, the node tree, scopes, the result."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.markers import Marker
from pipeline.schema import Section, Table


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
