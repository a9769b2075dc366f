"""What a version stores: its content hash, compressed raw bytes, section and measure rows."""

from __future__ import annotations

import hashlib
import json
import zlib
from typing import Any

from pipeline.schema import METADATA_FIELDS, Document, Section
from pipeline.text import norm_text, text_hash

ZLIB_LEVEL = 6  # zlib's default: ~4-5x on HTML; level 9 buys a few percent for much more CPU


def compress(data: bytes | str | None) -> bytes | None:
    if data is None:
        return None
    if isinstance(data, str):
        data = data.encode("utf-8")
    return zlib.compress(data, ZLIB_LEVEL)


def decompress(blob: bytes | None) -> bytes | None:
    return None if blob is None else zlib.decompress(blob)


def _section_key(s: Section) -> dict[str, Any]:
    return {
        "p": s.path,
        "l": norm_text(s.label),
        "t": norm_text(s.title),
        "x": norm_text(s.text),
        "tb": [[[norm_text(c) for c in row] for row in t.rows] for t in s.tables],
        "m": [[m.path, norm_text(m.label), m.norm_text or norm_text(m.text)] for m in s.measures],
        "c": [_section_key(c) for c in s.children],
    }


def content_hash(doc: Document) -> str:
    """SHA-256 of what a reader would call the content, in normalized form.

    Two renderings of the same words (width, spacing, quote variants, another CMS template)
    hash the same, so a re-rendered page is not a new version. The URL, site and quality
    notes are not content.
    """
    meta = {}
    for name in METADATA_FIELDS:
        value = getattr(doc, name)
        if name == "attachments":
            value = [[norm_text(a.name), a.url] for a in value]
        else:
            value = norm_text(str(value or ""))
        meta[name] = value
    key = {
        "meta": meta,
        "body_title": norm_text(doc.body_title),
        "cover": norm_text(doc.cover_note),
        "pre": norm_text(doc.preamble),
        "s": [_section_key(s) for s in doc.sections],
    }
    blob = json.dumps(key, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def doc_number_key(doc_number: str) -> str:
    """A 文号 folded for lookup: width, spaces and every bracket style (〔〕[]()【】) agree."""
    key = norm_text(doc_number)
    for a, b in (("(", "["), (")", "]"), ("〔", "["), ("〕", "]")):
        key = key.replace(a, b)
    return key


def identity_key(doc: Document) -> str | None:
    """文号 + 发布机构: the same document republished at another URL has the same key."""
    if not doc.doc_number:
        return None
    return f"{doc_number_key(doc.doc_number)}|{norm_text(doc.publisher)}"


def section_rows(doc: Document) -> list[dict[str, Any]]:
    return [
        {"ordinal": i, "path": s.path, "label": s.label, "level": s.level, "title": s.title, "text": s.text}
        for i, s in enumerate(doc.iter_sections())
    ]


def measure_rows(doc: Document) -> list[dict[str, Any]]:
    rows = []
    for i, m in enumerate(doc.iter_measures()):
        norm = m.norm_text or norm_text(m.text)
        rows.append(
            {
                "ordinal": i,
                "path": m.path,
                "label": m.label,
                "heading": m.heading,
                "text": m.text,
                "norm_text": norm,
                "hash": m.hash or text_hash(norm),
            }
        )
    return rows
