"""Query and path parameters, checked the same way for pages and the API.

Bad input is a 400 (malformed: a date that is not a date, a page that is not a number) or a 404
(well-formed but unknown: a document id, a version, a site) with a one-line message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import abort, request
from flask_babel import gettext as _

from pipeline.schema import ALL_KINDS as KINDS
from storage.read import common as common_read

ID_DIGITS = 40  # more digits than any id column holds (the column's own bound: storage.bounds)
MAX_PAGE = 10_000
PER_PAGE = 50
MAX_PER_PAGE = 200


def _text(name: str, value: str | None, limit: int = 500) -> str | None:
    if value is None:
        return None
    if "\x00" in value:
        abort(400, _("%(name)s: contains a NUL character", name=name))
    if len(value) > limit:
        abort(400, _("%(name)s: longer than %(limit)s characters", name=name, limit=limit))
    return value.strip() or None


def text_arg(name: str, limit: int = 500) -> str | None:
    return _text(name, request.args.get(name), limit)


def int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        abort(400, _("%(name)s: %(raw)s is not a whole number", name=name, raw=repr(raw[:40])))
    if not lo <= value <= hi:
        abort(400, _("%(name)s: must be between %(lo)s and %(hi)s", name=name, lo=lo, hi=hi))
    return value


def bool_arg(name: str) -> bool:
    raw = (request.args.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    abort(400, _("%(name)s: expected true or false", name=name))


def date_arg(name: str, *, end: bool = False) -> datetime | None:
    """YYYY-MM-DD or an ISO datetime (UTC). With `end`, a bare day means up to the end of it."""
    raw = _text(name, request.args.get(name), 40)
    if raw is None:
        return None
    try:
        when = common_read.parse_date(raw, name)
    except ValueError:
        abort(400, _("%(name)s: %(raw)s is not a date (YYYY-MM-DD)", name=name, raw=repr(raw)))
    if end and len(raw) == 10:
        try:
            when += timedelta(days=1)
        except OverflowError:
            return None
    return when


def kinds_arg() -> list[str]:
    kinds = [k.strip() for v in request.args.getlist("kind") for k in v.split(",") if k.strip()]
    for k in kinds:
        if k not in KINDS:
            abort(400, _("kind: unknown kind %(kind)s (one of %(kinds)s)", kind=repr(k[:40]), kinds=", ".join(KINDS)))
    return kinds


def doc_id(raw: str) -> int:
    """A document id from the path; whether its column can hold it is views.document_or_404's check."""
    raw = raw.strip()
    if not raw.isdigit() or not raw.isascii() or len(raw) > ID_DIGITS:
        abort(404, _("document %(id)s: no such document", id=repr(raw[:40])))
    return int(raw)


def version_arg(name: str) -> str | None:
    """A version number as `policywatch diff` takes it (1 = first, -1 = latest)."""
    raw = _text(name, request.args.get(name), 20)
    if raw is None:
        return None
    try:
        n = int(raw)
    except ValueError:
        abort(400, _("%(name)s: %(raw)s is not a version number", name=name, raw=repr(raw)))
    return str(n)  # history_read.version_by_seq answers 404 for a number beyond the stored versions


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


def feed_args(per_page_default: int = PER_PAGE) -> Feed:
    since, until = date_arg("since"), date_arg("until", end=True)  # since >= until: an empty range
    return Feed(
        site=text_arg("site", 200),
        publisher=text_arg("publisher", 500),
        kinds=kinds_arg(),
        since=since,
        until=until,
        page=int_arg("page", 1, 1, MAX_PAGE),
        per_page=int_arg("per_page", per_page_default, 1, MAX_PER_PAGE),
    )
