"""Which changes a subscription wants: pure matching over plain facts, no database.

notifications/outbox.py calls this inside the recording transaction, so it imports only pipeline/
(never storage/): the outbox hook can use it without a cycle, and it is testable alone.

A filter list that is empty means "any". Keywords match the document title or the text of the
changed measure (either side, or a metadata value), after width/space normalization, so a
keyword subscription gets only the measures that mention it - unless the title does, in which
case the whole document is of interest. Without `kinds`, every kind but cosmetic is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.schema import ALL_KINDS, DEFAULT_KINDS, DOCUMENT_EVENTS, DOCUMENT_KINDS
from pipeline.text import norm_text

# re-exported: callers import the kind lists from here too (pipeline.schema is their home)
__all__ = ["ALL_KINDS", "DEFAULT_KINDS", "DOCUMENT_EVENTS"]

FILTER_KEYS = ("sites", "publishers", "doc_kinds", "keywords", "kinds")


@dataclass(frozen=True)
class ChangeFacts:
    """What a filter can look at for one change. `text` is computed only if a keyword needs it."""

    site: str
    publisher: str
    doc_kind: str
    document_id: int
    kind: str
    text: Callable[[], str] = field(default=lambda: "", compare=False)  # normalized title + measure text


def keyword_text(
    title: str, measure_texts: Iterable[str], field: str | None, old_value: Any, new_value: Any
) -> str:
    """What keywords are matched against: the title, both sides' measure text (already
    normalized) and, for a metadata change, both values; all normalized alike."""
    parts = [norm_text(title or ""), *measure_texts]
    if field:
        parts += [norm_text(str(old_value or "")), norm_text(str(new_value or ""))]
    return "\n".join(parts)


@dataclass(frozen=True)
class Filters:
    sites: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()  # substring of the publisher (发布机构), width-folded
    doc_kinds: tuple[str, ...] = ()  # notice | opinion | plan | regulation | interpretation | qa | other
    keywords: tuple[str, ...] = ()  # in the title or the changed measure's text
    kinds: tuple[str, ...] = ()  # change kinds; empty: DEFAULT_KINDS
    documents: tuple[int, ...] = ()  # document ids (programmatic use; not in the config file)

    def __post_init__(self) -> None:
        # Normalized once here, not per change: matching runs subscriptions x changes times.
        object.__setattr__(self, "_keys", tuple(k for k in (norm_text(x) for x in self.keywords) if k))
        object.__setattr__(self, "_pubs", tuple(p for p in (norm_text(x) for x in self.publishers) if p))
        object.__setattr__(self, "_kinds", frozenset(self.kinds or DEFAULT_KINDS))

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Filters:
        """From the stored JSON; the step-3 spelling {"terms": [...]} still means keywords."""
        data = data or {}
        return cls(
            sites=tuple(data.get("sites") or ()),
            publishers=tuple(data.get("publishers") or ()),
            doc_kinds=tuple(data.get("doc_kinds") or ()),
            keywords=tuple(data.get("keywords") or data.get("terms") or ()),
            kinds=tuple(data.get("kinds") or ()),
            documents=tuple(data.get("documents") or ()),
        )

    def to_json(self) -> dict[str, list[Any]]:
        out = {k: list(getattr(self, k)) for k in (*FILTER_KEYS, "documents")}
        return {k: v for k, v in out.items() if v}

    @property
    def needs_text(self) -> bool:
        return bool(self._keys)  # type: ignore[attr-defined]

    def matches(self, facts: ChangeFacts) -> bool:
        if facts.kind not in self._kinds:  # type: ignore[attr-defined]
            return False
        if self.sites and facts.site not in self.sites:
            return False
        if self.documents and facts.document_id not in self.documents:
            return False
        if self.doc_kinds and facts.doc_kind not in self.doc_kinds:
            return False
        if self._pubs:  # type: ignore[attr-defined]
            pub = norm_text(facts.publisher)
            if not any(p in pub for p in self._pubs):  # type: ignore[attr-defined]
                return False
        if self._keys:  # type: ignore[attr-defined]
            text = facts.text()
            return any(k in text for k in self._keys)  # type: ignore[attr-defined]
        return True

    def describe(self) -> str:
        """One line for `subscribers list`: what this subscription receives."""
        parts = [f"{k}={','.join(map(str, v))}" for k, v in self.to_json().items()]
        return "; ".join(parts) or "everything but cosmetic"


def check_values(key: str, values: Iterable[Any]) -> list[str]:
    """Validate one filter list from config or CLI; returns it as strings, raises ValueError(why)."""
    if isinstance(values, str):
        values = [values]
    out = []
    for v in values:
        if not isinstance(v, str) or not v.strip():
            raise ValueError("must be a list of non-empty strings")
        v = v.strip()
        if key == "kinds" and v not in ALL_KINDS:
            raise ValueError(f"{v!r} is not a change kind ({', '.join(ALL_KINDS)})")
        if key == "doc_kinds" and v not in DOCUMENT_KINDS:
            raise ValueError(f"{v!r} is not a document kind ({', '.join(DOCUMENT_KINDS)})")
        out.append(v)
    return out
