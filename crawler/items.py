"""The page item: what the spider hands to the storage pipeline, nothing parsed yet."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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
