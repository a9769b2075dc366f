"""Query and path parameters, declared once: each declaration checks the request (pages, API and
feeds alike) and describes itself in the OpenAPI description (policywatch.web.openapi reads the
declarations a route names with `declare`).

Bad input is a 400 (malformed: a date that is not a date, a page that is not a number) or a 404
(well-formed but unknown: a document id, a version, a site) with a one-line message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import abort, request
from flask_babel import gettext as _

from pipeline.schema import ALL_KINDS as KINDS
from policywatch.web import times
from storage.read import common as common_read

ID_DIGITS = 40  # more digits than any id column holds (the column's own bound: storage.bounds)
MAX_PAGE = 10_000
PER_PAGE = 50
MAX_PER_PAGE = 200
NO_NUL = "^[^\\x00]*$"


def _text(name: str, value: str | None, limit: int = 500) -> str | None:
    if value is None:
        return None
    if "\x00" in value:
        abort(400, _("%(name)s: contains a NUL character", name=name))
    if len(value) > limit:
        abort(400, _("%(name)s: longer than %(limit)s characters", name=name, limit=limit))
    return value.strip() or None


@dataclass(frozen=True)
class Param:
    """One parameter: its name, where it is, what it means (the OpenAPI description), and the
    statuses a bad value of it answers with."""

    name: str
    description: str

    where = "query"
    required = False

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def errors(self) -> dict[int, str]:
        return {400: f"{self.name}: malformed"}

    def spec(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            "in": self.where,
            "required": self.required or self.where == "path",
            "schema": self.schema(),
            "description": self.description,
        }
        if self.where == "query" and not self.required:
            out["allowEmptyValue"] = True  # an empty form field means "not given"
        return out


@dataclass(frozen=True)
class Int(Param):
    default: int = 1
    lo: int = 1
    hi: int = MAX_PAGE

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.lo, "maximum": self.hi, "default": self.default}

    def errors(self) -> dict[int, str]:
        return {400: f"{self.name}: not a whole number from {self.lo} to {self.hi}"}

    def get(self, default: int | None = None) -> int:
        raw = request.args.get(self.name)
        if raw is None or raw == "":
            return self.default if default is None else default
        try:
            value = int(raw.strip())
        except ValueError:
            abort(400, _("%(name)s: %(raw)s is not a whole number", name=self.name, raw=repr(raw[:40])))
        if not self.lo <= value <= self.hi:
            abort(400, _("%(name)s: must be between %(lo)s and %(hi)s", name=self.name, lo=self.lo, hi=self.hi))
        return value


@dataclass(frozen=True)
class Text(Param):
    limit: int = 200

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "maxLength": self.limit, "pattern": NO_NUL}

    def errors(self) -> dict[int, str]:
        return {400: f"{self.name}: contains a NUL character or is longer than {self.limit} characters"}

    def get(self) -> str | None:
        return _text(self.name, request.args.get(self.name), self.limit)


@dataclass(frozen=True)
class Phrase(Text):
    """A text that must be given (the search phrase)."""

    required = True

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "minLength": 1, **super().schema()}

    def errors(self) -> dict[int, str]:
        return {400: f"{self.name}: not given, contains a NUL character or is longer than {self.limit} characters"}

    def get(self, required: bool = True) -> str | None:
        if required and not request.args.get(self.name):
            abort(400, _("%(name)s: give a phrase to search for", name=self.name))
        return super().get()


@dataclass(frozen=True)
class Bool(Param):
    def schema(self) -> dict[str, Any]:
        return {"type": "boolean", "default": False}

    def errors(self) -> dict[int, str]:
        return {400: f"{self.name}: not true or false"}

    def get(self) -> bool:
        raw = (request.args.get(self.name) or "").strip().lower()
        if raw in ("", "0", "false", "no", "off"):
            return False
        if raw in ("1", "true", "yes", "on"):
            return True
        abort(400, _("%(name)s: expected true or false", name=self.name))


@dataclass(frozen=True)
class Date(Param):
    """YYYY-MM-DD or an ISO datetime. With `end`, a bare day means up to the end of it.

    The API's days are UTC days (its times are UTC, with the offset); with `local` (the pages and
    the feeds, which show times in the configured zone) a day, and a datetime without an offset,
    are the configured zone's: since=2026-12-02 in Asia/Shanghai starts at 2026-12-01 16:00 UTC.
    A datetime with an offset is that instant either way.
    """

    end: bool = False
    local: bool = False

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date"}

    def errors(self) -> dict[int, str]:
        return {400: f"{self.name}: not a date (YYYY-MM-DD)"}

    def get(self) -> datetime | None:
        raw = _text(self.name, request.args.get(self.name), 40)
        if raw is None:
            return None
        try:
            when = common_read.parse_date(raw, self.name)
        except ValueError:
            abort(400, _("%(name)s: %(raw)s is not a date (YYYY-MM-DD)", name=self.name, raw=repr(raw)))
        try:
            if self.end and len(raw) == 10:
                when += timedelta(days=1)
            if self.local and (len(raw) == 10 or datetime.fromisoformat(raw).tzinfo is None):
                when = times.stored(when)  # the zone's wall-clock time, as the naive UTC storage keeps
        except OverflowError:  # beyond the calendar: no bound at that end
            return None if self.end else datetime.min
        return when


@dataclass(frozen=True)
class Kinds(Param):
    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(KINDS)}

    def errors(self) -> dict[int, str]:
        return {400: f"{self.name}: an unknown change kind"}

    def get(self) -> list[str]:
        kinds = [k.strip() for v in request.args.getlist(self.name) for k in v.split(",") if k.strip()]
        for k in kinds:
            if k not in KINDS:
                abort(400, _("kind: unknown kind %(kind)s (one of %(kinds)s)", kind=repr(k[:40]), kinds=", ".join(KINDS)))
        return kinds


@dataclass(frozen=True)
class Version(Param):
    """A version number as `policywatch diff` takes it (1 = first, -1 = latest)."""

    def schema(self) -> dict[str, Any]:
        return {"type": "integer"}

    def errors(self) -> dict[int, str]:
        return {400: f"{self.name}: not a version number", 404: f"{self.name}: no such version"}

    def get(self) -> str | None:
        raw = _text(self.name, request.args.get(self.name), 20)
        if raw is None:
            return None
        try:
            n = int(raw)
        except ValueError:
            abort(400, _("%(name)s: %(raw)s is not a version number", name=self.name, raw=repr(raw)))
        return str(n)  # history_read.version_by_seq answers 404 for a number beyond the stored versions


@dataclass(frozen=True)
class PathParam(Param):
    """A part of the path (`/documents/<doc_id>`): Flask passes it to the route, which checks it
    (doc_id below, views.site_or_404); `statuses` are the answers to a bad or unknown one."""

    kind: str = "string"
    minimum: int | None = None
    statuses: tuple[tuple[int, str], ...] = ()

    where = "path"

    def schema(self) -> dict[str, Any]:
        if self.kind == "integer":
            return {"type": "integer"} if self.minimum is None else {"type": "integer", "minimum": self.minimum}
        return {"type": "string", "maxLength": 200, "pattern": NO_NUL}

    def errors(self) -> dict[int, str]:
        return dict(self.statuses)


def doc_id(raw: str) -> int:
    """A document id from the path; whether its column can hold it is views.document_or_404's check."""
    raw = raw.strip()
    if not raw.isdigit() or not raw.isascii() or len(raw) > ID_DIGITS:
        abort(404, _("document %(id)s: no such document", id=repr(raw[:40])))
    return int(raw)


# -- the declarations --------------------------------------------------------------------------

PAGE = Int("page", "page number, 1 first", default=1, lo=1, hi=MAX_PAGE)
PER_PAGE_ARG = Int("per_page", "items per page", default=PER_PAGE, lo=1, hi=MAX_PER_PAGE)
WEEKS = Int("weeks", "how many weeks, up to the week of the latest change", default=12, lo=1, hi=104)
SITE = Text("site", "only this site (its config name, the `name` of /api/sites)", limit=200)
PUBLISHER = Text("publisher", "only documents of this 发布机构 (publisher), as the page states it", limit=500)
KIND = Kinds("kind", "only this change kind (repeat the parameter or comma-separate for several)")
# The API's days are UTC, like the times it answers with; the pages and the feeds (whose links
# the changes page builds from its own form) take the configured zone's, like the times they show.
SINCE = Date("since", "detected on or after this day (YYYY-MM-DD, a UTC day; an ISO datetime with its offset works too)")
UNTIL = Date(
    "until", "detected before the end of this day (YYYY-MM-DD, a UTC day; before `since`: no results)", end=True
)
SINCE_LOCAL = Date("since", "detected on or after this day of the server's time zone (YYYY-MM-DD)", local=True)
UNTIL_LOCAL = Date("until", "detected before the end of this day of the server's time zone (YYYY-MM-DD)", end=True, local=True)
Q = Phrase("q", "the phrase (width, spaces and quote styles do not matter; nothing left once normalized: no results)")
ALL_VERSIONS = Bool("all_versions", "search every stored version, not only the latest")
FROM = Version("from", "the older version (default: the one before `to`; -1 is the latest)")
TO = Version("to", "the newer version (default: the latest; -1 is the latest)")
SITE_NAME = PathParam(
    "name", "the site's config name (the `name` of /api/sites)", statuses=((400, "name: contains a NUL character"), (404, "no such site"))
)
DOC_ID = PathParam("doc_id", "the document's id", kind="integer", minimum=1, statuses=((404, "no such document"),))
SEQ = PathParam(
    "seq",
    "the version number (1 = first, -1 = latest)",
    kind="integer",
    statuses=((400, "seq: not a version number"), (404, "no such version")),
)


def declare(*params: Param, ok: tuple[str, dict[str, Any]] | None = None) -> Callable:
    """Name the parameters a route reads (and, for the API, what it answers): the OpenAPI
    description is built from these and the route's docstring."""

    def mark(view: Callable) -> Callable:
        view.params = params  # type: ignore[attr-defined]
        view.ok = ok  # type: ignore[attr-defined]
        return view

    return mark


@dataclass
class Feed:
    """The changes-feed filters, as given (for links) and parsed (for the query)."""

    site: str | None = None
    publisher: str | None = None
    kinds: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    per_page: int = PER_PAGE

    def query(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "publisher": self.publisher,
            "kinds": self.kinds,
            "since": self.since,
            "until": self.until,
            "offset": (self.page - 1) * self.per_page,
            "limit": self.per_page + 1,  # one more tells whether there is a next page
        }

    def args(self, **override: Any) -> dict[str, Any]:
        """The query string of this view (for pagination links)."""
        out = {k: v for k, v in request.args.items(multi=False) if v and k != "kind"}
        if self.kinds:
            out["kind"] = ",".join(self.kinds)
        out.update({k: v for k, v in override.items()})
        return {k: v for k, v in out.items() if v not in (None, "")}


FEED = (SITE, PUBLISHER, KIND, SINCE, UNTIL, PAGE, PER_PAGE_ARG)  # what feed_args reads


def feed_args(per_page_default: int = PER_PAGE, *, local: bool = False) -> Feed:
    """The filters of the changes feed; `local`: since/until are days of the configured zone."""
    dates = (SINCE_LOCAL, UNTIL_LOCAL) if local else (SINCE, UNTIL)
    since, until = dates[0].get(), dates[1].get()  # since >= until: an empty range
    return Feed(
        site=SITE.get(),
        publisher=PUBLISHER.get(),
        kinds=KIND.get(),
        since=since,
        until=until,
        page=PAGE.get(),
        per_page=PER_PAGE_ARG.get(per_page_default),
    )
