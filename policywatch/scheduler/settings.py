"""The daemon's tables of policywatch.toml: [crawl], [scheduler], [operator].

```toml
[crawl]
runner = "subprocess"              # or "scrapyd" (or "package.module:Class", a Runner subclass)
timeout_seconds = 7200             # a crawl still running after this is killed and recorded failed
settings = { DOWNLOAD_DELAY = 2 }  # Scrapy settings for every scheduled run

[crawl.scrapyd]                    # only with runner = "scrapyd"
nodes = ["http://10.0.0.5:6800", "http://10.0.0.6:6800"]
project = "policywatch"            # the name the project was deployed under (scrapyd-deploy -p)
poll_seconds = 2.0                 # how often a dispatched job is followed with listjobs.json

[scheduler]
timezone = "Asia/Shanghai"         # for cron schedules (default: this machine's zone)
max_concurrent_crawls = 4
stop_grace_seconds = 30            # on SIGTERM, running crawls get this long to close before a kill
standby_poll_seconds = 2.0         # how often a standby tries to become the leader
jobs = { zhaoqing = { interval_seconds = 90 } }   # per-site schedule overrides (cron, interval_*)
digests = { due = "*/5 * * * *" }  # when to send due digests (name -> cron; this is the
                                   # default when [[subscriptions]] exist)

[operator]
email = "ops@example.org"          # or a list; alerts go here
failures_before_alert = 3          # consecutive failed runs of a site that send an alert
alert_on_empty = true              # alert when a crawl that used to list documents lists none
from = "policywatch@example.org"   # default: the [smtp] from address
```

Every mistake is a UsageError `FILE: [table] KEY: why`, raised before the daemon does anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from policywatch.config import Config
from policywatch.config_checks import check_cron, check_interval, check_scrapy_settings
from policywatch.errors import UsageError

CRAWL_KEYS = {"runner", "timeout_seconds", "settings", "scrapyd"}
SCRAPYD_KEYS = {"nodes", "project", "poll_seconds"}
CRAWL_TIMEOUT_S = 7200.0  # [crawl] timeout_seconds: a crawl still running after this is killed
RUNNER_NAMES = ("subprocess", "scrapyd")  # the built-in runners of policywatch.scheduler.runners.RUNNERS
SCHEDULER_KEYS = {
    "timezone",
    "max_concurrent_crawls",
    "stop_grace_seconds",
    "standby_poll_seconds",
    "jobs",
    "digests",
}
OPERATOR_KEYS = {"email", "failures_before_alert", "alert_on_empty", "from"}
JOB_KEYS = ("cron", "interval_seconds", "interval_minutes")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class ScrapydSettings:
    nodes: tuple[str, ...] = ()
    project: str = "policywatch"
    poll_seconds: float = 2.0


@dataclass(frozen=True)
class CrawlSettings:
    runner: str = "subprocess"
    timeout_seconds: float = CRAWL_TIMEOUT_S
    settings: dict[str, Any] = field(default_factory=dict)
    scrapyd: ScrapydSettings = field(default_factory=ScrapydSettings)

    def setting_args(self, *, extensions: dict[str, int] | None = None) -> list[str]:
        """`KEY=VALUE` strings for `scrapy crawl -s` / Scrapyd's `setting=`; `extensions` are
        added to the EXTENSIONS the operator set (a -s EXTENSIONS replaces the whole table)."""
        values = dict(self.settings)
        if extensions:
            values["EXTENSIONS"] = {**_as_dict(values.get("EXTENSIONS")), **extensions}
        return [f"{k}={_setting_text(v)}" for k, v in values.items()]


@dataclass(frozen=True)
class JobOverride:
    cron: str | None = None
    interval_seconds: float | None = None


@dataclass(frozen=True)
class SchedulerSettings:
    timezone: str | None = None
    max_concurrent_crawls: int = 4
    stop_grace_seconds: float = 30.0
    standby_poll_seconds: float = 2.0
    jobs: dict[str, JobOverride] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OperatorSettings:
    emails: tuple[str, ...] = ()
    failures_before_alert: int = 3
    alert_on_empty: bool = True
    sender: str | None = None  # default: the [smtp] from address


@dataclass(frozen=True)
class DaemonSettings:
    crawl: CrawlSettings
    scheduler: SchedulerSettings
    operator: OperatorSettings


def parse(cfg: Config) -> DaemonSettings:
    tables = cfg.tables
    return DaemonSettings(
        crawl=_crawl(_table(cfg.path, tables, "crawl"), cfg.path),
        scheduler=_scheduler(_table(cfg.path, tables, "scheduler"), cfg),
        operator=_operator(_table(cfg.path, tables, "operator"), cfg.path),
    )


def _table(path: Path, tables: dict[str, Any], name: str) -> dict[str, Any]:
    value = tables.get(name, {})
    if not isinstance(value, dict):
        raise UsageError(f"{path}: [{name}] must be a table")
    return value


def _err(path: Path, table: str, key: str, why: str) -> UsageError:
    return UsageError(f"{path}: [{table}] {key}: {why}")


def _unknown(path: Path, table: str, raw: dict[str, Any], known: set[str], prefix: str = "") -> None:
    extra = sorted(set(raw) - known)
    if extra:
        raise _err(path, table, prefix + extra[0], f"unknown key (known: {', '.join(sorted(known))})")


def _number(path: Path, table: str, key: str, value: Any, *, integer: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    if integer:
        ok = ok and isinstance(value, int)
    if not ok:
        raise _err(path, table, key, f"must be a positive {'integer' if integer else 'number'} (got {value!r})")
    return value


def _crawl(raw: dict[str, Any], path: Path) -> CrawlSettings:
    _unknown(path, "crawl", raw, CRAWL_KEYS)
    runner = raw.get("runner", "subprocess")
    if not isinstance(runner, str) or not (runner in RUNNER_NAMES or re.match(r"^[\w.]+:\w+$", runner)):
        raise _err(path, "crawl", "runner", f"{runner!r}: use one of {', '.join(RUNNER_NAMES)} (or module:Class)")
    timeout = _number(path, "crawl", "timeout_seconds", raw.get("timeout_seconds", CRAWL_TIMEOUT_S))
    settings = check_scrapy_settings(raw.get("settings", {}), lambda why: _err(path, "crawl", "settings", why))
    sd = raw.get("scrapyd", {})
    if not isinstance(sd, dict):
        raise _err(path, "crawl", "scrapyd", "must be a table ([crawl.scrapyd])")
    _unknown(path, "crawl", sd, SCRAPYD_KEYS, "scrapyd.")
    nodes = sd.get("nodes", [])
    if isinstance(nodes, str):
        nodes = [nodes]
    if not isinstance(nodes, list) or not all(isinstance(n, str) for n in nodes):
        raise _err(path, "crawl", "scrapyd.nodes", "must be a list of Scrapyd URLs")
    for i, node in enumerate(nodes):
        parts = urlsplit(node)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _err(path, "crawl", f"scrapyd.nodes[{i}]", f"{node!r} is not an http(s) URL")
    if runner == "scrapyd" and not nodes:
        raise _err(path, "crawl", "scrapyd.nodes", 'runner = "scrapyd" needs at least one node URL')
    if len(set(nodes)) != len(nodes):
        raise _err(path, "crawl", "scrapyd.nodes", "a node is listed twice")
    project = sd.get("project", "policywatch")
    if not isinstance(project, str) or not re.match(r"^[\w.-]+$", project):
        raise _err(path, "crawl", "scrapyd.project", f"{project!r} is not a project name")
    poll = _number(path, "crawl", "scrapyd.poll_seconds", sd.get("poll_seconds", 2.0))
    return CrawlSettings(
        runner=runner,
        timeout_seconds=float(timeout),
        settings=dict(settings),
        scrapyd=ScrapydSettings(tuple(n.rstrip("/") for n in nodes), project, float(poll)),
    )


def _scheduler(raw: dict[str, Any], cfg: Config) -> SchedulerSettings:
    path = cfg.path
    _unknown(path, "scheduler", raw, SCHEDULER_KEYS)
    tz = raw.get("timezone")
    if tz is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError):
            raise _err(path, "scheduler", "timezone", f"{tz!r} is not a known time zone") from None
    workers = _number(path, "scheduler", "max_concurrent_crawls", raw.get("max_concurrent_crawls", 4), integer=True)
    grace = _number(path, "scheduler", "stop_grace_seconds", raw.get("stop_grace_seconds", 30))
    poll = _number(path, "scheduler", "standby_poll_seconds", raw.get("standby_poll_seconds", 2.0))

    jobs_raw = raw.get("jobs", {})
    if not isinstance(jobs_raw, dict):
        raise _err(path, "scheduler", "jobs", "must be a table of site name -> { cron | interval_seconds }")
    known = {s.name for s in cfg.sites}
    jobs: dict[str, JobOverride] = {}
    for name, spec in jobs_raw.items():
        key = f"jobs.{name}"
        if name not in known:
            raise _err(path, "scheduler", key, f"no site named {name!r} (sites: {', '.join(sorted(known)) or 'none'})")
        if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in JOB_KEYS:
            raise _err(path, "scheduler", key, 'must be { cron = "m h dom mon dow" } or { interval_seconds = N }')
        kind, value = next(iter(spec.items()))
        if kind == "cron":
            check_cron(value, lambda why, key=key: _err(path, "scheduler", f"{key}.cron", why), tz)
            jobs[name] = JobOverride(cron=value)
        else:
            n = _number(path, "scheduler", f"{key}.{kind}", value)
            seconds = n * (60 if kind == "interval_minutes" else 1)
            check_interval(seconds, lambda why, k=f"{key}.{kind}", n=n: _err(path, "scheduler", k, f"{n!r}: {why}"))
            jobs[name] = JobOverride(interval_seconds=float(seconds))

    digests_raw = raw.get("digests", {})
    if not isinstance(digests_raw, dict):
        raise _err(path, "scheduler", "digests", 'must be a table of cadence -> cron, e.g. { daily = "0 8 * * *" }')
    digests: dict[str, str] = {}
    for cadence, cron in digests_raw.items():
        check_cron(cron, lambda why, c=cadence: _err(path, "scheduler", f"digests.{c}", why), tz)
        digests[cadence] = cron
    return SchedulerSettings(
        timezone=tz,
        max_concurrent_crawls=int(workers),
        stop_grace_seconds=float(grace),
        standby_poll_seconds=float(poll),
        jobs=jobs,
        digests=digests,
    )


def _operator(raw: dict[str, Any], path: Path) -> OperatorSettings:
    _unknown(path, "operator", raw, OPERATOR_KEYS)
    emails = raw.get("email", [])
    if isinstance(emails, str):
        emails = [emails]
    if not isinstance(emails, list) or not all(isinstance(e, str) and EMAIL_RE.match(e) for e in emails):
        raise _err(path, "operator", "email", f"must be an email address or a list of them (got {emails!r})")
    n = _number(path, "operator", "failures_before_alert", raw.get("failures_before_alert", 3), integer=True)
    empty = raw.get("alert_on_empty", True)
    if not isinstance(empty, bool):
        raise _err(path, "operator", "alert_on_empty", "must be true or false")
    sender = raw.get("from")
    if sender is not None and (not isinstance(sender, str) or not EMAIL_RE.match(sender)):
        raise _err(path, "operator", "from", f"{sender!r} is not an email address")
    return OperatorSettings(tuple(emails), int(n), empty, sender)


def _setting_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list | dict):
        import json

        return json.dumps(value)
    return str(value)


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        import json

        value = json.loads(value)  # checked at load: a table or its JSON text
    return dict(value or {})
