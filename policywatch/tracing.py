"""The trace of a stored local document against the document it implements (pipeline/trace.py),
for the CLI (`policywatch trace`) and the web UI.

The source is the one named (`--source`), else the cited document the local text implements
(`pipeline.citations.implements` over its stored citation edges: the one its title names, the
one it cites as its basis, else the first it cites).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from pipeline.citations import Citation, implements
from pipeline.schema import Document as Doc
from pipeline.schema import Reference
from pipeline.trace import Trace, trace
from storage.citations import cites
from storage.models import Document, Version
from storage.read.common import N_, NotFound


@dataclass
class TraceResult:
    local: Document
    source: Document
    trace: Trace
    chosen_by: str  # given | implements


def _latest(session: Session, row: Document) -> Doc:
    v = session.get(Version, row.latest_version_id) if row.latest_version_id else None
    if v is None:
        raise NotFound(N_("DOC %(id)s: no stored version"), id=row.id)
    return Doc.from_dict(v.normalized)


def trace_stored(session: Session, local: Document, source: Document | None = None) -> TraceResult:
    """Trace `local` against `source`, or the document it implements; NotFound (a LookupError:
    its English text for the CLI, its msgid for the web page's language) when it cites no
    watched document and none is given."""
    local_doc = _latest(session, local)
    chosen = "given"
    if source is None:
        edges = [Citation(Reference(title=c["title"], doc_number=c["doc_number"]), str(c["cited"]["id"]),
                          c["matched_by"]) for c in cites(session, local.id) if c["cited"]]
        hit = implements(local_doc, edges)
        if hit is None:
            raise NotFound(
                N_("DOC %(id)s: cites no watched document; name the one it implements (--source DOC; on the web ?source=DOC)"),
                id=local.id,
            )
        source, chosen = session.get(Document, int(hit.doc_id)), "implements"
    return TraceResult(local, source, trace(_latest(session, source), local_doc), chosen)
