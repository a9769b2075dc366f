"""The pieces of compare on small hand-built documents: spans, assignment, each change kind."""

from __future__ import annotations

import itertools

import numpy as np

from pipeline.align import _hungarian_max, assign, longest_increasing
from pipeline.compare import compare
from pipeline.inline_diff import inline_diff
from pipeline.schema import Document, Measure, Section
from pipeline.text import norm_text, text_hash

A = [
    "对符合条件的中小微企业，给予不超过50万元的一次性补贴。",
    "各区要建立健全工作机制，明确责任分工，确保各项措施落到实处。",
    "加强人才队伍建设，支持高校毕业生到基层就业，按规定给予社会保险补贴。",
    "鼓励金融机构加大信贷支持力度，降低企业融资成本。",
    "市财政局负责资金保障，市人力资源社会保障局负责组织实施。本办法自发布之日起施行，有效期五年。",
]
B = [
    "推进数字政府建设，提升政务服务效能，实现一网通办。",
    "完善公共服务体系，提高基本公共服务均等化水平。",
    "严格落实安全生产责任制，开展隐患排查治理。",
]


def doc(*sections: tuple[str, list[str]]) -> Document:
    out = []
    for si, (title, texts) in enumerate(sections, 1):
        s = Section(label=f"{si}、", ordinal=si, level=1, path=str(si), title=title)
        for mi, t in enumerate(texts, 1):
            n = norm_text(t)
            s.measures.append(
                Measure(label=f"{mi}.", path=f"{si}.{mi}", text=t, norm_text=n, hash=text_hash(n))
            )
        out.append(s)
    return Document(title="测试", sections=out)


def kinds(cs) -> list[str]:
    return [c.kind for c in cs.changes]


def test_spans_are_word_sized_and_rebuild_both_texts() -> None:
    old = "对符合条件的中小微企业，给予不超过50万元的一次性补贴。"
    new = "对符合条件的中小企业,给予不超过80万元的一次性奖励补贴，自2026年1月1日起施行。"
    spans = inline_diff(old, new)
    assert ("delete", "50") in spans and ("insert", "80") in spans  # whole numbers, not 5 -> 8
    assert "".join(t for op, t in spans if op != "delete") == new
    # the width-only comma change is not an edit of its own
    assert all("," not in t for op, t in spans if op != "equal")


def test_spans_fold_confetti() -> None:
    spans = inline_diff("甲乙丙丁戊己", "甲子丙寅戊己")
    assert spans == [("equal", "甲"), ("delete", "乙丙丁"), ("insert", "子丙寅"), ("equal", "戊己")]


def test_hungarian_is_optimal_on_random_blocks() -> None:
    rng = np.random.default_rng(7)
    for _ in range(100):
        n = int(rng.integers(1, 6))
        m = int(rng.integers(n, 7))
        w = rng.random((n, m))
        best = max(sum(w[i, c[i]] for i in range(n)) for c in itertools.permutations(range(m), n))
        assert abs(sum(w[i, j] for i, j in _hungarian_max(w)) - best) < 1e-9


def test_assignment_beats_greedy_when_the_best_pair_would_steal() -> None:
    scores = np.array([[80, 81], [10, 80]], dtype=np.uint8)
    pairs = assign(scores, 60, np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    assert sorted((r, c) for r, c, _ in pairs) == [(0, 0), (1, 1)]


def test_assignment_breaks_ties_by_position() -> None:
    scores = np.full((2, 2), 90, dtype=np.uint8)
    pairs = assign(scores, 60, np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    assert sorted((r, c) for r, c, _ in pairs) == [(0, 0), (1, 1)]


def test_lis_leaves_out_the_jumper() -> None:
    assert longest_increasing([0, 1, 5, 2, 3, 4]) == {0, 1, 3, 4, 5}


def test_identical_documents_report_nothing() -> None:
    cs = compare(doc(("总体要求", A), ("保障措施", B)), doc(("总体要求", A), ("保障措施", B)))
    assert cs.changes == [] and cs.unchanged == 8 and cs.metadata_changes == []


def test_insertion_renumbers_without_reporting_it() -> None:
    a2 = [*A[:1], "建立企业家联系制度，定期听取企业意见建议。", *A[1:]]
    cs = compare(doc(("总体要求", A)), doc(("总体要求", a2)))
    assert kinds(cs) == ["added"]
    assert cs.changes[0].new.label == "2."
    assert cs.renumbered == 4


def test_deletion_and_rewording() -> None:
    a2 = [A[0].replace("50万元", "80万元"), *A[2:]]
    cs = compare(doc(("总体要求", A)), doc(("总体要求", a2)))
    assert sorted(kinds(cs)) == ["modified", "removed"]
    mod = cs.by_kind("modified")[0]
    assert ("delete", "50") in mod.diff and 80 < mod.similarity < 100
    assert cs.by_kind("removed")[0].old.label == "2."


def test_cosmetic_changes_are_not_reportable() -> None:
    a2 = [A[0].replace("，", ", ").replace("50", "５０"), A[1].replace("。", "."), *A[2:]]
    cs = compare(doc(("总体要求", A)), doc(("总体要求", a2)))
    assert kinds(cs) == ["cosmetic", "cosmetic"]
    assert cs.reportable() == []


def test_move_to_another_section() -> None:
    cs = compare(
        doc(("总体要求", A), ("保障措施", B)), doc(("总体要求", A[:3] + A[4:]), ("保障措施", [*B, A[3]]))
    )
    assert kinds(cs) == ["moved"]
    assert cs.changes[0].old.path == "1.4" and cs.changes[0].new.path == "2.4"


def test_split_and_merge() -> None:
    first, second = A[4].split("。", 1)
    split = [*A[:4], first + "。", second]
    cs = compare(doc(("总体要求", A)), doc(("总体要求", split)))
    assert kinds(cs) == ["split"]
    assert cs.changes[0].new.label == "5." and [o.label for o in cs.changes[0].others] == ["6."]
    back = compare(doc(("总体要求", split)), doc(("总体要求", A)))
    assert kinds(back) == ["merged"]
    assert back.changes[0].old.label == "5." and [o.label for o in back.changes[0].others] == ["6."]


def test_unrelated_documents_warn() -> None:
    cs = compare(doc(("总体要求", A)), doc(("其他", ["今天天气很好。", "明天下雨。"])))
    assert cs.warnings and "nothing aligns" in cs.warnings[0]
    assert sorted(set(kinds(cs))) == ["added", "removed"]


def test_metadata_changes() -> None:
    old, new = doc(("总体要求", A)), doc(("总体要求", A))
    new.doc_number, new.status = "穗府办规〔2024〕13号", "失效"
    cs = compare(old, new)
    assert {m.field for m in cs.metadata_changes} == {"doc_number", "status"}
    assert cs.changes == []
