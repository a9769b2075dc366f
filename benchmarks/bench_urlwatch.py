"""policywatch against urlwatch 2.29 on the same generated site: a first check and a recheck.

Most crawls of a watched site find nothing new: they revalidate. urlwatch revalidates each
URL with If-None-Match / If-Modified-Since in a thread pool; `policywatch crawl` starts a
Scrapy process that walks the site's lists and revalidates every notice. Both are run as the
operator runs them (their CLIs, each a fresh process tree) against the demo portal (policywatch.demo.portal) on 127.0.0.1
serving N generated gkmlpt notices, politeness off:

- urlwatch: one `url` job per page policywatch fetches (the list pages and every notice), its
  own cache database, every reporter off;
- policywatch: `policywatch crawl bulk` with the bench_crawl config and settings;
- bare Scrapy (benchmarks/bare_spider.py, Scrapy's defaults, the same politeness settings): the
  floor of anything that runs Scrapy. Its first check is the spider as bench_crawl runs it (no
  HTTP cache); its recheck is the second of two runs with Scrapy's own HTTP cache on, under
  bare_spider.Revalidating (RFC2616Policy sending every stored page's validators: the stock
  policy sends none for a `Cache-Control: no-cache` page, so its recheck downloaded everything
  again), the first of the two not timed.

Each round runs one tool's first check and recheck, then the other's, in a fresh directory;
the order alternates from round to round. Measured per run: wall time, CPU time (user + system
of the process tree, from the rusage of the reaped children) and the peak of the summed RSS of
the process tree (every descendant of this process, sampled from /proc every 20 ms).

urlwatch is installed into a throw-away venv under .bench/ (made once, reused), so it is not a
dependency of the project. Environment: BENCH_URLWATCH_PAGES (default "200,2000"),
BENCH_URLWATCH_ROUNDS (default 3).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.bench_crawl import SETTINGS, _children, _config
from policywatch.demo.portal import Portal
from policywatch.demo.portal import content as C

ROOT = Path(__file__).resolve().parent.parent
URLWATCH_VERSION = "2.29"
VENV = ROOT / ".bench" / f"urlwatch-{URLWATCH_VERSION}"
SIZES = tuple(int(n) for n in os.environ.get("BENCH_URLWATCH_PAGES", "200,2000").split(",") if n.strip())
ROUNDS = int(os.environ.get("BENCH_URLWATCH_ROUNDS", "3"))
SAMPLE_S = 0.02
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

# every reporter off: the run measures checking, not mailing or printing a report
URLWATCH_CONFIG = """\
display: {new: false, error: true, unchanged: false, empty-diff: false}
report:
  text: {details: false, footer: false, minimal: true}
  stdout: {enabled: false, color: false}
  html: {diff: unified}
  markdown: {details: false, footer: false, minimal: true}
  email: {enabled: false}
  pushover: {enabled: false}
  pushbullet: {enabled: false}
  telegram: {enabled: false}
  slack: {enabled: false}
  mattermost: {enabled: false}
  discord: {enabled: false}
  ifttt: {enabled: false}
  matrix: {enabled: false}
  xmpp: {enabled: false}
  prowl: {enabled: false}
  browser: {enabled: false}
  shell: {enabled: false}
  gotify: {enabled: false}
  webhook: {enabled: false}
job_defaults: {all: {}, shell: {}, url: {}, browser: {}}
"""


def urlwatch_bin() -> Path:
    """The urlwatch of the throw-away venv, installed from PyPI the first time."""
    exe = VENV / "bin" / "urlwatch"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "-q", f"urlwatch=={URLWATCH_VERSION}"], check=True, timeout=900
        )
    return exe


# -- measuring a process tree ----------------------------------------------------------------


def _tree_rss_mb() -> float:
    kids, total = _children(), 0
    todo = list(kids.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo += kids.get(pid, [])
        try:  # statm's 2nd field: resident pages
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
    return total * PAGE_SIZE / 2**20


def measured(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> dict[str, float]:
    """Run `cmd` to its end: wall s, CPU s of its whole tree, peak summed RSS MB of the tree."""
    peak = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(SAMPLE_S):
            peak = max(peak, _tree_rss_mb())

    thread = threading.Thread(target=sample, daemon=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    thread.start()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - started
    stop.set()
    thread.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0,):
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {(proc.stderr or proc.stdout)[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "memory": peak}


# -- the two tools ---------------------------------------------------------------------------


def site_paths(portal: Portal) -> list[str]:
    """What policywatch fetches of the bulk site: its list pages and notices."""
    return sorted(p for p in portal.pages() if p.startswith("/bulk/"))


def _urlwatch_files(portal: Portal, work: Path) -> list[str]:
    work.mkdir()
    jobs = "---\n".join(f"name: p{i}\nurl: {portal.url(p)}\n" for i, p in enumerate(site_paths(portal)))
    (work / "jobs.yaml").write_text(jobs, encoding="utf-8")
    (work / "cfg.yaml").write_text(URLWATCH_CONFIG, encoding="utf-8")
    (work / "hooks.py").write_text("", encoding="utf-8")
    return [
        str(urlwatch_bin()),
        "--urls", str(work / "jobs.yaml"),
        "--config", str(work / "cfg.yaml"),
        "--hooks", str(work / "hooks.py"),
        "--cache", str(work / "cache.db"),
    ]  # fmt: skip


def _isolated_env(work: Path) -> dict[str, str]:
    env = dict(os.environ, HOME=str(work), XDG_CONFIG_HOME=str(work / ".config"), XDG_CACHE_HOME=str(work / ".cache"))
    env.pop("VIRTUAL_ENV", None)
    return env


def _policywatch_cmd(portal: Portal, work: Path) -> list[str]:
    work.mkdir()
    cfg = _config(portal, work / "policywatch.toml", f"sqlite:///{work / 'policywatch.db'}")
    cmd = [str(Path(sys.executable).with_name("policywatch")), "crawl", "bulk", "--config", str(cfg)]
    for item in SETTINGS:
        cmd += ["--set", item]
    return cmd


def _bare_cmd(portal: Portal, *, cache: bool) -> list[str]:
    spider = Path(__file__).with_name("bare_spider.py")
    cmd = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"start={portal.url(C.BULK_LIST)}"]
    extra = ("HTTPCACHE_ENABLED=True", "HTTPCACHE_POLICY=benchmarks.bare_spider.Revalidating") if cache else ()
    for item in (*SETTINGS, *extra):
        if not item.startswith("POLICYWATCH_"):
            cmd += ["-s", item]
    return cmd


def _counted(portal: Portal, cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict[str, float]:
    mark = len(portal.hits)
    result = measured(cmd, env=env, cwd=cwd)
    hits = portal.hits[mark:]
    result["requests"] = len(hits)
    result["not_modified"] = sum(h.status == 304 for h in hits)
    return result


def _bare_runs(portal: Portal, work: Path) -> dict[str, dict[str, float]]:
    """The bare spider outside the project (no scrapy.cfg: none of crawler/settings.py applies)."""
    work.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # the cache policy is benchmarks.bare_spider's
    first = _counted(portal, _bare_cmd(portal, cache=False), work, env)
    measured(_bare_cmd(portal, cache=True), env=env, cwd=work)  # fills Scrapy's cache: not timed
    return {"first": first, "recheck": _counted(portal, _bare_cmd(portal, cache=True), work, env)}


def _tool_runs(tool: str, portal: Portal, work: Path) -> dict[str, dict[str, float]]:
    """The tool's first check and recheck of the unchanged site, with the portal's answers."""
    if tool == "bare":
        return _bare_runs(portal, work)
    if tool == "urlwatch":
        cmd, cwd = _urlwatch_files(portal, work), work
    else:
        cmd, cwd = _policywatch_cmd(portal, work), work
    env = _isolated_env(work) if tool == "urlwatch" else None
    return {check: _counted(portal, cmd, cwd, env) for check in ("first", "recheck")}


TOOLS = ("urlwatch", "policywatch", "bare")


def rounds_for(pages: int) -> list[dict[str, dict[str, dict[str, float]]]]:
    rounds = []
    with Portal(bulk=pages) as portal:
        for r in range(ROUNDS):
            order = TOOLS if r % 2 == 0 else TOOLS[::-1]
            with tempfile.TemporaryDirectory() as tmp:
                rounds.append({tool: _tool_runs(tool, portal, Path(tmp) / tool) for tool in order})
            portal.hits.clear()
    return rounds


def run() -> str:
    urlwatch_bin()  # installed before anything is timed
    results = {pages: rounds_for(pages) for pages in SIZES}
    return markdown(results)


def markdown(results: dict[int, list[dict[str, dict[str, dict[str, float]]]]]) -> str:
    lines = [
        "## Revalidating an unchanged site: policywatch against urlwatch 2.29",
        "",
        f"Command: `python -m benchmarks.run urlwatch` (BENCH_URLWATCH_PAGES={','.join(map(str, SIZES))}, "
        f"BENCH_URLWATCH_ROUNDS={ROUNDS}). The demo portal on 127.0.0.1 serves N generated gkmlpt notices "
        "(25 per list page, ETag and Last-Modified on every page). urlwatch "
        f"{URLWATCH_VERSION} (from PyPI, in a venv under .bench/) checks one `url` job per list page and "
        "notice, every reporter off, its own cache database; policywatch runs `policywatch crawl bulk "
        f"{' '.join('--set ' + s for s in SETTINGS)}` (politeness off, SQLite). Each round runs one tool's "
        "first check and its recheck of the unchanged site, then the other's, in a fresh directory, the "
        "order alternating; medians over the rounds. *wall s*: the command start to exit; *CPU s*: user + "
        "system time of its whole process tree; *peak MB*: the largest summed RSS of the tree, sampled every "
        f"{SAMPLE_S * 1000:.0f} ms from /proc; *304s*: the portal's answers to the run. Ratios: policywatch "
        "and the bare Scrapy spider (benchmarks/bare_spider.py: its first check with Scrapy's defaults, its "
        "recheck the second run with Scrapy's HTTP cache on, revalidating every page) over urlwatch (range over the rounds).",
        "",
        "| pages | check | tool | requests | 304s | wall s | CPU s | peak MB | wall x | CPU x | memory x |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for pages, rounds in results.items():
        for check in ("first", "recheck"):
            for tool in TOOLS:
                runs = [rnd[tool][check] for rnd in rounds]

                def med(key: str, runs: list[dict[str, float]] = runs) -> float:
                    return statistics.median(r[key] for r in runs)

                ratios = "- | - | -"
                if tool != "urlwatch":
                    cells = []
                    for key in ("wall", "cpu", "memory"):
                        rs = [rnd[tool][check][key] / rnd["urlwatch"][check][key] for rnd in rounds]
                        cells.append(f"{statistics.median(rs):.2f}x ({min(rs):.2f}-{max(rs):.2f})")
                    ratios = " | ".join(cells)
                lines.append(
                    f"| {pages:,} | {check} | {tool} | {med('requests'):,.0f} | {med('not_modified'):,.0f} | "
                    f"{med('wall'):.2f} | {med('cpu'):.2f} | {med('memory'):.0f} | {ratios} |"
                )
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
