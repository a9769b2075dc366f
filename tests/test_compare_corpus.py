"""compare on real pages: generated revisions with known edits, the control pairs, the CLI."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from pipeline.compare import compare, is_text_unit
from pipeline.normalize import normalize
from pipeline.schema import Document
from policywatch.cli import main
from tests.revisions import PAIRS, RECIPES, Generator, Score, corpus_files, measure_pool, reported_keys

KINDS = ("added", "removed", "modified", "moved", "split", "merged", "cosmetic")


def load(path: Path) -> Document:
    return normalize(path.read_bytes(), filename=path.name)


@pytest.fixture(scope="module")
def bases() -> dict[Path, Document]:
    return {p: load(p) for p in corpus_files()}


def test_generated_revisions_are_found_exactly(bases: dict[Path, Document]) -> None:
    pool = measure_pool(list(bases.values()))
    score = Score()
    count = 0
    quiet_failures = []
    for path, doc in bases.items():
        if len(doc.measures()) < 4:
            continue
        own = {m.text for m in doc.measures()}
        gen = Generator(path, normalize, [t for t in pool if t not in own])
        for recipe in RECIPES:
            rev = gen.revision(recipe, seed=0)
            if rev is None:
                continue
            count += 1
            cs = compare(rev.old, rev.new)
            score.add(reported_keys(cs), rev.truth)
            if recipe in ("chrome", "cosmetic") and cs.reportable():
                quiet_failures.append(rev.name)
    assert count >= 150
    assert quiet_failures == []
    for kind in KINDS:
        assert score.precision(kind) >= 0.98, (kind, score)
        assert score.recall(kind) >= 0.98, (kind, score)


@pytest.mark.parametrize("pair", ["xfmt-jianchafa-html-vs-md", "xfmt-scztdj-html-vs-md", "lawref-18"])
def test_control_pairs_report_no_measure_change(pair: str) -> None:
    files = sorted((PAIRS / pair).iterdir())
    old, new = files[1], files[0]  # sorted: html before md, new.md before old.md
    cs = compare(load(old), load(new))
    measures = [c for c in cs.changes if not is_text_unit((c.old or c.new).path)]
    kinds = Counter(c.kind for c in measures)
    assert kinds["added"] == kinds["removed"] == kinds["modified"] == 0, kinds
    assert cs.unchanged > 50
    # Text outside the measures is compared too. The HTML republications print what the Markdown
    # keeps in its info header (an editor's preface, the 公布 line): at most the preamble differs.
    others = {c.old.path if c.old else c.new.path for c in cs.changes if c not in measures}
    assert others <= {"preamble"}, others


def test_width_only_copies_are_cosmetic() -> None:
    cs = compare(load(PAIRS / "lawref-18" / "old.md"), load(PAIRS / "lawref-18" / "new.md"))
    # old.md alone carries a preface paragraph (2012年8月31日…) before its articles: a real difference
    reportable = [c for c in cs.reportable() if not is_text_unit((c.old or c.new).path)]
    assert reportable == [] and len(cs.by_kind("cosmetic")) > 0


def test_real_amendment_renumbers_without_cascading() -> None:
    # 2019 -> 2023 收养登记办法: one article added, the rest renumbered, a few edited
    cs = compare(load(PAIRS / "lawref-22" / "old.md"), load(PAIRS / "lawref-22" / "new.md"))
    kinds = Counter(c.kind for c in cs.changes)
    assert kinds["added"] >= 1 and kinds["removed"] == 0
    assert cs.renumbered > 0
    assert kinds["modified"] < cs.unchanged


def test_cli_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    old, new = PAIRS / "lawref-22" / "old.md", PAIRS / "lawref-22" / "new.md"
    assert main(["compare", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "修改条款" in out and "→" in out  # the vocabulary's Chinese label, the CLI's default
    assert main(["--lang", "en", "compare", str(old), str(new)]) == 0
    assert "modified" in capsys.readouterr().out
    assert main(["compare", str(old), str(new), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    change = data["changes"][0]
    assert {"kind", "old", "new", "similarity", "diff"} <= set(change)
    assert "metadata_changes" in data
    assert all(op in ("equal", "delete", "insert") for c in data["changes"] for op, _t in c["diff"])


def test_cli_unrelated_files_warn(capsys: pytest.CaptureFixture[str]) -> None:
    corpus = Path(__file__).parent / "data" / "corpus"
    assert main(["compare", str(corpus / "gz-05.html"), str(corpus / "lawref-18.md")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("警告：nothing aligns")


def test_cli_missing_file_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["compare", str(tmp_path / "nope.html"), str(tmp_path / "nope2.html")]) == 2
    err = capsys.readouterr().err
    assert "nope.html" in err and len(err.strip().splitlines()) == 1
