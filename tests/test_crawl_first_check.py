"""What keeps a first crawl's fixed costs down: the writer's import set, and the runner's gate
that lets Scrapy start while `policywatch crawl` syncs the subscriptions."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from crawler.pipelines import _wait_for
from policywatch.scheduler.local_runner import _held

ROOT = Path(__file__).resolve().parent.parent

WRITER_IMPORTS = """
import sys
from crawler import writer
writer.warm_up()
from crawler.list_facts import apply
print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted', 'numpy', 'rapidfuzz'}),
      'pipeline.compare' in sys.modules)
"""


def test_a_warmed_writer_has_imported_neither_scrapy_nor_the_comparer():
    out = subprocess.run(
        [sys.executable, "-c", WRITER_IMPORTS], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert out == ["[]", "False"]


def test_the_crawl_waits_on_the_gate_until_the_runner_lets_go(tmp_path):
    gate = tmp_path / "run.starting"
    held = threading.Event()
    released: list[float] = []

    def runner() -> None:
        with _held(gate):
            held.set()
            time.sleep(0.5)
            released.append(time.monotonic())

    thread = threading.Thread(target=runner)
    thread.start()
    held.wait(10)
    _wait_for(str(gate))
    waited_until = time.monotonic()
    thread.join()
    assert released and waited_until >= released[0]
    assert not gate.exists()  # removed once released
    _wait_for(str(gate))  # a gate already gone: nothing to wait for


def test_no_gate_is_no_wait(tmp_path):
    with _held(None):
        pass
    started = time.monotonic()
    _wait_for(str(tmp_path / "never-made"))
    assert time.monotonic() - started < 1


def test_a_failing_subscription_sync_ends_the_crawl_it_was_overlapping(tmp_path):
    """`before_crawl` runs while Scrapy starts: when it fails, that Scrapy process must not go on."""
    import pytest

    from policywatch.scheduler.local_runner import SubprocessRunner
    from policywatch.scheduler.settings import CrawlSettings

    cfg = tmp_path / "policywatch.toml"
    cfg.write_text(
        '[[sites]]\nname = "s"\nstart_urls = ["http://127.0.0.1:9/list.html"]\n'
        'link_selector = "a::attr(href)"\ndetail_pattern = "/post_\\\\d+\\\\.html$"\n',
        encoding="utf-8",
    )

    def boom() -> None:
        raise RuntimeError("sync failed")

    runner = SubprocessRunner(CrawlSettings(), cfg, f"sqlite:///{tmp_path / 'pw.db'}", before_crawl=boom)
    with pytest.raises(RuntimeError, match="sync failed"):
        runner.run("s", "manual-test")
    assert not runner._procs
    assert not list((tmp_path / ".policywatch" / "logs").glob("*.starting"))
