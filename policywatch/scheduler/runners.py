"""Runners: how one crawl of one site is started, watched, limited and read back.

Every runner does one job: `run(site, slot, timeout)` starts one `scrapy crawl site` somewhere,
waits for it (killing it at `timeout`), and returns a SiteRun read from the crawl_run row the
crawl wrote for (site, slot). They are chosen by name from `[crawl] runner`, Scrapy-style:

    subprocess  `python -m crawler.launch crawl site ...` (scrapy crawl) on this machine (default; `policywatch crawl`)
    scrapyd     `schedule.json` on the least busy Scrapyd node, followed with `listjobs.json`

A crawl whose slot another scheduler already claimed records nothing and comes back `skipped`.
"""

from __future__ import annotations

import importlib

from policywatch.scheduler.local_runner import SubprocessRunner
from policywatch.scheduler.run_rows import RunMark, close_killed_run, read_run
from policywatch.scheduler.runner_base import SLOT_TAKEN_MARK, Runner, SiteRun, site_table, state_dir
from policywatch.scheduler.scrapyd_runner import NodeError, ScrapydRunner

__all__ = [
    "RUNNERS",
    "SLOT_TAKEN_MARK",
    "NodeError",
    "RunMark",
    "Runner",
    "ScrapydRunner",
    "SiteRun",
    "SubprocessRunner",
    "close_killed_run",
    "read_run",
    "runner_class",
    "site_table",
    "state_dir",
]

# -- registry ----------------------------------------------------------------------------------

RUNNERS: dict[str, type[Runner]] = {cls.name: cls for cls in (SubprocessRunner, ScrapydRunner)}


def runner_class(name: str) -> type[Runner]:
    if name in RUNNERS:
        return RUNNERS[name]
    module, _, attr = name.partition(":")
    cls = getattr(importlib.import_module(module), attr)
    if not (isinstance(cls, type) and issubclass(cls, Runner)):
        raise TypeError(f"{name} is not a policywatch.scheduler.runners.Runner")
    return cls

