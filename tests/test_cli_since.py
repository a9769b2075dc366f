"""`diff DOC --since DATE` and `changes --document DOC` on the demo portal's story, crawled for
real: state 1, then state 2 (the Zhaoqing 实施意见 revised: measure 3 reworded, a measure
inserted after 4, old 16 deleted; a new notice 2003), then state 3 (notice 2002 withdrawn, the
实施意见 re-rendered with chrome changes only). The expected changes are those edits, read from
policywatch.demo.story and policywatch.demo.portal.content."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from policywatch.cli import main
from policywatch.commands.crawl import crawl_site
from policywatch.demo.portal import Portal
from policywatch.demo.portal import content as C
from policywatch.demo.portal.config import write_config
from policywatch.demo.story import INSERTED, REWORD
from storage.models import utcnow

FAST = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "RETRY_BACKOFF_BASE=0.01")
DELETED = "完善公共配套服务"  # the heading of the measure state 2 deletes


@dataclass
class Story:
    db_url: str
    revised: str  # the URL of the 实施意见 (two versions)
    added: str  # the notice new in state 2
    withdrawn_number: str  # the 文号 of the notice withdrawn in state 3
    cuts: list[str]  # a moment after each state's crawl, ISO


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Story:
    tmp: Path = tmp_path_factory.mktemp("since")
    db_url = f"sqlite:///{tmp / 'policywatch.db'}"
    cuts = []
    with Portal() as portal:
        cfg = write_config(portal, tmp / "policywatch.toml", db_url=db_url)
        for state in (1, 2, 3):
            portal.state = state
            run = crawl_site(cfg, "zhaoqing", db_url, settings=FAST, timeout=120)
            assert run.status == "ok", run.reason
            cuts.append(utcnow().isoformat())
        return Story(
            db_url,
            portal.url(C.ZQ_DETAIL.format(1840123)),
            portal.url(C.ZQ_DETAIL.format(2003)),
            C.NOTICES[2002][1],
            cuts,
        )


def _json(capsys, *argv: str) -> object:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _texts(change: dict) -> str:
    return "".join((change[side] or {}).get("text", "") for side in ("old", "new"))


def test_diff_since_after_the_first_crawl_is_the_revision(story, capsys):
    data = _json(capsys, "diff", story.revised, "--since", story.cuts[0], "--db", story.db_url)
    assert (data["from"], data["to"], data["first_seen_after"]) == (1, 2, False)
    by_kind = {c["kind"]: c for c in data["changes"]}
    assert sorted(by_kind) == ["added", "modified", "removed"]
    assert REWORD[1] in by_kind["modified"]["new"]["text"] and REWORD[0] not in by_kind["modified"]["new"]["text"]
    assert INSERTED in by_kind["added"]["new"]["text"]
    assert by_kind["removed"]["new"] is None and DELETED in by_kind["removed"]["old"]["text"]
    # the table says the same, newest version last
    assert main(["--lang", "en", "diff", story.revised, "--since", story.cuts[0], "--db", story.db_url]) == 0
    out = capsys.readouterr().out
    assert ": version 1 -> 2 (stored)" in out.splitlines()[0]
    assert [line.split()[0] for line in out.splitlines()[3:]] == ["modified", "added", "removed"]


def test_diff_since_the_last_revision_finds_nothing(story, capsys):
    # state 3 changed only the page's chrome, which records no version
    data = _json(capsys, "diff", story.revised, "--since", story.cuts[1], "--db", story.db_url)
    assert (data["from"], data["to"], data["changes"], data["metadata_changes"]) == (2, 2, [], [])
    assert main(["--lang", "en", "diff", story.revised, "--since", story.cuts[1], "--db", story.db_url]) == 0
    # the table's times are in the config's zone (none here: Asia/Shanghai), the cut is UTC
    cut = datetime.fromisoformat(story.cuts[1]).replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    assert capsys.readouterr().out.splitlines()[-1] == f"no changes since {cut:%Y-%m-%d %H:%M}"


def test_diff_since_before_the_document_existed(story, capsys):
    data = _json(capsys, "diff", story.revised, "--since", "2020-01-01", "--db", story.db_url)
    assert (data["from"], data["to"], data["first_seen_after"]) == (1, 2, True)
    assert sorted(c["kind"] for c in data["changes"]) == ["added", "modified", "removed"]
    # the notice first listed in state 2 has one version: new since then, nothing changed after it
    assert main(["--lang", "en", "diff", story.added, "--since", story.cuts[0], "--db", story.db_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("(first seen ") and "new since then" in lines[1]
    assert lines[-1] == "no changes since its first version"


def test_diff_since_is_not_given_with_from(story, capsys):
    assert main(["--lang", "en", "diff", story.revised, "--since", "2020-01-01", "--from", "1", "--db", story.db_url]) == 2
    assert "--since" in capsys.readouterr().err
    assert main(["--lang", "en", "diff", story.revised, "--since", "March", "--db", story.db_url]) == 2
    assert "--since: 'March' is not a date" in capsys.readouterr().err


def test_changes_of_one_document_by_url(story, capsys):
    everything = _json(capsys, "changes", "--db", story.db_url)
    rows = _json(capsys, "changes", "--document", story.revised, "--db", story.db_url)
    assert len({r["document_id"] for r in everything}) > 1  # the filter has something to leave out
    assert {r["url"] for r in rows} == {story.revised}
    # newest first: the three edits of state 2, then the document's arrival in state 1
    assert [r["kind"] for r in rows][-1] == "document_added"
    assert sorted(r["kind"] for r in rows[:-1]) == ["added", "modified", "removed"]
    assert {r["version"] for r in rows[:-1]} == {2}
    assert rows == [r for r in everything if r["url"] == story.revised]


def test_changes_of_one_document_by_doc_number_and_id(story, capsys):
    rows = _json(capsys, "changes", "--document", story.withdrawn_number, "--db", story.db_url)
    # listed in state 1, gone (404 and off the list) in state 3
    assert [r["kind"] for r in rows] == ["withdrawn", "document_added"]
    assert {r["doc_number"] for r in rows} == {story.withdrawn_number}
    by_id = _json(capsys, "changes", "--document", str(rows[0]["document_id"]), "--kind", "withdrawn", "--db", story.db_url)
    assert by_id == rows[:1]


def test_changes_of_an_unknown_document_is_exit_2(story, capsys):
    assert main(["--lang", "en", "changes", "--document", "http://127.0.0.1:9/none.html", "--db", story.db_url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("policywatch: DOC http://127.0.0.1:9/none.html: no document was recorded") and err.count("\n") == 1
