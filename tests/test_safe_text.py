"""pipeline.safe_text against the specifications: XML 1.0's Char production (checked by lxml's
strict parser), the bidi controls of UAX #9, and one header line (RFC 5322: no CR or LF)."""

from __future__ import annotations

import unicodedata

from lxml import etree
from markupsafe import escape

from pipeline.safe_text import display_text, header_text

EVERY_CHAR = "".join(chr(c) for c in range(0x110000))
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # UAX #9, table 1 (Bidi_Control)


def _xml_char(c: str) -> bool:  # XML 1.0 (Fifth Edition) [2] Char
    o = ord(c)
    return o in (0x9, 0xA, 0xD) or 0x20 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or 0x10000 <= o <= 0x10FFFF


def test_display_text_is_xml_without_bidi_or_c1_and_keeps_the_words() -> None:
    shown = display_text(EVERY_CHAR)
    doc = "<a>" + str(escape(shown)) + "</a>"
    assert etree.fromstring(doc.encode("utf-8")).text is not None  # strict: any illegal Char raises
    dropped = 0x20 - 3 + 0x800 + 2 + 0x21 + len(BIDI)  # C0 but TAB/LF/CR, surrogates, U+FFFE/F, DEL+C1
    assert len(shown) == 0x110000 - dropped
    assert not set(BIDI) & set(shown)
    assert all(unicodedata.category(c) != "Cc" for c in shown if c not in "\t\n\r")
    assert set(shown) == {c for c in EVERY_CHAR if _xml_char(c) and c not in BIDI and not 0x7F <= ord(c) <= 0x9F}
    assert display_text("关于印发\u202e件文密机.exe\u202c的通知\t<b>\n") == "关于印发件文密机.exe的通知\t<b>\n"


def test_header_text_is_one_line_without_controls() -> None:
    line = header_text("标题\r\nBcc: x@example.org\x00\x1b[31m\u202e\u2028\x85尾  部\t!")
    assert line == "标题 Bcc: x@example.org [31m 尾 部 !"
    every = header_text(EVERY_CHAR)
    assert all(unicodedata.category(c) not in ("Cc", "Zl", "Zp") and c not in BIDI for c in every)
    assert "  " not in every and every == every.strip()
    assert header_text("一二三四五", limit=4) == "一二三…" and header_text("一二三", limit=4) == "一二三"
