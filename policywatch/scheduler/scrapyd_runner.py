"""The Scrapyd runner: `schedule.json` on the least busy node, followed with `listjobs.json`."""

from __future__ import annotations

import json
import logging
import threading
import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policywatch.scheduler import procs
from policywatch.scheduler.run_rows import RunMark, close_killed_run, closed_from_log
from policywatch.scheduler.runner_base import SLOT_TAKEN_MARK, Runner, SiteRun, site_table

if TYPE_CHECKING:
    from policywatch.scheduler.settings import CrawlSettings

log = logging.getLogger("policywatch.scheduler")


class NodeError(Exception):
    """A Scrapyd node that did not answer as expected (one line)."""


class ScrapydRunner(Runner):
    """Dispatch through Scrapyd's JSON API to the least busy reachable node, then follow the job.

    A node that does not answer (or lacks the project) is skipped and the next least busy one
    is used. The node gets the site's own [[sites]] table as JSON (`site_config`), the slot, the
    database URL *without* its password (`db`; a node authenticates with its own PGPASSWORD or
    ~/.pgpass), and the [crawl] settings. Its HTTP cache stays on the node.
    """

    name = "scrapyd"
    HTTP_TIMEOUT = 5.0

    def __init__(self, crawl: CrawlSettings, config_path: Path, db_url: str):
        super().__init__(crawl, config_path, db_url)
        self.nodes = list(crawl.scrapyd.nodes)
        self.project = crawl.scrapyd.project
        # Crawls fired at the same moment would all read the same loads and pile onto one node;
        # picking and scheduling under one lock lets each see the job the previous one queued.
        self._dispatch = threading.Lock()

    # HTTP (urllib: no dependency the daemon would not otherwise need)
    def _get(self, node: str, action: str, **params: str) -> dict[str, Any]:
        from urllib.parse import urlencode

        url = f"{node}/{action}" + (f"?{urlencode(params)}" if params else "")
        return self._call(node, url, None)

    def _post(self, node: str, action: str, data: list[tuple[str, str]]) -> dict[str, Any]:
        from urllib.parse import urlencode

        return self._call(node, f"{node}/{action}", urlencode(data).encode())

    def _call(self, node: str, url: str, body: bytes | None) -> dict[str, Any]:
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(url, data=body, timeout=self.HTTP_TIMEOUT) as resp:
                payload = json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            raise NodeError(f"{node}: HTTP {e.code}") from None
        except (OSError, ValueError) as e:
            reason = getattr(e, "reason", None) or e
            raise NodeError(f"{node}: unreachable ({reason})") from None
        if payload.get("status") != "ok":
            raise NodeError(f"{node}: {payload.get('message', payload)}".splitlines()[0])
        return payload

    def _load(self, node: str) -> int:
        """Running + pending jobs of the node; NodeError when it cannot take one of ours."""
        status = self._get(node, "daemonstatus.json")
        return int(status.get("running", 0)) + int(status.get("pending", 0))

    def check(self) -> list[str]:
        from policywatch.errors import UsageError

        warnings, errors = [], []
        for i, node in enumerate(self.nodes):
            try:
                self._load(node)
                projects = self._get(node, "listprojects.json").get("projects", [])
                if self.project not in projects:
                    raise NodeError(f"{node}: project {self.project!r} is not deployed (run scrapyd-deploy)")
            except NodeError as e:
                errors.append(str(e))
                warnings.append(f"{self.config_path}: [crawl] scrapyd.nodes[{i}]: {e}; using the other nodes")
        if len(errors) == len(self.nodes):
            why = "; ".join(errors)
            raise UsageError(f"{self.config_path}: [crawl] scrapyd.nodes: no node can run crawls ({why})")
        return warnings

    def pick(self, site: str) -> list[str]:
        """Reachable nodes, least busy first; ties go to a stable per-site order (warm caches)."""
        loads = []
        for node in self.nodes:
            try:
                loads.append((self._load(node), zlib.crc32(f"{site}@{node}".encode()), node))
            except NodeError as e:
                log.warning("scrapyd node skipped: %s", e)
        return [node for _, _, node in sorted(loads)]

    def run(self, site: str, slot: str, *, timeout: float | None = None) -> SiteRun:
        timeout = timeout or self.crawl.timeout_seconds
        started = time.monotonic()
        data = [
            ("project", self.project),
            ("spider", "site"),
            ("site", site),
            ("slot", slot),
            ("site_config", json.dumps(site_table(self.config_path, site), ensure_ascii=False)),
            ("db", _without_password(self.db_url)),
        ]
        data += [("setting", s) for s in self.crawl.setting_args()]
        job = node = None
        errors = []
        with self._dispatch:
            for node in self.pick(site):
                try:
                    job = self._post(node, "schedule.json", data)["jobid"]
                    break
                except NodeError as e:
                    log.warning("scrapyd node failed to take %s: %s", site, e)
                    errors.append(str(e))
        if job is None or node is None:
            reason = "no Scrapyd node took the job: " + ("; ".join(errors) or "none reachable")
            return SiteRun(site, "failed", errors=1, seconds=time.monotonic() - started, reason=reason)
        log.info("crawl %s slot %s dispatched to %s as job %s", site, slot, node, job)
        mark = RunMark(self.db_url, site, slot, {
            "runner": self.name, "node": node, "project": self.project, "job": job,
            "supervisor": procs.identity(), "deadline": time.time() + timeout,
        })  # fmt: skip
        try:
            outcome = self._follow(node, job, started + timeout, mark)
            result = mark.read() if outcome != "detached" else None
        finally:
            mark.close()
        if result is None:  # the daemon is stopping: the node finishes the crawl and records it
            return SiteRun(site, "detached", where=node, reason=f"job {job} left running on {node}")
        result.seconds, result.where, result.log = time.monotonic() - started, node, f"{node}/logs/{self.project}/site/{job}.log"
        tail = self._log_tail(node, job)
        if SLOT_TAKEN_MARK.encode() in tail:
            return SiteRun(site, "skipped", seconds=result.seconds, where=node, reason="slot taken")
        if outcome == "timeout":
            result.status, result.reason = "timeout", f"killed: time limit of {timeout:g}s on {node}"
            close_killed_run(self.db_url, result)
        elif outcome == "lost":
            result.status, result.reason = "failed", f"lost track of job {job} on {node}"
            close_killed_run(self.db_url, result)
        elif result.status == "crashed" and result.run_id is not None:
            result = closed_from_log(self.db_url, result, tail.decode("utf-8", "replace"))
        return result

    def _follow(self, node: str, job: str, deadline: float, mark: RunMark) -> str:
        """'finished', 'timeout' (cancelled), 'lost' (node gone too long), or 'detached' (stopping)."""
        last_seen = time.monotonic()
        while True:
            if self.stopping.wait(self.crawl.scrapyd.poll_seconds):
                return "detached"  # the job goes on and records itself on the node
            mark.try_mark()
            now = time.monotonic()
            try:
                jobs = self._get(node, "listjobs.json", project=self.project)
                last_seen = now
            except NodeError as e:
                if now - last_seen > max(60.0, 10 * self.crawl.scrapyd.poll_seconds):
                    log.error("giving up on job %s: %s", job, e)
                    return "lost"
                continue
            if any(j.get("id") == job for j in jobs.get("finished", [])):
                return "finished"
            if not any(j.get("id") == job for key in ("pending", "running") for j in jobs.get(key, [])):
                return "finished"  # dropped from the lists (finished_to_keep): it ended
            if now >= deadline:
                for sig in ("TERM", "KILL"):
                    try:
                        self._post(node, "cancel.json", [("project", self.project), ("job", job), ("signal", sig)])
                    except NodeError as e:
                        log.warning("cancel of job %s: %s", job, e)
                    time.sleep(min(5.0, self.crawl.scrapyd.poll_seconds * 2))
                return "timeout"

    def _log_tail(self, node: str, job: str) -> bytes:
        """The end of the job's log as the node serves it; empty when it keeps no logs."""
        import urllib.request

        try:
            url = f"{node}/logs/{self.project}/site/{job}.log"
            with urllib.request.urlopen(url, timeout=self.HTTP_TIMEOUT) as resp:
                return resp.read()[-20000:]
        except OSError:
            return b""  # no logs on this node: the row read back is taken as ours


def _without_password(db_url: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    return url.set(password=None).render_as_string(hide_password=False)
