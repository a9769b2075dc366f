"""Which links are attachments (附件), and of what file type: the normalizer's rule, which the
crawler fetches by too. A module of its own so that the crawl process, which needs only this
rule, does not import the normalizer (lxml's HTML parsing and the structure rules)."""

from __future__ import annotations

import re

# The file types a link must end in to be an attachment (附件) of the page.
ATTACHMENT_TYPES = ("doc", "docx", "pdf", "xls", "xlsx", "wps", "et", "zip", "rar", "7z", "ofd", "ppt", "pptx", "txt",
                    "jpg", "png")
_ATTACH_EXT = re.compile(r"\.(" + "|".join(sorted(ATTACHMENT_TYPES, key=len, reverse=True)) + r")(?:$|[?#])", re.I)

_PARAMS = re.compile(r"[&#]")
_URL_IN_PARAM = re.compile(r"%2F|/|%3A", re.I)


def attachment_ext(href: str, label: str) -> str:
    """The file type of a link that is an attachment (by its URL, else by its text: a download
    script's link says "实施细则.pdf"), or "" for any other link. The crawler fetches by the same rule."""
    if not href or href.startswith(("javascript:", "#", "mailto:")) or ("." not in href and "." not in label):
        return ""  # every file type below is read after a dot: a link with none in its URL or text is no file
    path, _, query = href.partition("?")
    m = _ATTACH_EXT.search(path.partition("#")[0])
    if m is None and query:
        # a download script names its file in a parameter (download.jsp?file=细则.pdf); a share
        # widget carries the whole page URL and its picture (…&pics=https%3A%2F%2F…share.jpg)
        m = next((v for v in (_ATTACH_EXT.search(p) for p in _PARAMS.split(query) if not _URL_IN_PARAM.search(p)) if v),
                 None)
    m = m or _ATTACH_EXT.search(label)
    return m.group(1).lower() if m else ""
