"""What a change says, as a reader reads it: the inline diff (with long unchanged runs elided),
a field's value as text, and an attachment change in words (which file, added, removed or
replaced, its size before and after), never the SHA-256 the crawler compares files by.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

CONTEXT = 30
"""Unchanged characters kept on each side of an edit; longer unchanged runs are elided."""


@dataclass(frozen=True)
class Span:
    op: str  # equal | insert | delete | gap (elided unchanged text)
    text: str


@dataclass(frozen=True)
class AttachmentNote:
    """One attachment in a change: `how` is added | removed | replaced; sizes in bytes when known."""

    how: str
    name: str
    old_size: int | None = None
    new_size: int | None = None


def spans(diff: Sequence[Sequence[str]] | None, context: int = CONTEXT) -> list[Span]:
    out: list[Span] = []
    parts = list(diff or [])
    for k, (op, text) in enumerate(parts):
        if op != "equal" or len(text) <= 2 * context + 1:
            out.append(Span(op, text))
            continue
        head = "" if k == 0 else text[:context]
        tail = "" if k == len(parts) - 1 else text[-context:]
        if head:
            out.append(Span("equal", head))
        out.append(Span("gap", "…"))
        if tail:
            out.append(Span("equal", tail))
    return out


def value_text(v: Any) -> str:
    """A field's stored value as text: a list joined with "；", a dict by its name or title."""
    if v is None:
        return ""
    if isinstance(v, dict):
        return str(v.get("name") or v.get("title") or v.get("url") or "")
    if isinstance(v, list):
        return "；".join(value_text(x) if isinstance(x, dict) else str(x) for x in v)
    return str(v)


def _name(v: Any) -> str:
    return str((v.get("name") or v.get("url") or "") if isinstance(v, dict) else v or "")


def _size(v: Any) -> int | None:
    size = v.get("size") if isinstance(v, dict) else None
    return int(size) if isinstance(size, int | float) and not isinstance(size, bool) else None


def attachment_notes(field: str, old: Any, new: Any) -> list[AttachmentNote]:
    """The attachments a metadata change is about, in words.

    `attachment_content` (storage/attachments.py): the file behind a link was replaced; old and
    new are {name, url, size, sha256}. `attachments`: the page's list of attachments changed;
    old and new are lists of names (or {name, ...}), and each name only on one side is added
    or removed.
    """
    if field == "attachment_content":
        if not isinstance(old, dict) and not isinstance(new, dict):
            return []
        return [AttachmentNote("replaced", _name(new) or _name(old), _size(old), _size(new))]
    if field != "attachments":
        return []
    olds = [x for x in old or [] if _name(x)] if isinstance(old, list) else []
    news = [x for x in new or [] if _name(x)] if isinstance(new, list) else []
    before, after = {_name(x) for x in olds}, {_name(x) for x in news}
    out = [AttachmentNote("removed", _name(x), _size(x)) for x in olds if _name(x) not in after]
    out += [AttachmentNote("added", _name(x), None, _size(x)) for x in news if _name(x) not in before]
    return out


def size_text(n: int | None) -> str:
    """"512 B", "25 KB", "3.2 MB" (1 KB = 1024 B), as the web UI writes sizes; "" when unknown."""
    if n is None:
        return ""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{round(n / 1024)} KB"
    return f"{n / 1024 / 1024:.1f} MB"
