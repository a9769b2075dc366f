"""The listing-family interface and registry: how one CMS platform lists its documents.

A family is a small class registered under its `family = "..."` name. From one list response it
returns the documents the list links (each with what the list itself says about it: title, 文号,
索引号, publisher, dates, attachments), the further list requests that page through the column,
and the counts behind a "0 of N links matched" reason. Its docstring is its documentation
(`policywatch sites families` prints it); its parameters are data (`params`), checked when the
config is loaded.

A family never fetches anything itself and keeps no state between responses: what it needs on
the next list page travels in the request's `meta[STATE]`, so the spider (or `sites try`, or a
test) can drive it with any responses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

STATE = "pw_listing"  # request.meta key of a list request's family state
REGISTRY: dict[str, type[Family]] = {}
DEFAULT_MAX_PAGES = 500  # a safety belt: a column deeper than this is reported truncated

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_CST = timedelta(hours=8)  # the dates government sites print are Beijing dates


@dataclass(frozen=True)
class Param:
    """One parameter a family accepts in `family_params = {...}`.

    kind: "str", "int", "ints" (a list of integers) or "strs" (a list of strings).
    """

    kind: str
    help: str
    default: Any = None


def check_param(param: Param, value: Any) -> str | None:
    """Why `value` does not fit `param`, or None."""
    ok: Callable[[Any], bool] = {
        "str": lambda v: isinstance(v, str) and bool(v.strip()),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
        "ints": lambda v: (
            isinstance(v, list)
            and bool(v)
            and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in v)
        ),
        "strs": lambda v: isinstance(v, list) and bool(v) and all(isinstance(i, str) and i for i in v),
    }[param.kind]
    if ok(value):
        return None
    wanted = {
        "str": "a non-empty string",
        "int": "a positive integer",
        "ints": "a non-empty list of integers",
        "strs": "a non-empty list of strings",
    }[param.kind]
    return f"must be {wanted} (got {value!r})"


@dataclass
class Listed:
    """A document link and what the list says about it. Dates are YYYY-MM-DD."""

    url: str
    title: str = ""
    document_number: str = ""  # 文号
    identifier: str = ""  # 索引号
    publisher: str = ""  # 发布机构
    published: str = ""  # 发布日期
    written: str = ""  # 成文日期
    attachments: list[dict[str, str]] = field(default_factory=list)  # [{name, url, ext}]

    def facts(self) -> dict[str, Any]:
        """The non-empty list facts (no url): what the item carries to storage."""
        return {k: v for k, v in asdict(self).items() if v and k != "url"}


@dataclass
class ListPage:
    """What one list response yields."""

    documents: list[Listed]
    requests: list[scrapy.Request]
    links: int  # candidate links the response holds (the N of "0 of N links matched")
    total: int | None = None  # documents the column says it holds, when it says
    truncated: bool = False  # more pages follow, but max_pages stops here
    sublists: list[scrapy.Request] = field(default_factory=list)  # other columns it links (list_pattern)
    bad_links: list[str] = field(default_factory=list)  # malformed links skipped (one must not end the page)

    @property
    def matched(self) -> int:
        return len(self.documents)

    def reason(self) -> str:
        """One line for `sites try` and the crawl summary when a page lists nothing."""
        return f"{self.matched} of {self.links} links matched"


class Family:
    """Base class. Subclasses set `family` (the config name) and `params`, and implement
    `parse`; `first_requests` and `detect` have defaults."""

    family: ClassVar[str] = ""
    params: ClassVar[dict[str, Param]] = {}
    # detail_pattern when the site sets none: "" takes every link the family finds (an API's
    # items are documents); families that read whole HTML pages need a stricter default
    default_detail: ClassVar[str] = ""
    # every family stops after this many list pages of one column, and says so
    common_params: ClassVar[dict[str, Param]] = {
        "max_pages": Param("int", "list pages followed per column at most", DEFAULT_MAX_PAGES),
    }

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if cls.__dict__.get("family"):
            REGISTRY[cls.family] = cls

    def __init__(self, site: Any):
        """`site`: a policywatch.config.SiteConfig (detail_pattern, link_selector, family_params...)."""
        self.site = site
        given = dict(getattr(site, "family_params", {}) or {})
        self.options: dict[str, Any] = {
            k: given.get(k, p.default) for k, p in {**self.common_params, **self.params}.items()
        }

    @property
    def max_pages(self) -> int:
        """List pages followed per column at most (the html family: next_page.max_pages)."""
        return int(self.options["max_pages"])

    # -- what subclasses provide -------------------------------------------------------------

    def first_requests(self, url: str) -> list[scrapy.Request]:
        """The requests a start URL begins with (by default: the URL itself, page 0)."""
        return [self.request(url, root=url, page=0)]

    def parse(self, response: Response) -> ListPage:
        raise NotImplementedError

    def on_error(self, request: scrapy.Request) -> list[scrapy.Request]:
        """Requests to try when a list request failed (a fallback path), by default none."""
        return []

    @classmethod
    def detect(cls, url: str, text: str) -> dict[str, Any] | None:
        """The family's parameters if `text` (the start URL's body) is one of its pages, else None."""
        return None

    # -- helpers -----------------------------------------------------------------------------

    def request(self, url: str, *, root: str, page: int, **state: Any) -> scrapy.Request:
        """A list request carrying its state; `method`, `body`, `headers` go to the Request."""
        kw = {k: state.pop(k) for k in ("method", "body", "headers") if k in state}
        return scrapy.Request(url, meta={STATE: {"root": root, "page": page, **state}}, **kw)

    @staticmethod
    def state(response: Response) -> dict[str, Any]:
        return dict(response.meta.get(STATE) or {"root": response.url, "page": 0})

    def matches(self, url: str) -> bool:
        pattern = getattr(self.site, "detail_pattern", None)
        return pattern is None or bool(pattern.search(url))

    def page(self, found: Iterable[Listed], links: int, **kw: Any) -> ListPage:
        """A ListPage of the documents `found` that the site keeps (see keep), malformed ones noted."""
        bad: list[str] = []
        return ListPage(self.keep(found, bad), [], links, bad_links=bad, **kw)

    def keep(self, docs: Iterable[Listed], bad: list[str] | None = None) -> list[Listed]:
        """Documents whose URL the site's detail_pattern accepts, each URL once; a malformed
        URL (a bad port, as Scrapy would reject later) goes to `bad` instead."""
        seen: set[str] = set()
        out = []
        for d in docs:
            if not d.url or d.url in seen or not self.matches(d.url):
                continue
            if not well_formed(d.url):
                if bad is not None:
                    bad.append(d.url)
                continue
            seen.add(d.url)
            out.append(d)
        return out


# -- shared parsing --------------------------------------------------------------------------


def well_formed(url: str) -> bool:
    try:
        urlsplit(url).port  # noqa: B018 - raises on a bad port
    except ValueError:
        return False
    return True


def iso_date(text: Any) -> str:
    """YYYY-MM-DD from "2025-10-29", "2025/1/7 09:00", "2025年1月7日" or an epoch (s or ms); "" if none."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        if text <= 0:
            return ""
        seconds = text / 1000 if text > 10**11 else text
        return (datetime.fromtimestamp(seconds, UTC) + _CST).strftime("%Y-%m-%d")
    if isinstance(text, str) and text.strip().isdigit() and len(text.strip()) >= 9:
        return iso_date(int(text.strip()))
    m = _DATE.search(str(text or ""))
    if not m:
        return ""
    y, mo, d = (int(g) for g in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return ""
    return f"{y:04d}-{mo:02d}-{d:02d}"


def clean(text: Any) -> str:
    """One line of text: whitespace runs collapsed (list titles wrap and indent)."""
    return " ".join(str(text or "").split())


def attachment(name: str, url: str) -> dict[str, str]:
    from pipeline.attachment_links import attachment_ext  # the normalizer's rule for a file's type

    return {"name": clean(name), "url": url, "ext": attachment_ext(url, name) or ""}
