"""An HTML element to a list of blocks: text lines and tables.

Block elements (p, div, li, br, h1…) end a line; inline elements (a, span, font, strong)
join without a break, so an auto-linked term never splits a sentence (trap 11). A data
table becomes one Table block with its rows, never one paragraph per cell (trap 9); a
layout table (one column, or cells holding whole paragraphs) is read as ordinary lines.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from lxml import etree

from pipeline.schema import Table
from pipeline.text import clean_line

BLOCK_TAGS = frozenset(
    ["p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "tbody", "thead", "tfoot", "section", "article", "blockquote", "pre", "hr", "header", "footer", "nav", "aside", "form", "fieldset", "address", "center", "figure", "figcaption", "caption", "main", "details", "summary"]
)
# lxml.html's HtmlElement.text_content, for plain etree elements: every text below, no tail.
_string_value = etree.XPath("string()", smart_strings=False)


def text_content(el: etree._Element) -> str:
    # most elements asked (links, cells) hold only their text: an XPath evaluation is ~1 µs
    return (el.text or "") if len(el) == 0 else _string_value(el)
DROP_TAGS = frozenset(["script", "style", "noscript", "iframe", "object", "embed", "button", "select", "input", "textarea", "svg", "canvas", "template", "head"])
_BREAKS = BLOCK_TAGS | {"td", "th"}
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
# lxml's tag -> the lower-case local name, computed once per distinct tag
_TAG_NAMES: dict[str, str] = {}


@dataclass(slots=True)  # one per line of every page: slots make each cheaper to build
class Block:
    """One line of body text, or a table. `heading` marks an h1–h6 or all-bold line."""

    text: str = ""
    table: Table | None = None
    heading: bool = False
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, href) inside the line


def element_blocks(root: etree._Element) -> list[Block]:
    out: list[Block] = []
    walker = _Walker(out)
    walker.walk(root)
    walker.flush()  # an inline root (a label in a lone <span>) has no block end to flush it
    return [b for b in out if b.table is not None or b.text]


class _Walker:
    def __init__(self, out: list[Block]):
        self.out = out
        self.parts: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.bold_chars = 0
        self.heading_depth = 0

    def flush(self) -> None:
        # most flushes (a block opening right after another closed) have nothing to clean, and
        # keep the empty list they have: every reader of self.parts reads it again after a flush
        if not self.parts:
            if self.links or self.bold_chars:
                self.links, self.bold_chars = [], 0
            return
        text = clean_line("".join(self.parts))
        if text:
            total = len(text.replace(" ", ""))
            heading = self.heading_depth > 0 or (total > 0 and self.bold_chars >= total * 0.9)
            self.out.append(Block(text=text, heading=heading, links=self.links))
        self.parts, self.links, self.bold_chars = [], [], 0

    def walk(self, root: etree._Element) -> None:
        # A loop over an explicit stack, not recursion: a page nested 2,000 elements deep (libxml2's
        # limit with huge_tree) would overflow Python's stack. An entry is an element to open, or
        # (a tuple) the closing half of one already opened.
        stack: list = [root]
        parts = self.parts
        pop, push, extend = stack.pop, stack.append, stack.extend
        while stack:
            el = pop()
            if type(el) is tuple:
                self._close(*el)
                parts = self.parts
                continue
            # el.tag, el.text and el.tail build a new str from libxml2 at every access: read each once
            raw = el.tag
            tag = _TAG_NAMES.get(raw) if type(raw) is str else ""
            if tag is None:
                tag = _TAG_NAMES[raw] = raw.lower().rsplit("}", 1)[-1]
            tail = el.tail
            if not tag or tag in DROP_TAGS or _hidden(el):
                # a comment or processing instruction, or dropped content: keep only the tail
                if tail:
                    parts.append(tail)
                continue
            rows = _data_table_rows(el) if tag == "table" else None
            if rows is not None:
                self.flush()
                self.out.append(Block(table=Table(rows=rows)))
                parts = self.parts
                if tail:
                    parts.append(tail)
                continue
            block = tag in _BREAKS
            if block:
                self.flush()
                parts = self.parts
            is_heading = tag in _HEADINGS
            is_bold = tag == "strong" or tag == "b"
            if is_heading:
                self.heading_depth += 1
            text = el.text
            if text:
                parts.append(text)
                if is_bold:
                    self.bold_chars += len(text.strip())
            if len(el):
                push((el, tag, block, is_heading, is_bold, len(parts), tail))
                extend(reversed(el))
            else:  # a leaf (most elements) closes at once, without a closing entry on the stack
                self._close(el, tag, block, is_heading, is_bold, len(parts), tail)
                parts = self.parts

    def _close(self, el: etree._Element, tag: str, block: bool, is_heading: bool, is_bold: bool, start: int,
               tail: str | None) -> None:
        if is_bold:
            self.bold_chars += sum(len(p.strip()) for p in self.parts[start:])
        if tag == "a":
            href = el.get("href") or ""
            label = clean_line(text_content(el))
            if href and label:
                self.links.append((label, href))
        if block:
            self.flush()
        if is_heading:
            self.heading_depth -= 1
        if tail:
            self.parts.append(tail)


def is_hidden(el: etree._Element) -> bool:
    """Not shown by the page: display:none, the hidden attribute, or a framework's hiding class
    (Angular's ng-hide, Bootstrap's d-none) — a single-page app keeps unused templates that way."""
    # attribute reads cost (a pasted Word body styles nearly every span): one read of the names,
    # then only the attributes the element has; most styles say no "none"
    names = el.keys()
    if not names:
        return False
    if "style" in names:
        style = el.get("style")
        if style and _style_hides(style):
            return True
    if "hidden" in names or ("aria-hidden" in names and el.get("aria-hidden") == "true"):
        return True
    if "class" not in names:
        return False
    cls = el.get("class")
    return bool(cls) and ("-hide" in cls or "d-none" in cls) and bool(_HIDING_CLASS.search(cls))


@functools.lru_cache(maxsize=4096)  # a pasted Word body repeats a few styles on every span
def _style_hides(style: str) -> bool:
    return "none" in style.lower() and "display:none" in style.replace(" ", "").lower()


_HIDING_CLASS = re.compile(r"(?:^|\s)(?:ng-hide|d-none)(?:$|\s)")
_hidden = is_hidden


def _data_table_rows(table: etree._Element) -> list[list[str]] | None:
    """The rows of cleaned cell texts of a data table, or None for a layout table.

    A table of several short cells per row is data; one column or long-text cells is layout.
    Deciding and reading are one pass: each cell's text is read once, for its length and its line.
    """
    nested = _has_nested_table(table)
    rows = _own_rows(table, nested)
    if len(rows) < 2:
        return None
    texts: list[list[str]] = []
    width = 0
    for r in rows:
        cells = [c for c in r if isinstance(c.tag, str) and c.tag.lower() in ("td", "th")]
        width = max(width, len(cells))
        row = []
        for c in cells:
            if nested and c.find(".//table") is not None:
                return None  # tables nested in cells lay out the page
            text = text_content(c)
            if len(text) > 800:
                return None  # a cell holding a whole text is page layout
            row.append(text)
        texts.append(row)
    if width < 2:
        return None
    cleaned = ([clean_line(t) for t in row] for row in texts)
    return [cells for cells in cleaned if any(cells)]


def _has_nested_table(table: etree._Element) -> bool:
    # one C-level scan; without a nested table every <tr> below is this table's own, and no cell
    # holds a table, so the per-row and per-cell searches are spared
    tables = table.iter("table")
    next(tables)  # the table itself
    return next(tables, None) is not None


def _own_rows(table: etree._Element, nested: bool) -> list[etree._Element]:
    rows = table.iter("tr")
    return [r for r in rows if _owner_table(r) is table] if nested else list(rows)


def _owner_table(el: etree._Element) -> etree._Element | None:
    p = el.getparent()
    while p is not None and not (isinstance(p.tag, str) and p.tag.lower() == "table"):
        p = p.getparent()
    return p
