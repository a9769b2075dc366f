"""A paragraph added after (or removed from) an item of a 公文 is a paragraph, not an edit of the item.

The normalizer reads an unnumbered paragraph printed after （二） into （二）'s text, so the
new （二） is the old one plus a paragraph. The texts are shaped like a real 通知 (a 一、 part
with （一）（二）（三） items and a closing part); what a reader sees is read off them.
"""

from __future__ import annotations

from pipeline.articles import article_events
from pipeline.compare import compare
from pipeline.normalize import normalize

NOTICE = """关于做好2024年春季农业生产工作的通知

各区人民政府，市政府各部门：

为切实做好今年春季农业生产工作，确保粮食和重要农产品稳定安全供给，现将有关事项通知如下。

一、工作措施

（一）稳定粮食播种面积。各区要将粮食播种面积任务分解落实到镇街和村组，确保面积只增不减。

（二）加强农资供应保障。农业农村部门会同市场监管部门做好化肥、种子、农药等农资的调度供应，严厉打击假冒伪劣农资。

（三）做好防灾减灾工作。气象部门要加强春季天气监测预报，及时发布灾害性天气预警信息。

二、保障措施

各区要高度重视，加强组织领导，确保各项措施落到实处。
"""
ITEM_TWO_END = "严厉打击假冒伪劣农资。\n"
INSERTED = "各区要建立农资价格监测制度，每周报送一次主要农资价格变化情况。"
LONG_INSERTED = (
    "各区要建立农资价格监测制度，每周报送一次化肥、种子、农药、农膜等主要农资的价格变化情况，"
    "对价格异常波动的品种及时开展调查，发现囤积居奇、哄抬价格等违法行为的，依法从严从快查处，"
    "并向社会公开典型案例。"
)


def _with_paragraph(paragraph: str) -> str:
    assert NOTICE.count(ITEM_TWO_END) == 1
    return NOTICE.replace(ITEM_TWO_END, f"{ITEM_TWO_END}\n{paragraph}\n")


def _doc(text: str):
    return normalize(text.encode(), filename="notice.txt")


def test_the_normalizer_reads_the_paragraph_into_the_item_before_it() -> None:
    # the premise of the rule: measure text keeps the paragraph break as a newline
    items = {m.label: m.text for s in _doc(_with_paragraph(INSERTED)).iter_sections() for m in s.measures}
    assert items["（二）"].endswith(f"假冒伪劣农资。\n{INSERTED}")


def test_a_paragraph_inserted_after_an_item_is_one_added_paragraph() -> None:
    cs = compare(_doc(NOTICE), _doc(_with_paragraph(INSERTED)))
    [change] = cs.reportable()
    assert change.kind == "added" and change.old is None
    assert change.new.text == INSERTED
    assert (
        change.new.label.startswith("（二）") and change.new.label != "（二）"
    )  # under （二）, not （二） itself
    assert change.diff == [("insert", INSERTED)]
    assert article_events(cs) == []  # a 公文 has no 条
    # （二） kept its words: with （一）（三）, the preamble and the 保障措施 paragraph, 5 unchanged
    assert cs.unchanged == 5


def test_a_paragraph_removed_after_an_item_is_one_removed_paragraph() -> None:
    cs = compare(_doc(_with_paragraph(INSERTED)), _doc(NOTICE))
    [change] = cs.reportable()
    assert change.kind == "removed" and change.new is None
    assert change.old.text == INSERTED and change.old.label.startswith("（二）")


def test_a_paragraph_longer_than_its_item_is_still_an_added_paragraph() -> None:
    # the grown （二） scores below the fuzzy threshold against the old one: removed + added
    # of （二） unless the kept text pairs them
    cs = compare(_doc(NOTICE), _doc(_with_paragraph(LONG_INSERTED)))
    assert [(c.kind, c.new.text if c.new else None) for c in cs.reportable()] == [("added", LONG_INSERTED)]


def test_an_edited_item_with_a_paragraph_added_stays_modified() -> None:
    # the old text is not kept intact: the item itself changed
    new = _with_paragraph(INSERTED).replace("严厉打击假冒伪劣农资", "依法打击假冒伪劣农资")
    cs = compare(_doc(NOTICE), _doc(new))
    [change] = cs.reportable()
    assert change.kind == "modified" and change.old.label == change.new.label == "（二）"
    assert ("insert", "依法") in change.diff or any(op == "insert" and "依法" in t for op, t in change.diff)
