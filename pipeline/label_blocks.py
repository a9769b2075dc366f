"""The 政府信息公开 label block outside the body: the smallest boxes around label words
(索引号, 发布机构, 成文日期…), read as lines for the metadata layer."""

from __future__ import annotations

import re

from lxml import etree

from pipeline.html_blocks import element_blocks, text_content

# Words that open a metadata block (spaced out as some templates print them: 索 引 号), and the
# byline under the title (日期：… 来源：…, 发布时间：…).
_LABEL_WORD = re.compile(
    "|".join(r"[\s\u3000]*".join(w) for w in ("索引号", "文号", "发布机构", "发文机关", "发布机关", "成文日期", "发文日期",
                                                "生成日期", "发布日期", "发布时间", "公开日期", "责任部门", "有效性",
                                                "文件状态", "主题分类"))
    + r"|(?<![\u4e00-\u9fff])日期[:：]"
)
_NOT_TEXT = frozenset(("script", "style"))
# the first characters of the label words: one character class rules out most texts at C speed,
# where the alternation above is tried at every position (5x slower over a page's text nodes)
_LABEL_FIRST = re.compile("[索文发成生公责有主日]")


def _has_label_word(text: str) -> bool:
    return _LABEL_FIRST.search(text) is not None and _LABEL_WORD.search(text) is not None


def _top_elements(root: etree._Element) -> list[etree._Element]:
    """The document's top-level elements, as `//` XPaths see them: a broken page can leave a
    second <html> beside the root (libxml2 keeps it as a sibling), and its body counts."""
    tops = [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]
    return [top for top in tops if isinstance(top.tag, str)]


def _label_holders(root: etree._Element, skip: etree._Element | None = None) -> list[etree._Element]:
    """Where the text nodes holding a label word hang, in document order: the element for its
    leading text, the element before it for a tail (as lxml's text.getparent() says). The subtree
    of `skip` (the body) is passed over: its holders, its own tail included, lie inside it.

    One preorder walk (lxml's iter costs a quarter of iterwalk's start/end events) with a regex
    per text; where a tail stands in document order, just before the next node outside its
    element, is worked out for the few hits only. The `//*/text()[contains(.,…) or …]` XPath this
    replaced copied every text node ten times (~90 µs on a small page). The body is never walked:
    the walk stops at it and resumes with the siblings after it and after each of its ancestors,
    the preorder index jumping by its size (one bare count, where the walk read each text).
    """
    hits: list[tuple[tuple[int, int, int], etree._Element]] = []
    i = 0  # preorder index over all top-level elements (comments and PIs count)
    for top in _top_elements(root):
        if skip is None or not _inside(skip, top):
            i = _scan(top.iter(), i, hits, None)
            continue
        i = _scan(top.iter(), i, hits, skip) + _subtree_size(skip)
        node = skip
        while node is not top:
            for sibling in node.itersiblings():
                i = _scan(sibling.iter(), i, hits, None)
            node = node.getparent()
    hits.sort(key=lambda hit: hit[0])
    return [el for _, el in hits]


def _scan(elements, i: int, hits: list, stop: etree._Element | None) -> int:
    """Note the label-word texts and tails of `elements` (preorder, the first at index i) up to
    `stop`; the index after the last one seen."""
    first, word = _LABEL_FIRST.search, _LABEL_WORD.search
    for el in elements:
        if el is stop:
            break
        # the tag first: a script's or style's text (most of a page's characters) and a comment's
        # or PI's (its content; its tag is no str) are never read, nor searched
        tag = el.tag
        if type(tag) is str and tag not in _NOT_TEXT:
            text = el.text
            if text and not text.isspace() and first(text) is not None and word(text) is not None:
                hits.append(((i, 1, 0), el))
        tail = el.tail  # most tails are the indentation between tags: no label word in a space
        if tail and not tail.isspace() and first(tail) is not None and word(tail) is not None:
            parent = el.getparent()  # the text node's own parent
            if parent is not None and parent.tag not in _NOT_TEXT:
                # after el's subtree, before the next node; of tails ending at one place, the deeper first
                hits.append(((i + _subtree_size(el), 0, -_depth(el)), el))
        i += 1
    return i


def _subtree_size(el: etree._Element) -> int:
    """How many nodes el.iter() yields: el, and its elements, comments and PIs below."""
    return sum(1 for _ in el.iter())


def _depth(el: etree._Element) -> int:
    n = 0
    while (el := el.getparent()) is not None:
        n += 1
    return n


def _outside_lines(root: etree._Element, body_el: etree._Element) -> list[str]:
    """Text lines of the metadata blocks: the smallest boxes around label words, outside the body.

    Walking only those boxes, not the whole page, keeps metadata reading cheap on 500 KB pages.
    """
    boxes: list[etree._Element] = []
    for el in _label_holders(root, body_el):
        if _inside(el, body_el):
            continue
        box = el
        for _ in range(4):  # climb to the table/list that holds the label and its value
            parent = box.getparent()
            if parent is None or _inside(body_el, parent) or len(text_content(parent)) > 3000:
                break
            box = parent
        if not any(box is b or _inside(box, b) for b in boxes):
            boxes = [b for b in boxes if not _inside(b, box)] + [box]
    lines: list[str] = []
    for box in boxes:
        for b in element_blocks(box):
            if b.table is not None:
                # a metadata block is usually a table: one line per cell keeps label and value adjacent
                lines.extend(cell for row in b.table.rows for cell in row if cell)
            elif b.text:
                lines.append(b.text)
    return lines


def _inside(el: etree._Element, container: etree._Element) -> bool:
    """True when `el` is `container` or lies below it."""
    while el is not None:
        if el is container:
            return True
        el = el.getparent()
    return False
