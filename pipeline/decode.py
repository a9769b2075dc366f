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
    # The page's own bytes, when they are UTF-8 and hold no character of text.INVISIBLE: `text`
    # is then exactly them decoded and already clean, so the normalizer skips strip_invisible
    # over the whole page and the HTML parser takes these bytes without the text encoded again.
    clean_utf8: bytes | None = None


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
            return _utf8(utf8, data)
        return _done(data, declared, "header")
    if utf8 is not None:
        return _utf8(utf8, data)

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


def _utf8(text: str, data: bytes) -> Decoded:
    return Decoded(text, "utf-8", "utf-8", 0, None if has_invisible_utf8(data) else data)


# text.INVISIBLE in valid UTF-8. A byte below 0x80 is always a character of its own, and a lead
# byte (0xc2, 0xe2, 0xef…) is never a continuation byte, so each match is one whole character.
# The ASCII controls are looked for one byte at a time (memchr, ~50x faster than a regex class
# over the page); the others only on a page that holds their lead byte at all.
_INVISIBLE_ASCII = [bytes([b]) for b in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)]
_INVISIBLE_MULTI = (
    (b"\xc2", re.compile(rb"\xc2[\x80-\x9f\xad]")),  # C1 controls U+0080-009F, soft hyphen U+00AD
    (b"\xd8", re.compile(rb"\xd8\x9c")),  # U+061C arabic letter mark
    (b"\xe1", re.compile(rb"\xe1\xa0\x8e")),  # U+180E mongolian vowel separator
    # zero-width U+200B-200F, bidi U+202A-202E, U+2060-2064 and the isolates U+2066-2069
    (b"\xe2", re.compile(rb"\xe2(?:\x80[\x8b-\x8f\xaa-\xae]|\x81[\xa0-\xa4\xa6-\xa9])")),
    (b"\xef", re.compile(rb"\xef(?:\xbb\xbf|\xbf[\xbe\xbf])")),  # BOM U+FEFF, U+FFFE, U+FFFF
)


def has_invisible_utf8(data: bytes) -> bool:
    """Whether valid UTF-8 `data` holds a character of text.INVISIBLE (surrogates cannot occur in
    it), found at memchr speed: a regex class over the decoded page costs ~6 ns a character."""
    if any(b in data for b in _INVISIBLE_ASCII):
        return True
    return any(lead in data and pattern.search(data) is not None for lead, pattern in _INVISIBLE_MULTI)


def _looks_cjk_bytes(data: bytes) -> bool:
    """High bytes in pairs are what GB text looks like; a Latin-1 page has few of them."""
    high = sum(1 for b in data[:20000] if b >= 0x80)
    return high > 20


def _done(data: bytes, encoding: str, source: str) -> Decoded:
    text = data.decode(encoding, errors="replace")
    return Decoded(text, encoding, source, text.count("\ufffd"))
