"""Search: the measures whose text contains a phrase.

One public function, `search`, for the CLI and the web UI alike; how it finds the measures (the
FTS5 / pg_trgm index of storage.search_index, or the scan) stays behind it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pipeline.text import norm_text
from storage import search_index


def search(
    session: Session,
    phrase: str,
    *,
    all_versions: bool = False,
    site: str | None = None,
    offset: int = 0,
    limit: int | None = 100,
) -> list[dict[str, Any]]:
    """Measures whose normalized text contains the phrase (normalized the same way), by document,
    version and reading order, found through the trigram index (`storage.search_index`; phrases
    shorter than three characters are scanned). A phrase with nothing left once normalized
    (spaces, punctuation) is a ValueError: it would match everything.
    """
    needle = norm_text(phrase)  # once: search_index.find takes it as it is
    if not needle:
        raise ValueError("TEXT: empty search phrase")
    return search_index.find(session, needle, all_versions=all_versions, site=site, offset=offset, limit=limit)
