"""`policywatch demo` tells its story and writes it down."""

from __future__ import annotations

import json

from policywatch.cli import main


def test_demo_reports_exactly_the_three_edits(tmp_path, capsys) -> None:
    assert main(["demo", "--no-crawl", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "肇府函〔2019〕381号" in out
    changes = json.loads((tmp_path / "compare.json").read_text("utf-8"))["changes"]
    kinds = sorted(c["kind"] for c in changes)
    assert kinds == ["added", "modified", "removed"]
    modified = next(c for c in changes if c["kind"] == "modified")
    assert ["insert", "的，市财政给予一次性奖励100万元，并"] in modified["diff"]
    assert {p.name for p in tmp_path.iterdir()} >= {"compare.txt", "summary.txt", "zhaoqing-gkmlpt.tree.txt", "yulin-jiedu.json"}


def test_demo_writes_the_digests_of_its_changes(tmp_path, capsys) -> None:
    import email
    import email.policy

    assert main(["demo", "--no-crawl", "--out", str(tmp_path)]) == 0
    first = email.message_from_bytes((tmp_path / "digest-new-documents.eml").read_bytes(), policy=email.policy.default)
    assert "2 份文件" in str(first["Subject"])
    msg = email.message_from_bytes((tmp_path / "digest.eml").read_bytes(), policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "修改条款 1，新增条款 1，删除条款 1" in text
    html = (tmp_path / "digest.html").read_text("utf-8")
    assert "的，市财政给予一次性奖励100万元，并</ins>" in html and "肇府函〔2019〕381号" in html
    # the sites under their titles (the Zhaoqing page is 肇庆市人民政府's, the Yulin one 玉林市人民政府's),
    # not their config ids: the changes digest heads its site so, the new-documents one names it
    assert _texts(html, "h2") == {"肇庆市人民政府"}
    named = _texts((tmp_path / "digest-new-documents.html").read_text("utf-8"), "span", "v")
    assert "玉林市人民政府" in named and not {"zhaoqing", "yulin"} & named


def _texts(html: str, tag: str, cls: str | None = None) -> set[str]:
    from lxml import html as lxml_html

    return {
        " ".join(e.text_content().split())
        for e in lxml_html.fromstring(html).iter(tag)
        if cls is None or cls in (e.get("class") or "").split()
    }


def test_the_demo_serves_the_corpus_regulation_unchanged() -> None:
    """The portal's GB18030 条例 is a copy of the corpus page (packaged with the demo, which has no
    tests/ to read from); a corpus fix must reach the copy."""
    from pathlib import Path

    from policywatch.demo import PAGES

    corpus = Path(__file__).parent / "data" / "corpus" / "gz-37.html"
    assert (PAGES / "gz-37.html").read_bytes() == corpus.read_bytes()
