"""What the write side takes and gives: a fetched Page, the Steps it runs, the RecordResult.

Storage stores; it does not decide how a page is read or who hears of a change. Those are
the Steps the caller composes (policywatch.flow): `normalize` (bytes to a Document),
`compare` (two Documents to a ChangeSet) and `on_changes` (what to do with the change rows
just flushed, in the same transaction: the outbox). Storage imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pipeline.schema import ChangeSet
from pipeline.schema import Document as Doc

if TYPE_CHECKING:  # not at run time: a writer process is spawned before SQLAlchemy is imported (crawler.launch)
    from sqlalchemy.orm import Session

    from storage.models import ChangeRow, Document

OnChanges = Callable[["Session", "Document", Sequence["ChangeRow"]], Any]
Normalizer = Callable[..., Doc]  # (body, *, url, headers, filename) -> Document
Comparer = Callable[[Doc, Doc], ChangeSet]

GONE = (404, 410)
NOT_MODIFIED = 304


@dataclass(frozen=True)
class Steps:
    """The processing a write runs, passed in: storage calls these and nothing else."""

    normalize: Normalizer
    compare: Comparer
    on_changes: OnChanges | None = None  # None: the changes are stored and told to nobody


@dataclass
class Page:
    """A fetched page, as the crawler (or a test) hands it over."""

    url: str
    body: bytes | str | None = None
    site: str = ""
    status: int = 200
    headers: dict[str, str] | None = None
    fetched_at: datetime | None = None
    filename: str = ""  # format hint for .md/.txt sources
    document: Doc | None = None  # already normalized (reprocess, benchmarks)
    crawl_run_id: int | None = None
    list_facts: dict[str, Any] | None = None  # what the site's listing said (the crawler's writer uses it)
    # The server answered 304 Not Modified. The crawler's HTTP cache then hands over the body it
    # stored (status 200): the page is recorded as that fetch if the database does not know it.
    revalidated: bool = False

    @property
    def not_modified(self) -> bool:
        return self.revalidated or self.status == NOT_MODIFIED


@dataclass
class RecordResult:
    # new | changed | unchanged | withdrawn | gone (404 of a page never stored or already
    # withdrawn) | unusable | unknown (a 304 without a body for a page the database does not store)
    outcome: str
    document_id: int | None = None
    version_id: int | None = None
    seq: int | None = None
    changes: int = 0
    reason: str = ""  # why a page was not stored (the normalizer's quality.reason, or the unknown 304)
