"""Charset order: BOM, HTTP header, UTF-8 validity, <meta charset>, GB18030."""

from __future__ import annotations

from pathlib import Path

from pipeline.decode import decode
from pipeline.normalize import normalize
from policywatch.demo import PAGES

DATA = Path(__file__).parent / "data"
ZHAOQING = PAGES / "zhaoqing-gkmlpt.html"


def _as_gbk(path: Path) -> bytes:
    """The fixture re-saved as a GBK page that says so in its meta tag, as old CMS pages do."""
    text = path.read_text("utf-8").replace('charset="UTF-8"', 'charset="gbk"').replace("charset=UTF-8", "charset=gbk")
    text = text.replace('<meta charset="utf-8">', '<meta charset="gbk">')
    return text.encode("gb18030")


def test_declared_gb2312_but_utf8_page_decodes_as_utf8() -> None:
    data = (DATA / "corpus" / "enc-mismatch-163-traffic.html").read_bytes()
    assert b"charset=gb2312" in data[:2000]
    decoded = decode(data)
    assert decoded.encoding == "utf-8" and decoded.replacements == 0
    doc = normalize(data, filename="page.html")
    assert "京沪高速" in doc.title
    assert any("无锡" in m.text for m in doc.iter_measures())


def test_gbk_page_decodes_from_meta() -> None:
    data = _as_gbk(ZHAOQING)
    decoded = decode(data)
    assert decoded.encoding == "gb18030" and decoded.source in ("meta", "fallback")
    assert decoded.replacements == 0
    doc = normalize(data)
    assert doc.doc_number == "肇府函〔2019〕381号"
    assert len(doc.measures()) == len(normalize(ZHAOQING.read_bytes()).measures())


def test_gbk_page_with_a_wrong_utf8_header_still_decodes() -> None:
    data = _as_gbk(ZHAOQING)
    for header in ("text/html; charset=utf-8", "text/html; charset=ISO-8859-1", "text/html"):
        doc = normalize(data, headers={"Content-Type": header})
        assert doc.doc_number == "肇府函〔2019〕381号", header


def test_gbk_page_without_any_declaration_falls_back_to_gb18030() -> None:
    text = "<html><body><div id='zoom'><p>第一条 为了规范管理，根据有关规定，制定本办法，请各单位认真遵照执行。</p></div></body></html>"
    decoded = decode(text.encode("gbk"))
    assert (decoded.encoding, decoded.source) == ("gb18030", "fallback")
    assert "规范管理" in decoded.text


def test_bom_wins_over_everything() -> None:
    data = "\ufeff<meta charset='gbk'><p>一、总体要求</p>".encode("utf-8")
    decoded = decode(data, {"Content-Type": "text/html; charset=gbk"})
    assert decoded.source == "bom" and "总体要求" in decoded.text


def test_gb_header_is_trusted_over_meta() -> None:
    data = "<meta charset='utf-8'><p>一、总体要求和基本原则</p>".encode("gb18030")
    decoded = decode(data, {"Content-Type": "text/html; charset=GB2312"})
    assert decoded.source == "header" and "总体要求" in decoded.text


def test_invisible_utf8_scan_agrees_with_the_invisible_class_for_every_character() -> None:
    """decode's byte scan lets normalize skip strip_invisible: it must find exactly text.INVISIBLE."""
    from pipeline.decode import has_invisible_utf8
    from pipeline.text import INVISIBLE

    # every BMP character (the whole class is in it); beyond it, no byte of a 4-byte sequence is a
    # lead byte the scan looks for, which a stride through the other planes shows
    chars = [*range(0xD800), *range(0xE000, 0x10000), *range(0x10000, 0x110000, 97)]
    wrong = [hex(c) for c in chars if has_invisible_utf8(f"政策{chr(c)}x".encode()) != bool(INVISIBLE.search(chr(c)))]
    assert wrong == []


def test_clean_utf8_only_for_utf8_bytes_without_invisible_characters() -> None:
    page = ("<html><body><p>第一条　为了规范本市政府信息公开工作，制定本办法。</p>"
            "<p>第二条　本办法自发布之日起施行，有效期五年。</p></body></html>")
    assert decode(page.encode()).clean_utf8 == page.encode()
    assert decode(page.replace("本办法", "本\u200b办法").encode()).clean_utf8 is None
    assert decode(page.encode("gb18030"), {"Content-Type": "text/html; charset=gbk"}).clean_utf8 is None
    doc = normalize(page.replace("本办法", "本\u200b办法").encode(), filename="p.html")
    assert "本办法自发布之日起施行" in "".join(m.text for m in doc.iter_measures())
