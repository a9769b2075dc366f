"""What a change says, in the reader's language: labels of the vocabulary, attachment changes in
words, withdrawal reasons, search hits with the phrase marked.

Crawled text is untrusted: every value is escaped before it meets markup (Markup % escapes its
arguments; the catalogue's own text is escaped too, so a translator's "<" stays text).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from markupsafe import Markup, escape

from pipeline.schema import FIELD_LABELS, KIND_LABELS, STATUS_LABELS
from pipeline.text import norm_text


def _label(table: dict[str, Any], key: Any) -> str:
    label = table.get(key) if isinstance(key, str) else None
    return gettext(label.msgid) if label is not None else str(key or "")


def kind_label(kind: str) -> str:
    return _label(KIND_LABELS, kind)


def field_label(name: str) -> str:
    return _label(FIELD_LABELS, name)


def status_label(status: str) -> str:
    return _label(STATUS_LABELS, status)


def say(message: str, **values: Any) -> Markup:
    """A catalogue message with its %(name)s placeholders filled by escaped values."""
    return escape(gettext(message)) % {k: escape(v) for k, v in values.items()}


def size(n: Any) -> str:
    if not isinstance(n, int):
        return "?"
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{round(n / 1024)} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def attachment_change(old: Any, new: Any) -> Markup:
    """附件《name》已更换：大小 25 KB → 31 KB (or the hashes, when the size stayed)."""
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    name = new.get("name") or old.get("name") or new.get("url") or old.get("url") or ""
    if old.get("size") != new.get("size"):
        return say(
            "Attachment “%(name)s” replaced: size %(old)s → %(new)s",
            name=name,
            old=size(old.get("size")),
            new=size(new.get("size")),
        )
    return say(
        "Attachment “%(name)s” replaced: same size, content %(old)s → %(new)s",
        name=name,
        old=str(old.get("sha256") or "")[:12],
        new=str(new.get("sha256") or "")[:12],
    )


def value_text(value: Any) -> str:
    """A metadata value as text: attachments by name, lists joined, dicts by their name or URL."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value.get("name") or value.get("url") or "")
    if isinstance(value, list | tuple):
        return "、".join(t for t in (value_text(v) for v in value) if t)
    return str(value)


def withdrawn_text(reason: Any) -> Markup:
    """Why a document counts as withdrawn: its page answered 404/410, or it left its listing."""
    reason = str(reason or "")
    if reason.startswith("http"):
        return say("withdrawn: the page answers %(status)s", status=reason.replace("http", "HTTP"))
    if reason:
        return say("withdrawn: no longer on its listing (the page may still be there)")
    return say("withdrawn")


def highlight(text: Any, phrase: Any) -> Markup:
    """`text` escaped, with each occurrence of `phrase` in <mark>.

    Matching is on the text as stored, case-insensitively, and also on the phrase as the search
    normalizes it (width, spaces), so a hit found through normalization is still marked where
    the two agree; the fragments between marks are escaped one by one.
    """
    text = str(text or "")
    needles = {n for n in (str(phrase or "").strip(), norm_text(str(phrase or "")).strip()) if n}
    if not needles:
        return escape(text)
    low = text.lower()
    spans: list[tuple[int, int]] = []
    for needle in needles:
        n = needle.lower()
        start = low.find(n)
        while start != -1:
            spans.append((start, start + len(n)))
            start = low.find(n, start + len(n))
    out: list[Markup] = []
    pos = 0
    for a, b in sorted(spans):
        if a < pos:
            continue
        out.append(escape(text[pos:a]))
        out.append(Markup("<mark>{}</mark>").format(text[a:b]))
        pos = b
    out.append(escape(text[pos:]))
    return Markup("").join(out)
