"""`policywatch demo`, live half: portal, crawl, advance the state, recrawl, changes written down."""

from __future__ import annotations

import json

from policywatch.cli import main


def test_demo_crawls_the_portal_through_its_states(tmp_path, capsys) -> None:
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "== crawl 4, state 3" in out
    steps = json.loads((tmp_path / "crawl" / "steps.json").read_text("utf-8"))
    assert [s["state"] for s in steps] == [1, 1, 2, 3]
    assert 'family = "gkmlpt"' in (tmp_path / "crawl" / "policywatch.toml").read_text("utf-8")
    assert all(r["status"] == "ok" for s in steps for r in s["runs"])
    kinds = [sorted(c["kind"] for c in s["changes"]) for s in steps]
    assert kinds[0] == ["document_added"] * 7
    assert kinds[1] == []  # unchanged: revalidated, nothing written
    assert all(r["not_modified"] == r["pages"] for r in steps[1]["runs"])
    assert kinds[2] == ["added", "document_added", "metadata", "modified", "removed"]
    # the metadata change: the funds table behind notice 2001's link was replaced
    assert [c["field"] for c in steps[2]["changes"] if c["kind"] == "metadata"] == ["attachment_content"]
    assert kinds[3] == ["withdrawn", "withdrawn"]  # a 404 and a delisting; the re-render adds nothing
    assert (tmp_path / "crawl" / "step3.txt").read_text("utf-8").count("zhaoqing") >= 4
    step4 = (tmp_path / "crawl" / "step4.txt").read_text("utf-8")
    assert "http 404" in step4 and "gone from its listing" in step4  # why each was withdrawn


def test_demo_without_crawl_skips_the_portal(tmp_path, capsys) -> None:
    assert main(["demo", "--no-crawl", "--out", str(tmp_path)]) == 0
    assert "== crawl" not in capsys.readouterr().out
    assert not (tmp_path / "crawl").exists()
