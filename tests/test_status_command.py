"""`policywatch status`: last run, next run from the job store, failures in a row; exit 1 when failing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from policywatch.cli import main
from storage.crawl_runs import finish_run, start_run

SITES = "".join(
    f'[[sites]]\nname = "{n}"\nstart_urls = ["http://127.0.0.1:9/{n}/"]\ndetail_pattern = "x"\n\n'
    for n in ("good", "bad", "idle")
)


def _seed(db) -> datetime:
    t = datetime(2026, 11, 23, 6, 0, 0)
    run = start_run(db, "good", "2026-11-23T05:00:00Z", at=t - timedelta(hours=1))
    finish_run(db, run, status="failed", pages=0, changed=0, errors=2, stats={"finish_reason": "finished"})
    run = start_run(db, "good", "2026-11-23T06:00:00Z", at=t)
    finish_run(db, run, status="ok", pages=41, changed=5, errors=0,
               stats={"outcomes": {"new": 2, "changed": 1, "unchanged": 38}, "finish_reason": "finished"})
    for i in range(3):
        run = start_run(db, "bad", f"2026-11-23T0{3 + i}:00:00Z", at=t - timedelta(hours=3 - i))
        finish_run(db, run, status="failed", pages=0, changed=0, errors=1, stats={"finish_reason": "killed: time limit of 3s"})
    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(engine=db.writer_engine)}, timezone=UTC)
    scheduler.start(paused=True)
    nxt = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    scheduler.add_job("policywatch.scheduler.jobs:crawl_job", "interval", args=("good",), id="crawl:good",
                      hours=6, next_run_time=nxt)
    scheduler.shutdown(wait=False)
    return t


def test_status_table_json_and_exit_code(db, db_url, tmp_path, capsys):
    _seed(db)
    cfg = tmp_path / "policywatch.toml"
    cfg.write_text(SITES, encoding="utf-8")
    assert main(["--lang", "en", "status", "--config", str(cfg), "--db", db_url]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == "scheduler: not running"
    assert lines[1].split()[:5] == ["site", "title", "last", "run", "(Asia/Shanghai)"]
    good = lines[3].split()  # 06:00 and 12:00 UTC read in Asia/Shanghai (UTC+8), the config's default zone
    assert good[:3] == ["good", "2026-11-23", "14:00:00"]
    assert good[4:10] == ["41", "3", "5", "0", "ok", "0"] and good[-2:] == ["2030-01-01", "20:00:00"]
    assert lines[4].split()[0] == "bad" and lines[4].split()[-4:] == ["failed", "3", "not", "scheduled"]
    assert lines[5].split() == ["idle", "never", "0", "not", "scheduled"]
    assert captured.err.strip() == (
        "policywatch: failing: bad (killed: time limit of 3s) (see the crawl logs; `policywatch crawl SITE` to retry)"
    )

    assert main(["status", "--config", str(cfg), "--db", db_url, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    by = {s["site"]: s for s in report["sites"]}
    assert by["good"]["last_run"] == {
        "slot": "2026-11-23T06:00:00Z", "started": "2026-11-23T06:00:00Z", "seconds": by["good"]["last_run"]["seconds"],
        "status": "ok", "pages": 41, "new_versions": 3, "changes": 5, "errors": 0, "reason": "finished",
    }
    assert by["good"]["next_run"] == "2030-01-01T12:00:00Z" and by["good"]["consecutive_failures"] == 0
    assert by["bad"]["consecutive_failures"] == 3 and by["bad"]["last_run"]["reason"] == "killed: time limit of 3s"
    assert by["idle"]["last_run"] is None and by["idle"]["scheduled"] is False


def test_status_of_a_healthy_database_exits_0(db, db_url, tmp_path, capsys):
    run = start_run(db, "good", "s1")
    finish_run(db, run, status="ok", pages=1, changed=0, errors=0)
    cfg = tmp_path / "policywatch.toml"
    cfg.write_text(SITES.split("\n\n")[0] + "\n", encoding="utf-8")
    assert main(["status", "--config", str(cfg), "--db", db_url]) == 0
    assert capsys.readouterr().err == ""
