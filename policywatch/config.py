"""`policywatch.toml`: the monitored sites and the database.

```toml
[database]
url = "sqlite:///policywatch.db"        # optional; else $POLICYWATCH_DATABASE_URL, else ./policywatch.db

[[sites]]
name = "zhaoqing"
start_urls = ["https://www.zhaoqing.gov.cn/gkmlpt/index.html"]
link_selector = "ul.list a::attr(href)"   # CSS selector for links on a list page (default: every <a href>)
detail_pattern = "/content/post_\\d+\\.html$"   # regex: which links are policy pages
list_pattern = "/index(_\\d+)?\\.html$"  # optional regex: links that are further list pages
next_page = { static = "index_{n}.html", max_pages = 50 }   # or { script = "createPageHTML" }
                                           # or { selector = "a.next::attr(href)" }
encoding = "gb18030"                       # optional: force a charset the site lies about
schedule = { cron = "0 6 * * *" }          # optional: or { interval_minutes = 360 }
settings = { DOWNLOAD_DELAY = 2 }          # optional Scrapy setting overrides for this site
attachments = true                         # optional: fetch linked .doc/.docx/.pdf/.xls/.xlsx files and
                                           # record their size and hash; or a list, ["pdf", "ofd"]
family = "gkmlpt"                          # optional listing family (crawler/listings/), default "html";
family_params = { categories = [1411] }    # its parameters; detail_pattern is then optional
render = "browser"                         # optional: list pages rendered in headless Chromium (lists
                                           # built by JavaScript, JS cookie challenges); default "http"
render_details = true                      # optional, with render = "browser": detail pages too
```

Every mistake is a UsageError naming the file, the site and the key: an operator edits this
file by hand and must be told exactly which line to fix.
"""

from __future__ import annotations

import importlib.util
import os
import re
import string
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policywatch.config_checks import check_cron, check_interval, check_scrapy_settings
from policywatch.errors import UsageError

ENV_VAR = "POLICYWATCH_CONFIG"
DEFAULT_FILE = "policywatch.toml"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # a site name is used in job ids and file names

SITE_KEYS = {
    "title",
    "name",
    "start_urls",
    "link_selector",
    "detail_pattern",
    "list_pattern",
    "next_page",
    "encoding",
    "schedule",
    "settings",
    "allowed_domains",
    "attachments",
    "family",
    "family_params",
    "render",
    "render_details",
}
RENDER_MODES = ("http", "browser")  # "browser": crawler/browser.py (scrapy-playwright)
# Fetched when a site sets `attachments = true`: the office formats policies attach.
ATTACHMENT_EXTENSIONS = ("doc", "docx", "pdf", "xls", "xlsx")
PAGINATION_KINDS = ("static", "script", "selector")


@dataclass(frozen=True)
class NextPage:
    """How a list page leads to the next one.

    static:   "index_{n}.html" relative to the first list page, n = 1, 2, ... until a page fails
              or lists nothing new (sites rarely say how many pages there are);
    script:   the TRS `createPageHTML(total, current, "index", "html")` call, which states the count;
    selector: a CSS selector for the "next" link.
    """

    kind: str
    value: str
    max_pages: int = 50


@dataclass(frozen=True)
class Schedule:
    cron: str | None = None
    interval_minutes: int | None = None


@dataclass(frozen=True)
class SiteConfig:
    name: str
    start_urls: tuple[str, ...]
    detail_pattern: re.Pattern[str]
    link_selector: str = "a::attr(href)"
    list_pattern: re.Pattern[str] | None = None
    next_page: NextPage | None = None
    encoding: str | None = None
    schedule: Schedule | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    allowed_domains: tuple[str, ...] = ()
    attachments: tuple[str, ...] = ()  # extensions of linked files to fetch; () fetches none
    family: str = "html"  # the listing family (crawler/listings/) that reads its list pages
    family_params: dict[str, Any] = field(default_factory=dict)
    render: str = "http"  # or "browser": list pages through headless Chromium
    render_details: bool = False  # with render = "browser": detail pages through it too
    title: str | None = None  # the name a person reads (肇庆市人民政府); `name` stays the id


# Top-level tables. [database] and [[sites]] are parsed here; the others belong to the package
# that uses them and are parsed there from `Config.tables` (notifications: subscriptions, smtp,
# digest, web; scheduler: crawl, scheduler, operator; policywatch.i18n: ui), so each section's rules
# live beside its code.
DATABASE_KEYS = {"url"}
TOP_KEYS = ("database", "sites", "subscriptions", "smtp", "digest", "crawl", "scheduler", "operator", "ui", "web")


@dataclass(frozen=True)
class Config:
    path: Path
    sites: tuple[SiteConfig, ...]
    database_url: str | None = None
    tables: dict[str, Any] = field(default_factory=dict)  # the raw TOML of the other top-level keys
    ui_language: str | None = None  # [ui] language, checked (policywatch.i18n picks with it)
    ui_timezone: str = "Asia/Shanghai"  # the zone of every time shown to a person (i18n.config_timezone)

    def site(self, name: str) -> SiteConfig:
        for s in self.sites:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sites) or "none"
        raise UsageError(f"{self.path}: no site named {name!r} (sites: {known})")


def config_path(value: str | os.PathLike[str] | None = None) -> Path:
    """--config value, else $POLICYWATCH_CONFIG, else ./policywatch.toml."""
    return Path(value or os.environ.get(ENV_VAR) or DEFAULT_FILE).expanduser().resolve()


def load(value: str | os.PathLike[str] | None = None) -> Config:
    path = config_path(value)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read ({e})") from e
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: not valid TOML ({e})") from e
    return parse(data, path)


def parse(data: dict[str, Any], path: Path) -> Config:
    unknown = sorted(set(data) - set(TOP_KEYS))
    if unknown:
        raise UsageError(f"{path}: {unknown[0]}: unknown top-level key (known: {', '.join(TOP_KEYS)})")
    db = data.get("database", {})
    if not isinstance(db, dict):
        raise UsageError(f"{path}: [database] must be a table")
    extra = sorted(set(db) - DATABASE_KEYS)
    if extra:
        known = ", ".join(sorted(DATABASE_KEYS))
        raise UsageError(f"{path}: [database] {extra[0]}: unknown key (known: {known})")
    url = db.get("url")
    if url is not None and (not isinstance(url, str) or not url.strip()):
        raise UsageError(f"{path}: [database] url must be a non-empty string")
    raw_sites = data.get("sites", [])
    if not isinstance(raw_sites, list):
        raise UsageError(f"{path}: sites must be an array of tables ([[sites]])")
    sites: list[SiteConfig] = []
    for i, raw in enumerate(raw_sites, 1):
        site = _site(raw, path, i)
        if any(s.name == site.name for s in sites):
            raise UsageError(f"{path}: site {site.name!r}: name is used twice")
        sites.append(site)
    tables = {k: v for k, v in data.items() if k not in ("database", "sites")}
    from policywatch.i18n import config_language, config_timezone

    language = config_language(tables, str(path))
    zone = config_timezone(tables, str(path))
    return Config(
        path=path, sites=tuple(sites), database_url=url, tables=tables, ui_language=language, ui_timezone=zone
    )


def _site(raw: Any, path: Path, index: int) -> SiteConfig:
    where = f"{path}: site #{index}"
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: must be a table")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise UsageError(f"{where}: name must be letters, digits, '_', '-' or '.' (got {name!r})")
    where = f"{path}: site {name!r}"

    def err(key: str, why: str) -> UsageError:
        return UsageError(f"{where}: {key}: {why}")

    unknown = sorted(set(raw) - SITE_KEYS)
    if unknown:
        raise err(unknown[0], f"unknown key (known: {', '.join(sorted(SITE_KEYS))})")

    starts = raw.get("start_urls")
    if isinstance(starts, str):
        starts = [starts]
    if not starts or not isinstance(starts, list) or not all(isinstance(u, str) for u in starts):
        raise err("start_urls", "must be a non-empty list of URLs")
    for u in starts:
        if not re.match(r"^https?://[^/\s]+", u):
            raise err("start_urls", f"{u!r} is not an http(s) URL")

    selector = raw.get("link_selector", "a::attr(href)")
    if not isinstance(selector, str) or not selector.strip():
        raise err("link_selector", "must be a CSS selector string")
    _check_selector(selector, err("link_selector", f"{selector!r} is not a valid CSS selector"))

    family, family_params, default_detail = _family(raw, err)
    if "detail_pattern" not in raw and default_detail is None:
        raise err("detail_pattern", "is required (a regex matching policy page URLs)")
    detail = _regex(raw["detail_pattern"], err, "detail_pattern") if "detail_pattern" in raw else re.compile(
        default_detail or ""
    )
    list_pattern = _regex(raw["list_pattern"], err, "list_pattern") if "list_pattern" in raw else None

    encoding = raw.get("encoding")
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(str(encoding))
        except LookupError:
            raise err("encoding", f"{encoding!r} is not a known charset") from None

    settings = check_scrapy_settings(raw.get("settings", {}), lambda why: err("settings", why))

    domains = raw.get("allowed_domains", [])
    if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
        raise err("allowed_domains", "must be a list of host names")

    render = raw.get("render", "http")
    if render not in RENDER_MODES:
        raise err("render", f'must be "http" or "browser" (got {render!r})')
    render_details = raw.get("render_details", False)
    if not isinstance(render_details, bool):
        raise err("render_details", "must be true or false")
    if render == "browser" and importlib.util.find_spec("scrapy_playwright") is None:
        raise err("render", "\"browser\" needs scrapy-playwright (pip install 'policywatch[browser]')")
    if render_details and render != "browser":
        raise err("render_details", 'needs render = "browser" (detail pages are rendered by the browser)')

    title = raw.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip() or len(title) > 200):
        raise err("title", "must be a non-empty string of at most 200 characters")

    return SiteConfig(
        name=name,
        title=title.strip() if title else None,
        start_urls=tuple(starts),
        detail_pattern=detail,
        link_selector=selector,
        list_pattern=list_pattern,
        next_page=_next_page(raw.get("next_page"), err),
        encoding=encoding,
        schedule=_schedule(raw.get("schedule"), err),
        settings=dict(settings),
        allowed_domains=tuple(domains),
        attachments=_attachments(raw.get("attachments", False), err),
        family=family,
        family_params=family_params,
        render=render,
        render_details=render_details,
    )


def _family(raw: dict[str, Any], err: Callable[[str, str], UsageError]) -> tuple[str, dict[str, Any], str | None]:
    """`family` and `family_params` checked against the family's declared parameters:
    (name, params, the detail_pattern to use when the site sets none — None: it must)."""
    name = raw.get("family", "html")
    params = raw.get("family_params", {})
    if name == "html" and not params:
        return "html", {}, None  # the default: no need to import Scrapy to load a config
    from crawler.listings import REGISTRY
    from crawler.listings.base import check_param

    if not isinstance(name, str) or name not in REGISTRY:
        raise err("family", f"{name!r} is no listing family (known: {', '.join(sorted(REGISTRY))})")
    cls = REGISTRY[name]
    if not isinstance(params, dict):
        raise err("family_params", "must be a table, e.g. { categories = [1411] }")
    known = {**cls.common_params, **cls.params}
    for key, value in params.items():
        if key not in known:
            raise err(f"family_params.{key}", f"unknown for {name} (known: {', '.join(sorted(known)) or 'none'})")
        why = check_param(known[key], value)
        if why:
            raise err(f"family_params.{key}", why)
    return name, dict(params), (None if name == "html" else cls.default_detail)


def _regex(value: Any, err, key: str) -> re.Pattern[str]:
    if not isinstance(value, str) or not value:
        raise err(key, "must be a non-empty regex string")
    try:
        return re.compile(value)
    except re.error as e:
        raise err(key, f"{value!r} is not a valid regex ({e})") from e


def _check_selector(selector: str, error: UsageError) -> None:
    """A typo fails at load time. Checked as Scrapy's selectors (parsel) would translate it, with
    cssselect, which parsel is built on: importing parsel itself cost every CLI start 0.2 s."""
    from cssselect import HTMLTranslator, SelectorError, parse
    from cssselect.parser import FunctionalPseudoElement

    try:
        for sel in parse(selector):
            pseudo = sel.pseudo_element  # parsel's two: ::text and ::attr(name)
            if isinstance(pseudo, FunctionalPseudoElement):
                if pseudo.name != "attr" or pseudo.argument_types() not in (["STRING"], ["IDENT"]):
                    raise error
            elif pseudo not in (None, "text"):
                raise error
            HTMLTranslator().selector_to_xpath(sel)
    except SelectorError as e:
        raise error from e


def _attachments(value: Any, err: Callable[[str, str], UsageError]) -> tuple[str, ...]:
    from pipeline.attachment_links import ATTACHMENT_TYPES  # what the normalizer calls an attachment

    if isinstance(value, bool):
        return ATTACHMENT_EXTENSIONS if value else ()
    if not isinstance(value, list) or not all(isinstance(e, str) for e in value):
        raise err("attachments", 'must be true, false or a list of file extensions like ["pdf", "docx"]')
    types = {e.lstrip(".").lower() for e in value}
    unknown = sorted(types - set(ATTACHMENT_TYPES))
    if unknown:
        raise err("attachments", f"{unknown[0]!r} is no attachment type (known: {', '.join(ATTACHMENT_TYPES)})")
    return tuple(sorted(types))


def _next_page(value: Any, err) -> NextPage | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise err("next_page", 'must be a table, e.g. { static = "index_{n}.html" }')
    kinds = [k for k in PAGINATION_KINDS if k in value]
    extra = sorted(set(value) - {*PAGINATION_KINDS, "max_pages"})
    if extra:
        raise err(f"next_page.{extra[0]}", f"unknown key (known: {', '.join(PAGINATION_KINDS)}, max_pages)")
    if len(kinds) != 1:
        raise err("next_page", f"needs exactly one of {', '.join(PAGINATION_KINDS)}")
    kind = kinds[0]
    rule = value[kind]
    if not isinstance(rule, str) or not rule:
        raise err(f"next_page.{kind}", "must be a non-empty string")
    if kind == "static":
        _check_static(rule, err)
    if kind == "selector":
        _check_selector(rule, err("next_page.selector", f"{rule!r} is not a valid CSS selector"))
    max_pages = value.get("max_pages", 50)
    if not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 1:
        raise err("next_page.max_pages", "must be a positive integer")
    return NextPage(kind, rule, max_pages)


def _check_static(rule: str, err) -> None:
    """`{n}` is the one placeholder: anything else fails at the second list page, mid-crawl,
    and a listing cut there looks complete enough to be believed."""
    why = ""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(rule) if f is not None]
    except ValueError as e:  # a lone brace
        why = f"{rule!r} is not a page pattern ({e}; write {{{{ and }}}} for literal braces)"
    else:
        other = sorted({f for f in fields if f != "n"})
        if other:
            why = f"{rule!r}: unknown placeholder {{{other[0]}}} (only {{n}}, the page number, is known)"
        elif "n" not in fields:
            why = f"{rule!r} has no {{n}} for the page number"
        else:
            try:
                rule.format(n=1)
            except (ValueError, TypeError) as e:  # a format spec an int cannot take: {n:s}
                why = f"{rule!r}: {{n}} cannot be formatted ({e})"
    if why:
        raise err("next_page.static", why)


def _schedule(value: Any, err) -> Schedule | None:
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) != 1 or not ({"cron", "interval_minutes"} & set(value)):
        raise err("schedule", 'must be { cron = "m h dom mon dow" } or { interval_minutes = N }')
    if "cron" in value:
        return Schedule(cron=check_cron(value["cron"], lambda why: err("schedule.cron", why)))
    minutes = value["interval_minutes"]
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 1:
        raise err("schedule.interval_minutes", "must be a positive integer")
    check_interval(minutes * 60, lambda why: err("schedule.interval_minutes", f"{minutes}: {why}"))
    return Schedule(interval_minutes=minutes)
