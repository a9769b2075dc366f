"""What the digest says, from pages recorded in a real database: every count is the length of
the list below it, the version line carries both fetch times in [digest] timezone (or 首次收录),
a replaced attachment is told in words (never by its SHA-256), a run of renumbered 条 is one
line, and a site is headed by its display name."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from notifications.describe import attachment_notes, size_text
from notifications.renumbering import Run, runs
from notifications.sender import preview_due
from notifications.settings import DigestSettings, NotifySettings
from notifications.smtp import SmtpSettings
from policywatch.demo.story import DEMO_URLS, SEEDS, fixture, revised_zhaoqing
from policywatch.flow import Page, record_attachments, record_page, withdraw_unlisted
from policywatch.notify_config import localized
from storage.attachments import FetchedAttachment
from storage.models import Subscription, utcnow
from tests.test_notify_support import parts

ZQ, YL = DEMO_URLS
PAIRS = Path(__file__).resolve().parent / "data" / "pairs"


@pytest.fixture
def sqlite_db(tmp_path):
    from storage import migrate
    from storage.db import connect

    db = connect(f"sqlite:///{tmp_path / 'w.db'}")
    migrate.upgrade(db)
    with db.writer() as s:
        s.add(Subscription(name="office", email="o@example.org", addresses=["o@example.org"], filters={}))
    yield db
    db.dispose()


def digest(db, zone: str | None = None) -> tuple[str, str]:
    """(text part, HTML part) of the one digest due, in Chinese, in `zone` if given."""
    notify = NotifySettings(smtp=SmtpSettings(sender="pw@example.org"))
    if zone:
        notify = NotifySettings(smtp=notify.smtp, digest=DigestSettings(timezone=zone))
    (p,) = preview_due(db, localized(notify), utcnow() + timedelta(seconds=1))
    msg = email.message_from_bytes(p.message.as_bytes(), policy=email.policy.default)
    return tuple(parts(msg)[t].replace("\r\n", "\n") for t in ("text/plain", "text/html"))  # type: ignore[return-value]


def _sections(text: str) -> dict[str, str]:
    """{heading: body} of the text part's "== heading ==" sections."""
    pieces = re.split(r"^== (.+?) ==$", text, flags=re.M)
    return dict(zip(pieces[1::2], pieces[2::2], strict=True))


def _counts(text: str) -> dict[str, int]:
    line = re.search(r"涉及 \d+ 份文件：(.*)", text).group(1)
    return {label: int(n) for label, n in re.findall(r"([^\s，]+) (\d+)", line)}


def test_every_count_is_the_length_of_its_list(sqlite_db):
    """A document new and then withdrawn within one digest used to count as 新增文件 but be
    listed only under 撤下文件 (the event of a document was one field: the last one won), so
    the counts ran ahead of the lists. Now: each event's count is the documents in its list,
    each change kind's the changes shown under the sites."""
    db = sqlite_db
    record_page(db, Page(url=ZQ, body=fixture(SEEDS[0]), site="zhaoqing", fetched_at=datetime(2026, 11, 1)))
    record_page(db, Page(url=YL, body=fixture(SEEDS[1]), site="yulin", fetched_at=datetime(2026, 11, 1)))
    record_page(db, Page(url=ZQ, body=revised_zhaoqing(), site="zhaoqing", fetched_at=datetime(2026, 11, 2)))
    withdraw_unlisted(db, "yulin", set(), at=datetime(2026, 11, 3))  # new, and gone again
    text, html = digest(db)
    counts, sections = _counts(text), _sections(text)
    listed = {
        "新增文件": sections["新增文件"].count("\n* "),
        "文件撤下": sections["撤下文件"].count("\n* "),
        **{k: text.count(f"[{k}]") for k in ("修改条款", "新增条款", "删除条款")},
    }
    # read from the story: two pages new, Yulin then gone from its listing; Zhaoqing's revision
    # rewords measure 3, inserts a measure after 4 and deletes 完善公共配套服务
    assert listed == {"新增文件": 2, "文件撤下": 1, "修改条款": 1, "新增条款": 1, "删除条款": 1}
    assert counts == listed
    assert re.search(r"^(\d+) 项变化，涉及 (\d+) 份文件", text, re.M).groups() == (str(sum(listed.values())), "2")
    for label, n in listed.items():  # the HTML says the same
        assert f'>{label} {n}</span>' in html


def test_version_line_and_every_time_in_the_digest_zone(sqlite_db):
    """Fetched 2026-11-20 16:12 and 2026-12-01 17:30 UTC: in Asia/Shanghai (+8) the dates are
    the next day; in America/New_York (EST, -5) they stay."""
    db = sqlite_db
    record_page(db, Page(url=ZQ, body=fixture(SEEDS[0]), site="zhaoqing", fetched_at=datetime(2026, 11, 20, 16, 12)))
    record_page(db, Page(url=ZQ, body=revised_zhaoqing(), site="zhaoqing", fetched_at=datetime(2026, 12, 1, 17, 30)))
    text, html = digest(db)
    assert "首次收录 2026-11-21 00:12" in text and "首次收录 2026-11-21 00:12" in html  # the first version
    assert "版本 2026-11-21 00:12 → 2026-12-02 01:30" in text and "版本 2026-11-21 00:12 → 2026-12-02 01:30" in html
    assert "2026-12-01 17:30" not in text and "16:12" not in text  # nothing in UTC
    assert "时间为 Asia/Shanghai" in text
    text, _ = digest_again(db, "America/New_York")
    assert "版本 2026-11-20 11:12 → 2026-12-01 12:30" in text and "时间为 America/New_York" in text


def digest_again(db, zone: str) -> tuple[str, str]:
    """The same digest rendered again (a preview claims nothing) in another zone."""
    return digest(db, zone)


def test_a_replaced_attachment_is_told_by_name_and_size_never_by_hash(sqlite_db):
    db = sqlite_db
    record_page(db, Page(url=ZQ, body=fixture(SEEDS[0]), site="zhaoqing", fetched_at=datetime(2026, 11, 1)))
    url = "https://www.zhaoqing.gov.cn/files/funds.xlsx"
    first, second = "a1" * 32, "b2" * 32
    for sha, size, day in ((first, 25 * 1024, 2), (second, 31 * 1024 + 300, 3)):
        record_attachments(db, [FetchedAttachment(url=url, page_url=ZQ, name="资金安排表.xlsx", sha256=sha,
                                                  size=size, fetched_at=datetime(2026, 11, day))])
    text, html = digest(db)
    assert "附件《资金安排表.xlsx》已更换：大小 25 KB → 31 KB" in text
    assert "附件《资金安排表.xlsx》已更换：大小 25 KB → 31 KB" in html
    for part in (text, html):
        assert first[:12] not in part and second[:12] not in part and "SHA" not in part


def test_attachments_added_removed_and_sizes_in_words():
    notes = attachment_notes("attachments", ["实施细则.docx", "申报表.xlsx"], ["申报表.xlsx", "资金表.xlsx"])
    assert [(n.how, n.name) for n in notes] == [("removed", "实施细则.docx"), ("added", "资金表.xlsx")]
    same = attachment_notes("attachment_content", {"name": "a.pdf", "size": 2048, "sha256": "c" * 64},
                            {"name": "a.pdf", "size": 2048, "sha256": "d" * 64})
    assert [(n.how, n.old_size, n.new_size) for n in same] == [("replaced", 2048, 2048)]
    from notifications.render import Words
    from policywatch import i18n

    words = Words(DigestSettings(language="zh_CN", translations=i18n.translations("zh_CN")))
    assert [words.attachment(n) for n in notes] == ["附件《实施细则.docx》已删除", "附件《资金表.xlsx》已添加"]
    assert words.attachment(same[0]) == "附件《a.pdf》已更换：大小不变（2 KB），内容已变"
    assert (size_text(512), size_text(25 * 1024), size_text(3 * 1024 * 1024 + 200_000)) == ("512 B", "25 KB", "3.2 MB")


def test_renumbering_of_an_inserted_article_is_one_line(sqlite_db):
    """lawref-22 (中国公民收养子女登记办法 2019 → 2023), read side by side: a new 第三条 (收养登记工作
    应当坚持中国共产党的领导…) is inserted, and old 第三条…第十五条 (收养社会福利机构抚养… to
    本办法自发布之日起施行) are new 第四条…第十六条, four of them reworded on the way."""
    db = sqlite_db
    for name, day in (("old.md", 1), ("new.md", 2)):
        record_page(db, Page(url=ZQ, body=(PAIRS / "lawref-22" / name).read_bytes(), filename=name,
                             site="zhaoqing", fetched_at=datetime(2026, 11, day)))
    text, html = digest(db)
    assert "第3–15条顺延为第4–16条" in text and "第3–15条顺延为第4–16条" in html
    assert text.count("顺延为") == 1


def test_renumbering_runs_after_several_insertions(sqlite_db):
    """lawref-01 (上海市人大常委会规范性文件备案审查条例 2021 → 2024): new 第九条, 第十四条, 第二十二条 and
    第二十三条 are inserted (tests/data/pairs/expected-articles.json, read by hand), so old
    第9–12条 are 第10–13条, old 第13–19条 are 第15–21条, old 第20–38条 are 第24–42条."""
    db = sqlite_db
    for name, day in (("old.md", 1), ("new.md", 2)):
        record_page(db, Page(url=ZQ, body=(PAIRS / "lawref-01" / name).read_bytes(), filename=name,
                             site="zhaoqing", fetched_at=datetime(2026, 11, day)))
    text, _ = digest(db)
    lines = re.findall(r"第[\d–]+条顺延为第[\d–]+条", text)
    assert lines == ["第9–12条顺延为第10–13条", "第13–19条顺延为第15–21条", "第20–38条顺延为第24–42条"]


def test_runs_from_label_pairs():
    pairs = [(f"第{a}条", f"1.{a}", f"第{b}条", f"1.{b}") for a, b in ((1, 1), (2, 2), (3, 4), (4, 5), (5, 6))]
    pairs += [("第五条第二款", "1.5.2", "第六条第二款", "1.6.2"), ("第八条", "1.8", "第八条", "1.8")]
    assert runs(pairs) == [Run(3, 5, 4, 6)]
    split = [("第三条", "3", "第三条", "3"), ("第三条第二款", "3.2", "第四条", "4")]  # one 条 into two
    assert runs(split) == []
    removed = [("第四条", "4", "第三条", "3"), ("第五条", "5", "第四条", "4")]
    assert runs(removed) == [Run(4, 5, 3, 4)]
    items = [("5.", "2.5", "6.", "2.6"), ("6.", "3.1", "7.", "3.1")]  # numbered on across headings
    assert runs(items) == [Run(5, 6, 6, 7, articles=False)]
    restart = [("1.", "2.1", "1.", "2.1"), ("1.", "3.1", "2.", "3.2")]  # numbered per section
    assert runs(restart) == [Run(1, 1, 2, 2, articles=False)]


def test_sites_are_headed_by_their_display_name(sqlite_db):
    from storage.sites import sync_titles

    db = sqlite_db
    record_page(db, Page(url=ZQ, body=fixture(SEEDS[0]), site="zhaoqing", fetched_at=datetime(2026, 11, 1)))
    record_page(db, Page(url=ZQ, body=revised_zhaoqing(), site="zhaoqing", fetched_at=datetime(2026, 11, 2)))
    with db.writer() as s:
        sync_titles(s, {"zhaoqing": "肇庆市人民政府"})
    text, html = digest(db)
    assert "\n== 肇庆市人民政府 ==\n" in text and "== zhaoqing ==" not in text
    assert re.search(r"<h2[^>]*>肇庆市人民政府</h2>", html) and not re.search(r"<h2[^>]*>zhaoqing</h2>", html)
    assert "\n  肇庆市人民政府 · " in text  # the new-document list names the site the same way
