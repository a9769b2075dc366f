"""Scale-out: two Scrapyd nodes on loopback, the project deployed with scrapyd-deploy, the
scheduler dispatching to the least busy node (a dead node in the list is skipped), every
document recorded once in one PostgreSQL schema."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from policywatch.demo.portal import Portal
from storage.db import connect
from storage.models import Document, Version
from tests.test_notify_support import free_port
from tests.test_scheduler_support import ROOT, DaemonProcess, daemon_config, runs, wait_runs

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(240)]
BIN = Path(sys.executable).parent


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())


@pytest.fixture
def scrapyd_nodes(tmp_path):
    """Two scrapyd processes, each in its own directory with its own scrapyd.conf."""
    procs, urls = [], []
    try:
        for name in ("node1", "node2"):
            home = tmp_path / name
            home.mkdir()
            port = free_port()
            (home / "scrapyd.conf").write_text(
                "[scrapyd]\nbind_address = 127.0.0.1\n"
                f"http_port = {port}\neggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\n"
                f"dbs_dir = {home / 'dbs'}\nmax_proc = 1\npoll_interval = 0.2\n",
                encoding="utf-8",
            )
            log = (home / "scrapyd.out").open("wb")
            procs.append(subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=log, stderr=subprocess.STDOUT))
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            for _ in range(100):
                try:
                    _get(f"{url}/daemonstatus.json")
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail(f"scrapyd at {url} did not start")
        yield urls
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def deploy(urls: list[str], workdir: Path) -> str:
    """scrapyd-deploy -a: build the crawler egg once per target and upload it (addversion.json).

    The egg carries the Scrapy project (crawler/); a node has policywatch installed (storage,
    pipeline, the config parser), as `pip install policywatch[scrapyd]` gives it.
    """
    project = workdir / "deploy"
    shutil.copytree(ROOT / "crawler", project / "crawler", ignore=shutil.ignore_patterns("__pycache__"))
    targets = "".join(f"[deploy:node{i}]\nurl = {u}/\nproject = policywatch\n\n" for i, u in enumerate(urls, 1))
    (project / "scrapy.cfg").write_text(f"[settings]\ndefault = crawler.settings\n\n{targets}", encoding="utf-8")
    (project / "setup.py").write_text(
        "from setuptools import setup\n"
        "setup(name='policywatch-crawler', version='1.0', packages=['crawler', 'crawler.spiders'],\n"
        "      entry_points={'scrapy': ['settings = crawler.settings']})\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "-a", "--version", "r1"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_crawls_spread_over_two_scrapyd_nodes_and_record_every_document_once(db_url, scrapyd_nodes, tmp_path):
    answer = deploy(scrapyd_nodes, tmp_path)
    assert answer.count('"status": "ok"') == 2, answer
    dead = f"http://127.0.0.1:{free_port()}"
    nodes = ", ".join(f'"{u}"' for u in [dead, *scrapyd_nodes])
    with Portal() as portal:
        cfg = daemon_config(
            tmp_path / "policywatch.toml",
            portal,
            db_url,
            jobs="zhaoqing = { interval_seconds = 3 }, yulin = { interval_seconds = 3 }",
            crawl=f'runner = "scrapyd"\n\n[crawl.scrapyd]\nnodes = [{nodes}]\npoll_seconds = 0.3\n',
        )
        t0 = time.monotonic()
        with DaemonProcess(cfg, tmp_path / "daemon.log") as d:
            d.wait_for("leader: lock acquired")
            wait_runs(db_url, 2, site="zhaoqing", timeout=60)
            wait_runs(db_url, 2, site="yulin", timeout=60)
            assert d.stop() == 0
        elapsed = time.monotonic() - t0
    log = d.text()
    # warned at start-up (in the CLI's language, Chinese by default), then skipped
    assert f"[crawl] scrapyd.nodes[0]：{dead}: unreachable (" in log and "；改用其他节点" in log
    assert "Traceback" not in log
    finished = {u: _get(f"{u}/listjobs.json?project=policywatch")["finished"] for u in scrapyd_nodes}
    assert all(finished.values()), finished  # both nodes took crawls
    recorded = [r for r in runs(db_url) if r.status != "running"]
    assert all(r.status == "ok" for r in recorded), [(r.slot, r.status, r.stats) for r in recorded]
    db = connect(db_url)
    try:
        with db.reader() as s:
            docs = s.scalar(select(func.count()).select_from(Document))
            urls = s.scalar(select(func.count(func.distinct(Document.canonical_url))))
            versions = s.execute(select(Version.document_id, func.count()).group_by(Version.document_id)).all()
    finally:
        db.dispose()
    assert docs == urls == len(versions) > 0
    assert all(n == 1 for _, n in versions)  # re-crawled on either node, never stored twice
    print(f"{len(recorded)} runs over {len(scrapyd_nodes)} nodes in {elapsed:.1f}s, {docs} documents")
