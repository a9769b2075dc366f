"""The analyst commands on both backends, and their one-line errors (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from policywatch.cli import main
from policywatch.flow import Page, record_page, reprocess
from tests.test_storage_support import DATA, page_text, simple_normalize

T0 = datetime(2024, 1, 1, 9, 0)
URL = "http://www.gov.cn/zhengce/a.html"


@pytest.fixture
def filled(db, db_url):
    """lawref-22 old -> new (real normalizer), plus a small second document on another site."""
    for i, name in enumerate(("old.md", "new.md")):
        body = (DATA / "pairs/lawref-22" / name).read_bytes()
        record_page(
            db, Page(url=URL, body=body, site="gov", filename=name, fetched_at=T0 + timedelta(days=30 * i))
        )
    record_page(
        db,
        Page(
            url="http://e.gov.cn/x",
            body=page_text(1, number="测试〔2024〕1号").encode(),
            site="e",
            fetched_at=T0,
        ),
        normalizer=simple_normalize,
    )
    return db_url


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """The command in English (the messages asserted here are the catalogue's msgids); the
    Chinese tables are tests/test_cli_lang.py's."""
    code = main(["--lang", "en", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_history(filled, capsys):
    code, out, _ = run(capsys, "history", URL, "--db", filled)
    assert code == 0 and "document added 1" in out  # the vocabulary's English label
    code, out, _ = run(capsys, "history", "1", "--json", "--db", filled)
    data = json.loads(out)
    assert [v["seq"] for v in data["versions"]] == [1, 2]
    assert data["versions"][1]["changes"]["modified"] >= 1


def test_doc_by_doc_number_any_brackets(filled, capsys):
    code, out, _ = run(capsys, "history", "测试[2024]1号", "--json", "--db", filled)
    assert code == 0 and json.loads(out)["document"]["url"] == "http://e.gov.cn/x"


def test_diff_stored_and_compared_agree(filled, capsys):
    code, out, _ = run(capsys, "diff", URL, "--json", "--db", filled)
    stored = json.loads(out)
    assert code == 0 and stored["source"] == "stored" and (stored["from"], stored["to"]) == (1, 2)
    assert any(c["kind"] == "added" for c in stored["changes"])
    code, out, _ = run(capsys, "diff", URL, "--from", "2", "--to", "1", "--json", "--db", filled)
    assert json.loads(out)["source"] == "compared"
    code, out, _ = run(capsys, "diff", URL, "--db", filled)
    assert code == 0 and "{+民法典+}" in out


def test_changes_filters(filled, capsys):
    code, out, _ = run(
        capsys, "changes", "--json", "--site", "gov", "--kind", "added,modified", "--db", filled
    )
    rows = json.loads(out)
    assert (
        rows and {r["kind"] for r in rows} <= {"added", "modified"} and {r["site"] for r in rows} == {"gov"}
    )
    code, out, _ = run(capsys, "changes", "--since", "2030-01-01", "--db", filled)
    assert code == 0 and "no changes" in out


def test_show_as_of(filled, capsys):
    code, out, _ = run(capsys, "show", URL, "--as-of", "2024-01-15", "--db", filled)
    assert code == 0 and "version 1" in out and "收养法" in out
    code, out, _ = run(capsys, "show", URL, "--db", filled)
    assert "version 2" in out and "民法典" in out
    code, _, err = run(capsys, "show", URL, "--as-of", "2023-12-31", "--db", filled)
    assert code == 2 and "no version on 2023-12-31" in err


def test_search(filled, capsys):
    code, out, _ = run(capsys, "search", "收养法", "--json", "--db", filled)
    latest = json.loads(out)
    code, out, _ = run(capsys, "search", "收养法", "--all-versions", "--json", "--db", filled)
    every = json.loads(out)
    assert {r["version"] for r in every} == {1} and not latest  # the 2023 text says 民法典
    code, out, _ = run(capsys, "search", "民 法 典", "--json", "--db", filled)  # spaces do not matter
    assert code == 0 and {r["version"] for r in json.loads(out)} == {2}


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export(filled, capsys, tmp_path, fmt):
    out_file = tmp_path / f"x.{fmt}"
    code, _, _ = run(capsys, "export", "--format", fmt, "--out", str(out_file), "--db", filled)
    body = out_file.read_text(encoding="utf-8")
    assert code == 0 and "民法典" in body
    if fmt == "jsonl":
        rows = [json.loads(line) for line in body.splitlines()]
        assert rows[0]["kind"] == "document_added"
    code, out, _ = run(capsys, "export", "--format", fmt, "--since", "2030-01-01", "--db", filled)
    assert code == 0 and "民法典" not in out


def test_reprocess_rebuilds_from_raw(db, db_url, capsys):
    """Recorded with a normalizer that drops the last article; reprocessing restores it."""

    def lossy(data, url="", headers=None, filename=""):
        doc = simple_normalize(data, url, headers, filename)
        doc.sections[0].measures = doc.sections[0].measures[:-1]
        return doc

    for i in range(3):
        record_page(
            db,
            Page(url=URL, body=page_text(1, edit=5 if i == 1 else 0, articles=5 + i).encode(), fetched_at=T0),
            normalizer=lossy,
        )
    report = reprocess(db, normalizer=simple_normalize)
    assert (report.documents, report.versions, report.changed_schema) == (1, 3, 3)
    code, out, _ = run(capsys, "history", URL, "--json", "--db", db_url)
    assert [v["measures"] for v in json.loads(out)["versions"]] == [5, 6, 7]
    code, out, _ = run(capsys, "diff", URL, "--json", "--db", db_url)
    assert code == 0 and [c["kind"] for c in json.loads(out)["changes"]] == ["modified", "added"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["history", "999"], "DOC 999: no document"),
        (["history", "http://nowhere.example/x"], "no document was recorded"),
        (["history", "不存在〔2020〕9号"], "not an id, a URL or a known 文号"),
        (["changes", "--since", "2024-13-45"], "--since: '2024-13-45' is not a date"),
        (["show", "1", "--as-of", "yesterday"], "--as-of: 'yesterday' is not a date"),
        (["diff", "1", "--from", "x"], "version 'x'"),
        (["diff", "1", "--from", "7"], "has versions 1..2"),
        (["changes", "--kind", "bogus"], "unknown kind"),
    ],
)
def test_bad_input_is_one_line_exit_2(filled, capsys, argv, message):
    code, _, err = run(capsys, *argv, "--db", filled)
    assert code == 2
    assert message in err and err.count("\n") == 1


def test_newer_schema_exit_2(db, db_url, capsys):
    with db.writer() as s:
        s.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    for argv in (["history", "1"], ["db", "upgrade"], ["changes"]):
        code, _, err = run(capsys, *argv, "--db", db_url)
        assert code == 2 and "newer than this policywatch" in err and err.count("\n") == 1


def test_unconnectable_database_exit_2_without_traceback(tmp_path):
    for url in ("postgresql://nobody@127.0.0.1:1/none", "mysql://x@y/z", str(tmp_path / "missing.db")):
        proc = subprocess.run(
            [sys.executable, "-m", "policywatch.cli", "history", "1", "--db", url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_env_var_names_the_database(filled, capsys, monkeypatch):
    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", filled)
    code, out, _ = run(capsys, "history", "1", "--json")
    assert code == 0 and json.loads(out)["document"]["id"] == 1


def test_db_upgrade_creates_and_is_idempotent(db_url, capsys):
    from storage.migrate import head

    code, out, _ = run(capsys, "db", "upgrade", "--db", db_url)
    assert code == 0 and f"(empty) -> {head()}" in out
    code, out, _ = run(capsys, "db", "upgrade", "--db", db_url)
    assert code == 0 and f"{head()} -> {head()}" in out
