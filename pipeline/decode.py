"""Bytes to text, in the order that survives lying servers and lying pages.

BOM, then the HTTP header, then UTF-8 validity, then `<meta charset>`, then GB18030.
UTF-8 validity comes before the meta tag because pages re-saved as UTF-8 keep their old
`gb2312` declaration (corpus/enc-mismatch-163-traffic.html); a header that is not UTF-8
but names a GB charset is trusted before the meta tag. GB2312 and GBK are decoded as
GB18030, their superset, so a page that declares gb2312 and uses a GBK-only character
still decodes.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "gb_2312-80", "csgb2312"}


@dataclass
class Decoded:
    text: str
    encoding: str  # the codec used
    source: str  # which rule chose it: bom, header, utf-8, meta, fallback
    replacements: int  # U+FFFD characters produced by decoding


def canonical(name: str) -> str | None:
    """A Python codec name for a declared charset; GB family -> gb18030; unknown -> None."""
    name = name.strip().lower()
    if name in _GB_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def header_charset(headers: dict[str, str] | None) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == "content-type" and value:
            m = _HEADER_CHARSET.search(value)
            if m:
                return canonical(m.group(1))
    return None


def meta_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return canonical(m.group(1).decode("ascii", "replace")) if m else None


def decode(data: bytes, headers: dict[str, str] | None = None) -> Decoded:
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return _done(data[len(bom) :], enc, "bom")

    declared = header_charset(headers)
    utf8 = _try_utf8(data)
    # A header that says UTF-8 or Latin-1 is the server's default more often than the page's
    # truth, so it only wins when the bytes agree. A specific header wins, except over bytes
    # that are valid multi-byte UTF-8: real GB text almost never is.
    if declared and declared not in ("utf-8", "iso8859-1", "ascii", "cp1252"):
        if utf8 is not None and declared == "gb18030" and not utf8.isascii():
            return Decoded(utf8, "utf-8", "utf-8", 0)
        return _done(data, declared, "header")
    if utf8 is not None:
        return Decoded(utf8, "utf-8", "utf-8", 0)

    meta = meta_charset(data)
    if meta and meta != "utf-8":
        return _done(data, meta, "meta")
    if declared in ("iso8859-1", "cp1252") and not _looks_cjk_bytes(data):
        return _done(data, declared, "header")
    return _done(data, "gb18030", "fallback")


def _try_utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _looks_cjk_bytes(data: bytes) -> bool:
    """High bytes in pairs are what GB text looks like; a Latin-1 page has few of them."""
    high = sum(1 for b in data[:20000] if b >= 0x80)
    return high > 20


def _done(data: bytes, encoding: str, source: str) -> Decoded:
    text = data.decode(encoding, errors="replace")
    return Decoded(text, encoding, source, text.count("\ufffd"))
