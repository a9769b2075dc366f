"""`policywatch status [--json]`: per site the last run, the next run, and failures in a row.

    site      title           last run (Asia/Shanghai)  took   pages  new  changes  errors  status  failing  next run (Asia/Shanghai)
    zhaoqing  肇庆市人民政府  2026-11-23 14:00:02       12.3s  41     2    5        0       ok      0        2026-11-23 20:00:00

(in Chinese by default, English with --lang en; times in the config's [ui] timezone, --json in UTC.)

Next run times come from the scheduler's job store in the database (what `policywatch run`
will do), so status works from any machine that reaches the database. The scheduler line says
whether a daemon holds the leader lock. Exit 1 (with one line naming them) when the latest
finished run of some site failed; 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from policywatch.cli_errors import message_text
from policywatch.errors import ProblemFound


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="last and next crawl of every site, failures in a row")
    p.add_argument("--config", metavar="PATH", help="policywatch.toml (default: $POLICYWATCH_CONFIG, else ./policywatch.toml)")
    p.add_argument("--db", metavar="URL", help="database (default: $POLICYWATCH_DATABASE_URL, else the config's)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from policywatch import config as cfgmod
    from policywatch.commands.db import database_url, usage_errors
    from storage import migrate
    from storage.db import connect

    cfg = cfgmod.load(args.config)
    db = connect(database_url(args.db, cfg.database_url))
    try:
        with usage_errors():
            migrate.require(db)
            report = collect(db, [s.name for s in cfg.sites])
    finally:
        db.dispose()
    if args.json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print_report(report, {s.name: s.title or "" for s in cfg.sites})
    failing = [
        s["site"] + (f" ({s['last_run']['reason']})" if (s["last_run"] or {}).get("reason") else "")
        for s in report["sites"]
        if s["consecutive_failures"]
    ]
    if failing:
        from policywatch.cli_text import _

        raise ProblemFound(
            _("failing: %(sites)s (see the crawl logs; `policywatch crawl SITE` to retry)", sites=", ".join(failing))
        )
    return 0


def collect(db: Any, configured: list[str]) -> dict[str, Any]:
    from storage.crawl_runs import consecutive_failures, recent_runs

    next_runs = _next_runs(db)
    sites = []
    for name in configured:
        runs = recent_runs(db, name, limit=50)
        last = next((r for r in runs if r.status != "running"), None)
        running = next((r for r in runs if r.status == "running"), None)
        sites.append(
            {
                "site": name,
                "last_run": _run(last),
                "running_since": _iso(running.started_at) if running else None,
                "consecutive_failures": consecutive_failures(runs),
                "next_run": next_runs.get(f"crawl:{name}"),
                "scheduled": f"crawl:{name}" in next_runs,
            }
        )
    return {"scheduler": _leader(db), "sites": sites}


def _run(row: Any) -> dict[str, Any] | None:
    from storage.run_rows import run_reason

    if row is None:
        return None
    stats = row.stats or {}
    outcomes = stats.get("outcomes") or {}
    took = (row.finished_at - row.started_at).total_seconds() if row.finished_at else None
    return {
        "slot": row.slot,
        "started": _iso(row.started_at),
        "seconds": round(took, 1) if took is not None else None,
        "status": row.status,
        "pages": row.pages,
        "new_versions": int(outcomes.get("new", 0)) + int(outcomes.get("changed", 0)),
        "changes": row.changed,
        "errors": row.errors,
        "reason": run_reason(stats) or None,
    }


def _iso(when: datetime | None) -> str | None:
    return when.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if when else None


def _next_runs(db: Any) -> dict[str, Any]:
    """job id -> next run (ISO, UTC) from the job store table; {} when no daemon ever ran."""
    from sqlalchemy import text

    from policywatch.scheduler.daemon import JOBS_TABLE

    try:
        with db.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT id, next_run_time FROM {JOBS_TABLE}")).all()
    except Exception:  # no table: the scheduler never ran against this database
        return {}
    out: dict[str, Any] = {}
    for job_id, ts in rows:
        out[job_id] = (
            datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if ts else None
        )
    return out


def _leader(db: Any) -> str:
    from policywatch.scheduler.leader import for_database

    try:
        return "running" if for_database(db.url).probe() else "not running"
    except Exception:
        return "unknown"


def print_report(report: dict[str, Any], titles: dict[str, str] | None = None) -> None:
    from policywatch.cli_text import _, field, status, when, zone
    from policywatch.commands.db import print_table

    titles = titles or {}
    rows = []
    for s in report["sites"]:
        r = s["last_run"] or {}
        state = status(r.get("status")) if r.get("status") else ""
        if s["running_since"]:
            state = f"{state} ({status('running')})".strip()
        rows.append(
            [
                s["site"],
                titles.get(s["site"], ""),
                when(r.get("started"), seconds=True) or _("never"),
                _("%(s)ss", s=f"{r['seconds']:.1f}") if r.get("seconds") is not None else "",
                r.get("pages", ""),
                r.get("new_versions", ""),
                r.get("changes", ""),
                r.get("errors", ""),
                state,
                s["consecutive_failures"],
                when(s["next_run"], seconds=True) or (_("not scheduled") if not s["scheduled"] else _("paused")),
            ]
        )
    leader = {"running": _("running"), "not running": _("not running"), "unknown": _("unknown")}
    print(_("scheduler: %(state)s", state=leader.get(report["scheduler"], report["scheduler"])))
    print_table(
        [_("site"), field("title"), _("last run (%(zone)s)", zone=zone()), _("took"), _("pages"), _("new versions"), _("changes"),
         _("errors"), _("status"), _("failing"), _("next run (%(zone)s)", zone=zone())],
        rows,
    )
    for s in report["sites"]:  # a run the revalidation pre-check recorded without Scrapy says so
        reason = (s["last_run"] or {}).get("reason") or ""
        if reason.startswith("revalidated without a crawl"):
            print(f"{s['site']}: {message_text(reason)}")

