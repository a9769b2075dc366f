"""What the pages and the API show, built from storage.read (no HTML here)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from flask import abort
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from pipeline.schema import DOCUMENT_HEADER_FIELDS, HIDDEN_KINDS, UNCHANGED
from policywatch.web import params, times
from storage.change_record import measure_json
from storage.models import Document, Site, utcnow
from storage.read import common as common_read
from storage.read import feed as feed_read
from storage.read import history as history_read
from storage.read import search as search_read
from storage.read import sites as sites_read
from storage.read.common import ReadError


def document_or_404(s: Session, doc_id: int) -> Document:
    doc = history_read.document_by_id(s, doc_id)
    if doc is None:
        abort(404, _("document %(id)s: no such document", id=doc_id))
    return doc


def site_or_404(s: Session, name: str, what: str = "site") -> Site:
    """The site named in a URL path (`what` names it in a 400 for a malformed name)."""
    checked = params._text(what, name, 200) or ""
    try:
        return sites_read.site_by_name(s, checked)
    except LookupError:
        abort(404, _("site %(name)s: no such site", name=repr(checked)))


def lookup(fn, *args: Any, **kwargs: Any) -> Any:
    """Call a query; its LookupError is a 404 and its ValueError a 400, worded in the reader's
    language (storage words them in English and gives the msgid: storage.read.common.ReadError)."""
    try:
        return fn(*args, **kwargs)
    except LookupError as e:
        abort(404, error_text(e))
    except ValueError as e:
        abort(400, error_text(e))


def error_text(e: Exception) -> str:
    """A storage error in the reader's language (its English text when it has no msgid)."""
    if isinstance(e, ReadError):
        return _(e.message, **e.values)
    return str(e)


def document(s: Session, doc: Document) -> dict[str, Any]:
    """Metadata, the latest version's tree and the version timeline."""
    hist = history_read.history(s, doc)
    latest = history_read.show(s, doc) if hist["versions"] else None
    schema = latest["schema"] if latest else {}
    meta = [(key, schema.get(key)) for key in DOCUMENT_HEADER_FIELDS if schema.get(key)]
    versions = hist["versions"]
    for v in versions:
        v["reportable"] = sum(n for k, n in v["changes"].items() if k not in HIDDEN_KINDS)
    return {
        "document": hist["document"],
        "publisher": doc.publisher,
        "metadata": meta,
        "attachments": _with_fetches(schema.get("attachments") or [], hist["attachments"]),
        "references": schema.get("references") or [],
        "preamble": schema.get("preamble") or "",
        "sections": schema.get("sections") or [],
        "latest": latest["version"] if latest else None,
        "versions": versions,
    }


def _with_fetches(listed: list[dict[str, Any]], fetched: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The page's attachment links, each with what fetching it found (latest content, and how
    many contents it has had), where the site fetches attachments."""
    by_url: dict[str, list[dict[str, Any]]] = {}
    for f in fetched:
        by_url.setdefault(f["url"], []).append(f)
    return [
        {**a, "fetched": by_url[a.get("url")][-1], "contents": len(by_url[a.get("url")])} if a.get("url") in by_url
        else a
        for a in listed
    ]


_side = measure_json  # a measure in the shape of a change's old/new side


def _paragraphs(changes: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Paragraphs added under (removed from) a measure kept whole ("（二）第二段", path "1.2#p2").

    compare pairs the measure as unchanged and reports only the paragraph; the row shows it
    right after the measure. Keys: ("new", path of the measure) for an added paragraph, ("old",
    path) for a removed one.
    """
    out: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for c in changes:
        name = {"added": "new", "removed": "old"}.get(c["kind"])
        side = c.get(name) if name else None
        if side and "#p" in side["path"]:
            out[(name, side["path"].split("#p")[0])].append(c)
    return out


def diff(s: Session, doc: Document, from_spec: str | None, to_spec: str | None) -> dict[str, Any]:
    """history_read.diff, plus every measure of the two versions in reading order.

    `rows` pairs the measures: changed ones carry their change; unchanged ones stand beside
    the measure compare paired them with (stored with the version; their label may differ,
    renumbered by an insertion or deletion) and are grouped into runs that the page collapses;
    removed measures sit where they stood in the old version.
    """
    aligned = lookup(history_read.aligned_diff, s, doc, from_spec, to_spec)
    data, old_v, new_v = aligned.changes, aligned.old, aligned.new
    old_ms, new_ms = history_read.version_measures(s, old_v.id), history_read.version_measures(s, new_v.id)
    old_by_id = {m.id: m for m in old_ms}
    paired = {n: old_by_id[o] for o, n in aligned.pairs if o in old_by_id}
    by_new = {c["new"]["path"]: c for c in data["changes"] if c.get("new")}
    by_old = {c["old"]["path"]: c for c in data["changes"] if c.get("old")}
    # a 条 of a law added or removed whole is one row: the 条 (its label, all its 款) stands on
    # the row of its first 款, and its other 款 rows are part of it
    in_article: set[tuple[str, str]] = set()
    for c in data["changes"]:
        side = {"added": "new", "removed": "old"}.get(c["kind"])
        if side and c.get("units"):
            in_article.update((side, u["path"]) for u in c["units"][1:])
    paragraphs = _paragraphs(data["changes"])
    rows: list[tuple[tuple, dict[str, Any]]] = []
    row_of_old: dict[str, int] = {}
    used: set[int] = set()
    for i, m in enumerate(new_ms):
        if ("new", m.path) in in_article:
            continue
        change = by_new.get(m.path)
        if change is not None:
            used.add(id(change))
            old = change.get("old")
            side = change["new"] if change["kind"] == "added" and change.get("units") else _side(m)
            rows.append(((i, 0, 0), {"kind": change["kind"], "change": change, "old": old, "new": side}))
            if old:
                row_of_old[old["path"]] = i
            continue
        o = paired.get(m.id)
        if o is not None:
            row_of_old[o.path] = i
        renumbered = o is not None and (o.label != m.label or o.path != m.path)
        rows.append(
            ((i, 0, 0), {"kind": UNCHANGED, "renumbered": renumbered, "old": _side(o), "new": _side(m), "change": None})
        )
        under = paragraphs.pop(("new", m.path), []) + (paragraphs.pop(("old", o.path), []) if o is not None else [])
        for k, paragraph in enumerate(under, 1):  # right after the measure it was added under (removed from)
            used.add(id(paragraph))
            rows.append(
                (
                    (i, 0, k),
                    {"kind": paragraph["kind"], "change": paragraph, "old": paragraph["old"], "new": paragraph["new"]},
                )
            )
    anchor = -1
    for j, m in enumerate(old_ms):
        if m.path in row_of_old:
            anchor = row_of_old[m.path]
            continue
        if ("old", m.path) in in_article:
            continue
        change = by_old.get(m.path)
        if change is not None:
            used.add(id(change))
        kind = change["kind"] if change else "removed"
        side = change["old"] if change and change["kind"] == "removed" and change.get("units") else _side(m)
        rows.append(((anchor, 1, j), {"kind": kind, "change": change, "old": side, "new": None}))
    for k, c in enumerate(data["changes"]):  # text outside measures, split/merged leftovers
        if id(c) not in used:
            rows.append(((len(new_ms), 2, k), {"kind": c["kind"], "change": c, "old": c.get("old"), "new": c.get("new")}))
    rows.sort(key=lambda r: r[0])
    blocks: list[dict[str, Any]] = []
    for _key, row in rows:
        if row["kind"] == UNCHANGED:
            if not blocks or blocks[-1]["type"] != "same":
                blocks.append({"type": "same", "rows": [], "renumbered": 0})
            blocks[-1]["rows"].append(row)
            blocks[-1]["renumbered"] += row["renumbered"]
        else:
            blocks.append({"type": "change", "row": row})
    counts: dict[str, int] = defaultdict(int)
    for c in data["changes"]:
        counts[c["kind"]] += 1
    return {
        **data,
        "from_version": {"seq": old_v.seq, "first_seen": common_read.iso(old_v.first_seen)},
        "to_version": {"seq": new_v.seq, "first_seen": common_read.iso(new_v.first_seen)},
        "blocks": blocks,
        "counts": dict(counts),
        "unchanged": sum(len(b["rows"]) for b in blocks if b["type"] == "same"),
        "renumbered": sum(b["renumbered"] for b in blocks if b["type"] == "same"),
    }


def search(s: Session, phrase: str, **kwargs: Any) -> list[dict[str, Any]]:
    """storage.read.search for a page: a phrase with nothing left to look for once normalized
    (spaces, punctuation) finds nothing, where the CLI refuses it."""
    try:
        return search_read.search(s, phrase, **kwargs)
    except ValueError:
        return []


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def weekly(s: Session, *, weeks: int = 12, site: str | None = None) -> dict[str, Any]:
    """Changes per ISO week per site, for at most `weeks` weeks up to the latest change, from the
    first of them with a change. Days and weeks are the configured zone's (times.zone): a change
    at 2026-12-06 16:30 UTC is on Monday 12-07 in Asia/Shanghai, and counts in that week."""
    end = monday(times.today_of(feed_read.latest_change_at(s) or utcnow()))  # type: ignore[arg-type]
    start = end - timedelta(weeks=weeks - 1)
    days = feed_read.changes_per_day(s, since=times.day_start(start), site=site, zone=times.zone())
    series: dict[str, list[int]] = {}
    for name, day, n in days:
        k = (monday(date.fromisoformat(day)) - start).days // 7
        if 0 <= k < weeks:
            series.setdefault(name, [0] * weeks)[k] += n
    # a chart of mostly empty weeks before a site's first changes tells nothing: it starts at
    # the first week with a change (and keeps the latest week, so "nothing since" still shows)
    first = min((k for counts in series.values() for k, n in enumerate(counts) if n), default=weeks - 1)
    return {
        "weeks": [(start + timedelta(weeks=k)).isoformat() for k in range(first, weeks)],
        "series": [{"site": name, "counts": series[name][first:]} for name in sorted(series)],
    }
