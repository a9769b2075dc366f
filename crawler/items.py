"""The items the spider hands to the storage pipeline: pages (nothing parsed yet) and, for sites
that opt in, the attachments they link (hashed, not kept)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class PageItem:
    url: str
    status: int
    body: bytes
    site: str
    fetched_at: datetime
    headers: dict[str, str] = field(default_factory=dict)
    cached: bool = False  # the HTTP cache revalidated it: the server answered 304
    encoding: str | None = None  # what Scrapy decoded it as (after CharsetFixMiddleware)
    list_facts: dict[str, Any] = field(default_factory=dict)  # what the listing said (crawler.listings.Listed)


@dataclass
class AttachmentItem:
    url: str
    page_url: str  # the detail page that linked it
    name: str  # the link text
    sha256: str
    size: int
    fetched_at: datetime
    content_type: str | None = None
