"""normalize(bytes) -> Document: the one entry point of the normalizer.

decode -> (HTML: container, chrome, metadata | text: lines, unwrap) -> structure -> Document.
It never raises on bad input: an empty, binary, garbled or text-free page comes back as a
Document whose `quality.flags` say so (schema.FATAL_FLAGS are the ones a caller must not store as a
version of a policy), so a crawler can record the failure and the CLI can print one line.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from pipeline.attachment_links import ATTACHMENT_TYPES, attachment_ext  # noqa: F401 (the normalizer's names too)
from pipeline.decode import decode
from pipeline.html_extract import PageParts, extract
from pipeline.markers import parse_marker
from pipeline.metadata import (
    find_doc_numbers,
    iso_date,
    label_count,
    label_values,
    normalize_doc_number,
    references,
    table_values,
)
from pipeline.schema import Attachment, Document
from pipeline.structure import Line, Structured, structure
from pipeline.text import clean_line, count_cjk, norm_text, strip_invisible
from pipeline.text_input import text_lines

_PUNCT = re.compile(r"[\W_]+", re.U)
_SPACES = re.compile(r"\s+")
_HTML_SNIFF = re.compile(r"<\s*(html|head|body|div|p|table|meta|!doctype|span|br|a)\b", re.I)
_TITLE_SUFFIX = re.compile(r"(?<=.{8})\s*(?:_{1,2}|\s[-|–—]\s|\|)\s*[^_|]{2,40}$")


def normalize(data: bytes | str, url: str = "", headers: dict[str, str] | None = None, filename: str = "") -> Document:
    """Turn one fetched page (HTML, .txt or .md) into the section/measure schema."""
    doc = Document(url=url)
    clean_utf8 = None
    if isinstance(data, bytes):
        if not data.strip():
            return _flag(doc, "empty", "the page is empty")
        if _is_binary(data):
            return _flag(doc, "binary", "the file is binary, not a text or HTML page")
        decoded = decode(data, headers)
        text = decoded.text
        doc.quality.stats["replacement_chars"] = decoded.replacements
        if decoded.source == "fallback":
            doc.quality.flags.append("encoding_fallback")
        clean_utf8 = decoded.clean_utf8
    else:
        text = data
    if clean_utf8 is None:  # else decode saw no invisible character in the bytes
        text = strip_invisible(text)
    if not text.strip():
        return _flag(doc, "empty", "the page is empty")

    if _is_html(text, filename):
        lines, parts = _html(text, doc, url, clean_utf8)
    else:
        lines = _text(text, doc, filename)
        parts = None

    _strip_fields(doc)
    _quality(doc, lines)
    if not is_usable(doc):
        return doc

    titles = [t for t in (doc.title, parts.h1 if parts else "") if t]
    st = structure(lines, titles)
    _fill(doc, st)
    _own_title(doc)
    doc.references = references(
        "\n".join([doc.cover_note, doc.preamble, doc.closing] + [m.text for m in doc.iter_measures()] + [s.text for s in doc.iter_sections()]),
        own_number=doc.doc_number,
        own_titles=(doc.title, doc.body_title),
    )
    doc.kind = _kind(doc)
    if not any(True for _ in doc.iter_measures()):
        doc.quality.flags.append("no_measures")
    return doc


_TEXT_FIELDS = ("site", "title", "doc_number_raw", "index_number", "publisher", "category", "subject_terms", "status",
                "source")


def _strip_fields(doc: Document) -> None:
    """No control or bidi character reaches a field, whatever its source (a numeric entity in a
    <meta>, an escape in gkmlpt's JSON): they would break XML feeds and mail headers."""
    for name in _TEXT_FIELDS:
        value = getattr(doc, name)
        if value:
            setattr(doc, name, clean_line(value))
    for a in doc.attachments:
        a.name = clean_line(a.name)


def _flag(doc: Document, flag: str, why: str) -> Document:
    doc.quality.flags.append(flag)
    doc.quality.reason = why
    return doc


def is_usable(doc: Document) -> bool:
    """False when a fatal flag says the page carries no policy text (see quality.reason)."""
    return doc.quality.usable()


_CONTROL_BYTES = bytes([*range(9), *range(14, 32)])


def _is_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    control = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return control > len(head) * 0.05


def _is_html(text: str, filename: str) -> bool:
    name = filename.lower()
    if name.endswith((".html", ".htm", ".shtml", ".xhtml")):
        return True
    if name.endswith((".txt", ".md", ".markdown", ".text")):
        return False
    return bool(_HTML_SNIFF.search(text[:4096]))


def _html(text: str, doc: Document, url: str, utf8: bytes | None) -> tuple[list[Line], PageParts]:
    parts = extract(text, utf8)
    doc.quality.flags.extend(parts.flags)
    if parts.container == "density":
        doc.quality.flags.append("body_by_density")
    meta = parts.meta
    parts.blocks, head_labels = _body_head_labels(parts.blocks)
    block_values = label_values(parts.labels + head_labels)
    gk = parts.gkmlpt
    gk_data = gk.get("gkml_data") if isinstance(gk.get("gkml_data"), dict) else {}

    # What the page shows beats what its <head> says (a visible block or byline over <meta>):
    # <meta PubDate> is often the time the page was generated, not the date it shows.
    candidates = (block_values.get("title", ""), meta.get("ArticleTitle", ""), str(gk.get("title") or ""), parts.h1,
                  parts.html_title)
    doc.title = next((t for t in map(_clean_title, candidates) if t and not _is_site_name(t, meta)), "")
    raw_number = block_values.get("doc_number") or str(gk_data.get("document_number") or "") or _table_doc_number(parts)
    doc.doc_number_raw = clean_line(raw_number) if re.search(r"\d", raw_number) else ""  # 文号：无 / — is none
    doc.index_number = _SPACES.sub("", block_values.get("index_number") or str(gk_data.get("identifier") or ""))
    doc.publisher = block_values.get("publisher") or str(gk_data.get("publisher") or "")
    doc.category = block_values.get("category", "")
    doc.written_date = iso_date(block_values.get("written_date", ""))
    doc.published_date = iso_date(
        block_values.get("published_date", "") or block_values.get("byline_date", "") or meta.get("PubDate", "")
    )
    doc.subject_terms = block_values.get("subject_terms", "")
    doc.status = block_values.get("status", "")
    doc.source = meta.get("ContentSource", "")
    doc.site = meta.get("SiteName", "")
    base = url or meta.get("Url", "")
    doc.attachments = _attachments(parts, base)
    lines = [Line(text=b.text, table=b.table, heading=b.heading) for b in parts.blocks]
    if not doc.title:
        doc.title = _head_title(lines)
    return lines, parts


_GENRE_END = re.compile(r"(通知|决定|函|通报|意见|批复|公告|通告|命令|令)$")


def _own_title(doc: Document) -> None:
    """A 印发 notice is titled by its own head lines, not by the document it wraps: when the title
    we have (an <h1>, a <title>) is the wrapped document's, the cover's head lines give the notice's."""
    if not doc.cover_note or not doc.body_title or norm_text(doc.title) != norm_text(doc.body_title):
        return
    head: list[str] = []
    for line in doc.cover_note.split("\n")[:4]:
        if find_doc_numbers(line) or line.rstrip().endswith(("：", ":")) or len(line) > 60:
            break
        head.append(line.strip())
    own = "".join(head)
    if own and _GENRE_END.search(own) and norm_text(own) != norm_text(doc.body_title):
        doc.title = own


_SITE_WORDS = re.compile(r"(人民政府|政府网|门户网站|网站|官网|政务网)[-_|\s]*$")


def _is_site_name(title: str, meta: dict[str, str]) -> bool:
    """An <h1> or <title> that names the site, not the document (宜春市人民政府, 万载县人民政府-)."""
    t = title.strip(" -_|")
    site = meta.get("SiteName", "")
    return bool(t) and (t == site or (len(t) <= 14 and "关于" not in t and bool(_SITE_WORDS.search(t))))


def _head_title(lines: list[Line]) -> str:
    """The title printed at the head of the body (up to three wrapped lines, above the 文号 or the
    salutation), for a page that names its document nowhere else."""
    pieces: list[str] = []
    for line in lines[:4]:
        t = line.text.strip()
        if line.table is not None or find_doc_numbers(t) or t.endswith(("：", ":")) or parse_marker(t) \
                or len(t) > 60 or any(c in t for c in "。；，"):
            break
        pieces.append(t)
    title = "".join(pieces)
    return title if 6 <= len(title) <= 100 else ""


def _body_head_labels(blocks: list) -> tuple[list, list[str]]:
    """A metadata block printed inside the body container, above the text: a table of label
    cells, or label lines (发布机关：… 发文字号：… 发布日期：…). They are read as metadata and
    are not body text; lines after the first that holds no label are left alone."""
    lines: list[str] = []
    taken = 0
    for block in blocks[:12]:
        if block.table is not None:
            cells = [c for row in block.table.rows for c in row if c]
            if sum(label_count(c) for c in cells) < 2:
                break
            lines.extend(cells)
        elif (n := label_count(block.text)) >= 2 or (n == 1 and len(block.text) <= 40):
            lines.append(block.text)
        else:
            break
        taken += 1
    return (blocks[taken:], lines) if lines else (blocks, [])


def _table_doc_number(parts: PageParts) -> str:
    """The 文号 in a key/value table that is the body (a 行政处罚信息公开表), when it reads as one."""
    for block in parts.blocks:
        if block.table is not None:
            value = table_values(block.table.rows).get("doc_number", "")
            if value and find_doc_numbers(value):
                return value
    return ""


def _text(text: str, doc: Document, filename: str) -> list[Line]:
    raw_lines, title, header = text_lines(text)
    # pkulaw exports print a 法宝引证码 / 原文链接 head; a title printed first (and twice)
    while raw_lines and re.match(r"^(【法宝引证码】|原文链接|法宝引证码)", raw_lines[0]):
        raw_lines.pop(0)
    if not title and raw_lines and len(raw_lines[0]) <= 80 and not raw_lines[0].endswith("。") and not parse_marker(raw_lines[0]):
        title = raw_lines[0]
    # a bare article list names itself only by its file
    doc.title = _clean_title(title) or re.sub(r"\.(txt|md|markdown|text)$", "", filename, flags=re.I)
    for line in header:
        d = iso_date(line)
        if d and not doc.published_date:
            doc.published_date = d
    return [Line(text=x) for x in raw_lines]


def _clean_title(title: str) -> str:
    return _TITLE_SUFFIX.sub("", clean_line(title)) if title else ""


def _attachments(parts: PageParts, base: str) -> list[Attachment]:
    out: list[Attachment] = []
    seen: set[str] = set()
    for label, href in parts.links:
        ext = attachment_ext(href, label)
        if not ext:
            continue
        full = urljoin(base, href) if base else href
        if full in seen:
            continue
        seen.add(full)
        name = label or href.rsplit("/", 1)[-1]
        out.append(Attachment(name=name, url=full, ext=ext))
    return out


def _quality(doc: Document, lines: list[Line]) -> None:
    text = "".join(x.text for x in lines if x.table is None)
    squeezed = "".join(text.split())  # the same spaces as \s (Py_UNICODE_ISSPACE)
    chars = len(squeezed)
    cjk = count_cjk(text)
    bad = text.count("\ufffd")
    doc.quality.stats.update({"chars": float(chars), "cjk_ratio": round(cjk / chars, 3) if chars else 0.0})
    # punctuation is counted only for a page short of CJK: a regex pass over the whole body text
    if chars and (bad > chars * 0.05 or (cjk < chars * 0.3 and chars - len(_PUNCT.sub("", squeezed)) > chars * 0.5)):
        _flag(doc, "garbled", "the text is mostly replacement characters or punctuation (garbled or script-rendered)")
    elif cjk < 20 and not any(x.table for x in lines):
        _flag(doc, "no_text", "no policy text found on the page (navigation or chrome only)")


def _fill(doc: Document, st: Structured) -> None:
    doc.cover_note = st.cover_note
    doc.body_title = st.body_title
    doc.preamble = st.preamble
    doc.closing = st.closing
    if not doc.written_date:
        doc.written_date = st.signature_date  # 成文日期 is the signature's date where no field says it
    doc.sections = st.sections
    for name in st.attachment_names:
        if not any(a.name.startswith(name) or name in a.name for a in doc.attachments):
            doc.attachments.append(Attachment(name=name, url="", ext=""))
    if not doc.doc_number_raw:
        # a 文号 printed on its own line at the head of the body (gz-11: empty in the table)
        for line in (st.masthead or doc.cover_note or doc.preamble).split("\n")[:3]:
            found = find_doc_numbers(line)
            if found and len(line) <= 30:
                doc.doc_number_raw = found[0][0]
                break
    if doc.doc_number_raw:
        doc.doc_number = normalize_doc_number(doc.doc_number_raw)


_KINDS = (
    ("interpretation", re.compile(r"解读|一图看懂|答记者问|图解")),
    ("qa", re.compile(r"问答|热点.{0,4}问|\d+问")),
    ("regulation", re.compile(r"(条例|办法|规定|细则|规则|法|决定|规程|标准)(（[^）]*）)?(\(\d{4}-\d{2}-\d{2}\))?$")),
    ("opinion", re.compile(r"意见$")),
    ("plan", re.compile(r"(方案|计划|规划|纲要|清单)$")),
    ("notice", re.compile(r"(通知|通告|公告|公示|通报|函|批复)$")),
)


def _kind(doc: Document) -> str:
    for title in (doc.body_title, doc.title):
        t = re.sub(r"[《》\s]", "", title or "")
        for kind, pattern in _KINDS:
            if pattern.search(t):
                return kind
    if any(m.label.startswith("第") and m.label.endswith("条") for m in doc.iter_measures()):
        return "regulation"
    return "other"
