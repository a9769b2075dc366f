"""What a list said about a document, put into the normalized Document where the page is silent.

The page itself is the authority: a field its normalizer found is kept as it is, and the list
only fills the fields left empty (a gkmlpt article's 文号 on a detail page whose table lost it,
a dataproxy row's date on an /art/ page without one). The flag `list_facts` (and its count in
`quality.stats`) says some came from the list, so a reader of the stored version can tell.

Not in crawler/listings/: it runs in the writer processes, which the listings package would
make import Scrapy and Twisted (half a second and 20 MB each) for these few lines.
"""

from __future__ import annotations

from typing import Any

from pipeline.metadata import normalize_doc_number
from pipeline.schema import Attachment, Document

# list fact -> Document field
FIELDS = {
    "title": "title",
    "document_number": "doc_number_raw",
    "identifier": "index_number",
    "publisher": "publisher",
    "published": "published_date",
    "written": "written_date",
}


def apply(doc: Document, facts: dict[str, Any] | None) -> Document:
    """`doc` with its empty metadata filled from the list's `facts` (Listed.facts())."""
    if not facts or not doc.quality.usable():
        return doc
    filled = []
    for key, name in FIELDS.items():
        value = facts.get(key)
        if isinstance(value, str) and value and not getattr(doc, name):
            setattr(doc, name, value)
            filled.append(name)
    if "doc_number_raw" in filled and not doc.doc_number:
        doc.doc_number = normalize_doc_number(doc.doc_number_raw)
    files = [f for f in facts.get("attachments") or [] if isinstance(f, dict) and f.get("url")]
    if files and not doc.attachments:
        doc.attachments = [
            Attachment(str(f.get("name") or ""), str(f["url"]), str(f.get("ext") or "")) for f in files
        ]
        filled.append("attachments")
    if filled:
        doc.quality.flags.append("list_facts")
        doc.quality.stats["list_facts"] = float(len(filled))
    return doc
