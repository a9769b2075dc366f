"""Find the body of a policy page and read its metadata, whatever the CMS.

The body is cut by container first (trap 7: never by deleting strings globally): the CMS
families' own containers in order of how specific they are, then a text-density fallback.
Metadata comes from three places, most reliable first: the national `<meta name=…>` tags,
the 政府信息公开 label/value block (its boxes found by pipeline.label_blocks), and gkmlpt's
`_CONFIG.DETAIL` record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from pipeline.chrome import trim_chrome
from pipeline.html_blocks import Block, element_blocks, is_hidden, text_content
from pipeline.label_blocks import _outside_lines, _top_elements
from pipeline.text import count_cjk, strip_invisible


@dataclass(frozen=True)
class _Attrs:
    """The attributes the container rules read; a missing one is "" (as an XPath string value)."""

    tag: str
    id: str
    cls: str
    wzades: str


# (name, rule) in order: a specific CMS container beats a generic one. Each rule is the XPath
# predicate it replaced, tested in Python: libxml2 spent ~4 µs an element evaluating them.
CONTAINERS: tuple[tuple[str, Callable[[_Attrs], bool]], ...] = (
    ("ucap", lambda a: a.id in ("UCAP-CONTENT", "UCAPCONTENT") or "UCAP-CONTENT" in a.cls),
    ("trs", lambda a: "TRS_Editor" in a.cls or "TRS_UEDITOR" in a.cls),
    ("zoom", lambda a: a.id in ("zoom", "zoomcon", "Zoom")),
    ("info_cont", lambda a: a.id == "info_cont" or " info_cont " in f" {a.cls} "),
    ("wzades", lambda a: a.wzades == "正文"),
    ("vsb", lambda a: a.id.startswith("vsb_content")),
    ("article-content", lambda a: "article-content" in a.cls or "article_content" in a.cls),
    ("content_article", lambda a: "content_article" in a.cls or "pages_content" in a.cls),
    # single-page apps bind the document into a named box: <div id="wenzhang-content" ng-bind-html=…>
    ("named-content", lambda a: bool(_NAMED_CONTENT.search(a.id)) or (a.tag == "div" and bool(_NAMED_CONTENT.search(a.cls)))),
    ("generic", lambda a: a.tag == "article" or a.id in ("content", "article") or a.cls in ("content", "article")),
)
# Every rule above needs one of these in its id or class (or wzades, or an <article>): elements
# without them, most of a page, are skipped before any rule runs.
_NAMED_CONTENT = re.compile(r"(?:^|\s)[a-z]+[-_]content(?:$|\s)", re.I)
_CONTAINER_HINT = re.compile(r"CONTENT|content|TRS_|zoom|Zoom|info_cont|article")
_HANWEB = re.compile(r"<!--\s*ZJEG_RSS\.content\.begin\s*-->(.*?)<!--\s*ZJEG_RSS\.content\.end\s*-->", re.S | re.I)
_GKMLPT = re.compile(r"DETAIL\s*[:=]\s*\{")
_META_NAMES = ("ArticleTitle", "PubDate", "ContentSource", "ColumnName", "SiteName", "SiteDomain", "Url", "Keywords", "Description")


@dataclass
class PageParts:
    """What the HTML layer hands to the structure layer."""

    blocks: list[Block]
    container: str  # which rule found the body
    meta: dict[str, str] = field(default_factory=dict)  # <meta name> tags
    labels: list[str] = field(default_factory=list)  # page text outside the body, for the metadata block
    html_title: str = ""
    h1: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)  # every (text, href) on the page
    gkmlpt: dict = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)  # quality flags of the parse (deep_nesting)


def parse_html(text: str) -> etree._Element | None:
    """The page as an lxml.html tree (HtmlElement, with text_content() and the like)."""
    return _parse(text, _HTML_PARSER)


def _parse(text: str, parser: etree.HTMLParser, flags: list[str] | None = None,
           utf8: bytes | None = None) -> etree._Element | None:
    """Parse with libxml2's default limits; a page nested deeper than 255 elements is parsed again.

    libxml2 stops at depth 256 and silently drops everything below (the page became "no
    policy text"), so such a page is parsed again with huge_tree (depth 2048), and beyond that
    with its nesting flattened; `flags` says which it took (deep_nesting, deep_nesting_flattened).
    `utf8`, when given, is `text` encoded (decode's clean_utf8: no BOM, nothing to replace).
    """
    text = text.lstrip("\ufeff")
    if not text.strip():
        return None
    data = utf8 if utf8 is not None else text.encode("utf-8", "replace")
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
        if not _too_deep(parser):
            return root
        huge = _HUGE[parser is _HTML_PARSER]
        root = lxml.html.document_fromstring(data, parser=huge)
        if not _too_deep(huge):
            _note(flags, "deep_nesting")
            return root
        _note(flags, "deep_nesting_flattened")
        flat = _NESTING.sub(lambda m: "<br>" if m.group(1).lower() in _BREAKING else "", text)
        return lxml.html.document_fromstring(flat.encode("utf-8", "replace"), parser=huge)
    except (etree.ParserError, ValueError):
        return None


def _too_deep(parser: etree.HTMLParser) -> bool:
    last = parser.error_log.last_error
    return last is not None and "Excessive depth" in last.message


def _note(flags: list[str] | None, flag: str) -> None:
    if flags is not None and flag not in flags:
        flags.append(flag)


_HTML_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=False, recover=True)
# The same libxml2 parse with plain etree elements, for extract: lxml.html's element classes
# are chosen by a Python callback each time lxml hands out an element (~0.5 µs each).
_PARSER = etree.HTMLParser(encoding="utf-8", remove_comments=False, recover=True)
_HUGE = {
    True: lxml.html.HTMLParser(encoding="utf-8", remove_comments=False, recover=True, huge_tree=True),
    False: etree.HTMLParser(encoding="utf-8", remove_comments=False, recover=True, huge_tree=True),
}
# Wrapper tags whose nesting carries no text of its own: dropped (a block one leaves a line break)
# when even huge_tree cannot hold the page.
_NESTING = re.compile(r"</?(div|section|article|center|span|font|b|strong|em|i|u)\b[^>]*>", re.I)
_BREAKING = frozenset(("div", "section", "article", "center"))


def extract(text: str, utf8: bytes | None = None) -> PageParts:
    """The parts of the page `text` (`utf8`: the same text as UTF-8 bytes, if the caller has them)."""
    flags: list[str] = []
    root = _parse(text, _PARSER, flags, utf8)
    if root is None:
        return PageParts(blocks=[], container="none")
    meta = _meta_tags(root)
    gk = _gkmlpt_detail(text)
    html_title = _first_text(root, "title")
    h1 = _first_text(root, "h1")
    links = [(" ".join(text_content(a).split()), a.get("href") or "") for a in root.iter("a")]

    body_el, container = _find_container(root, text, gk)
    if body_el is None:
        return PageParts(blocks=[], container="none", meta=meta, html_title=html_title, h1=h1, links=links, gkmlpt=gk,
                         flags=flags)
    blocks = trim_chrome(element_blocks(body_el))
    outside = _outside_lines(root, body_el)
    return PageParts(
        flags=flags,
        blocks=blocks,
        container=container,
        meta=meta,
        labels=outside,
        html_title=html_title,
        h1=h1,
        links=links,
        gkmlpt=gk,
    )


def _find_container(root: etree._Element, text: str, gk: dict) -> tuple[etree._Element | None, str]:
    m = _HANWEB.search(text)
    if m and count_cjk(m.group(1)) >= 20:
        frag = _parse(f"<html><body><div>{m.group(1)}</div></body></html>", _PARSER)
        if frag is not None:
            return frag.find(".//body/div"), "hanweb"
    best: tuple[int, etree._Element, str] | None = None
    candidates = _container_candidates(root)
    cjk: dict[etree._Element, int] = {}  # an element met by several rules is counted once
    for name, rule in CONTAINERS:
        for el in (el for el, attrs in candidates if rule(attrs)):
            n = cjk.get(el)
            if n is None:
                n = cjk[el] = count_cjk(text_content(el))
            # the first CMS rule that yields real text wins; a later, generic one must do much better
            if n >= 40 and (best is None or n > best[0] * 3):
                best = (n, el, name)
        if best is not None and name != "generic":
            break
    if gk.get("content") and (best is None or count_cjk(gk["content"]) > best[0] * 1.5):
        frag = _parse(f"<html><body><div>{gk['content']}</div></body></html>", _PARSER)
        if frag is not None:
            return frag.find(".//body/div"), "gkmlpt"
    if best is not None:
        return best[1], best[2]
    el = _densest(root)
    return (el, "density") if el is not None else (None, "none")


def _container_candidates(root: etree._Element) -> list[tuple[etree._Element, _Attrs]]:
    """Elements (in document order) that some container rule might accept, with their attributes."""
    out = []
    last = None
    hidden: dict[etree._Element, bool] = {}
    for node in _ATTRIBUTED(root):
        if isinstance(node, str):
            # an id or class without a hint word, or an empty wzades, rules nothing in (no hint
            # word spans the id and the class, so each is tested alone)
            if not (_CONTAINER_HINT.search(node) if node.attrname != "wzades" else node):
                continue
            el = node.getparent()
        else:
            el = node
        if el is last:
            continue  # the element's other attribute: its attributes follow it in document order
        last = el
        id_, cls, wz = el.get("id") or "", el.get("class") or "", el.get("wzades") or ""
        if (wz or el.tag == "article" or _CONTAINER_HINT.search(f"{id_}\n{cls}")) and not _shown_nowhere(el, hidden):
            out.append((el, _Attrs(el.tag, id_, cls, wz)))
    return out


# Only elements with an id, a class or a wzades, or an <article>, can meet a rule: libxml2 lists
# them (in document order, over every top-level element, as `//` does) at half the cost of a
# Python loop over every element.
_ATTRIBUTED = etree.XPath("//@id | //@class | //@wzades | //article")


def _shown_nowhere(el: etree._Element, known: dict[etree._Element, bool] | None = None) -> bool:
    """The element or one around it is hidden: a copy the page does not show (an ng-hide template) is no body.

    `known` remembers the answer for the elements already climbed through: candidates share
    most of their ancestors, and each is_hidden reads up to four attributes.
    """
    known = {} if known is None else known
    path = []
    hidden = False
    while el is not None:
        if el in known:
            hidden = known[el]
            break
        path.append(el)
        if isinstance(el.tag, str) and is_hidden(el):
            hidden = True
            break
        el = el.getparent()
    for seen in path:
        known[seen] = hidden
    return hidden


def _densest(root: etree._Element) -> etree._Element | None:
    """Readability's idea: credit each paragraph's text to its parent, half to the grandparent.

    Link text counts against a paragraph, since navigation is mostly links.
    """
    scores: dict[etree._Element, float] = {}
    body = root.find("body")
    if body is None:
        body = root
    for p in body.iter("p", "div", "td", "li", "span", "font", "pre"):
        own = (p.text or "") + "".join((c.tail or "") for c in p)
        link_chars = sum(count_cjk(text_content(a)) for a in p.iter("a"))
        n = count_cjk(own) + sum(count_cjk(text_content(c)) for c in p if isinstance(c.tag, str) and c.tag in ("span", "font", "strong", "b", "a")) - 2 * link_chars
        if n < 10:
            continue
        parent = p.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0) + n
            gp = parent.getparent()
            if gp is not None:
                scores[gp] = scores.get(gp, 0) + n / 2
    if not scores:
        return body if count_cjk(text_content(body)) > 0 else None
    return max(scores, key=scores.get)


def _meta_tags(root: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in root.iter("meta"):
        canonical = _META_CANONICAL.get((m.get("name") or "").strip().lower())
        if canonical is None:
            continue  # most <meta> (charset, viewport, keywords of the CMS) name no field we read
        content = " ".join(strip_invisible(m.get("content") or "").split())
        if content:
            out.setdefault(canonical, content)
    return out


_META_CANONICAL = {n.lower(): n for n in _META_NAMES}


def _first_text(root: etree._Element, tag: str) -> str:
    """The text of the first `tag` element (anywhere in the document, as `//tag`) that has some.

    lxml's tag-filtered iter stops at the first hit, where an XPath lists them all over the
    whole page first."""
    for top in _top_elements(root):
        for el in top.iter(tag):
            text = " ".join(text_content(el).split())
            if text:
                return text
    return ""


def _gkmlpt_detail(text: str) -> dict:
    """gkmlpt pages embed the record as JSON in `window._CONFIG = {… DETAIL: {…}}`."""
    m = _GKMLPT.search(text)
    if not m:
        return {}
    try:
        value, _ = json.JSONDecoder().raw_decode(text, m.end() - 1)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
