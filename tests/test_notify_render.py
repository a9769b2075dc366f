"""What a reader sees: escaping of hostile crawled text, the rendered demo digest as a PNG."""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import update

from notifications.sender import preview_due
from notifications.settings import NotifySettings
from notifications.smtp import SmtpSettings
from policywatch.demo.story import demo_digests
from policywatch.flow import record_page
from policywatch.notify_config import localized
from storage.models import Document, MeasureRow, Subscription, utcnow
from tests.browser import ARGS, CHROMIUM, needs_chromium, shot_path
from tests.test_notify_sender import SEEDS, ZQ, fixture, parts, revised_zhaoqing

ZH = localized(NotifySettings(smtp=SmtpSettings(sender="pw@example.org")))  # the digest as sent by default
HOSTILE = 'Evil <script>alert("x")</script> "quoted" \'single\'\r\nBcc: victim@example.org\r\n\r\n<b>body</b>'


@pytest.fixture
def sqlite_db(tmp_path):
    from storage import migrate
    from storage.db import connect

    db = connect(f"sqlite:///{tmp_path / 'r.db'}")
    migrate.upgrade(db)
    yield db
    db.dispose()


def test_script_quotes_and_crlf_are_escaped_in_body_and_subject(sqlite_db):
    db = sqlite_db
    with db.writer() as s:
        s.add(Subscription(name="office", email="o@example.org", addresses=["o@example.org"], filters={}))
    record_page(db, url=ZQ, body=fixture(SEEDS[0]), site="zhaoqing")
    record_page(db, url=ZQ, body=revised_zhaoqing(), site="zhaoqing")
    with db.writer() as s:
        s.execute(update(Document).values(title=HOSTILE, canonical_url='javascript:alert("x")'))
        s.execute(update(MeasureRow).values(text='<img src=x onerror="alert(1)">&amp;'))
    (p,) = preview_due(
        db, ZH, utcnow() + timedelta(seconds=1)
    )
    raw = p.message.as_bytes()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    # the header block has exactly the headers we set: no Bcc smuggled in through the title
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert "Bcc" not in msg and "\nBcc:" not in head and "victim" not in str(msg["To"])
    assert "\r" not in str(msg["Subject"]) and "\n" not in str(msg["Subject"])
    assert '<script>alert("x")</script>' in str(msg["Subject"])  # plain text in a header: shown, harmless
    html = parts(msg)["text/html"]
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=" in html and "&amp;amp;" in html
    # quotes survive as text (css-inline re-serializes text nodes; in text they open nothing)
    assert re.search(r'Evil &lt;script&gt;alert\("x"\)&lt;/script&gt; "quoted" \'single\'\s+Bcc: victim', html)
    assert 'href="javascript:' not in html and "<b>body</b>" not in html
    assert "<b>body</b>" in parts(msg)["text/plain"]  # the text part is text: nothing to interpret


@needs_chromium
def test_demo_digest_renders_in_headless_chromium(tmp_path):
    written = demo_digests(tmp_path)
    html = tmp_path / "digest.html"
    assert html in written
    png = tmp_path / "digest.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            *ARGS,
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={png}",
            "--window-size=820,830",
            html.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a real picture, not a blank page
    shot_path("digest.png").write_bytes(data)  # the README's picture with `make screenshots`


def test_a_republished_document_is_told_like_its_withdrawal(sqlite_db):
    """A document back after a withdrawal is a document event of its own, on top of the digest
    with the other events, in both parts (the office was told it was gone)."""
    from datetime import datetime

    from policywatch.flow import Page, withdraw_unlisted
    from policywatch.flow import record_page as record

    db = sqlite_db
    with db.writer() as s:
        s.add(Subscription(name="office", email="o@example.org", addresses=["o@example.org"], filters={}))
    record(db, Page(url=ZQ, body=fixture(SEEDS[0]), site="zhaoqing", fetched_at=datetime(2026, 11, 1)))
    withdraw_unlisted(db, "zhaoqing", set(), at=datetime(2026, 11, 2, 6, 0))
    record(db, Page(url=ZQ, body=fixture(SEEDS[0]), site="zhaoqing", fetched_at=datetime(2026, 11, 3)))
    (p,) = preview_due(db, ZH, utcnow() + timedelta(seconds=1))
    msg = email.message_from_bytes(p.message.as_bytes(), policy=email.policy.default)
    text, html = parts(msg)["text/plain"], parts(msg)["text/html"]
    assert "重新发布 1" in text and "== 重新发布文件 ==" in text and "撤下时间 2026-11-02 14:00" in text  # 06:00 UTC, shown in Asia/Shanghai
    assert re.search(r"<h2[^>]*>重新发布文件</h2>", html) and re.search(r"k-republished[^>]*>重新发布</span>", html)
    assert "撤下时间 2026-11-02 14:00" in html
    assert "== 撤下文件 ==" not in text  # the withdrawal is superseded within this digest


def test_a_law_digest_speaks_in_articles(sqlite_db):
    """A 条 added whole is named 第九条 with all its 款; a 款 added inside a 条 is 第十二条第三款."""
    from policywatch.flow import Page
    from tests.test_storage_recorder import LAWREF, _article_text

    db = sqlite_db
    with db.writer() as s:
        s.add(Subscription(name="office", email="o@example.org", addresses=["o@example.org"], filters={}))
    for name in ("old.md", "new.md"):
        record_page(db, Page(url=ZQ, body=(LAWREF / name).read_bytes(), filename=name, site="zhaoqing"))
    (p,) = preview_due(
        db, ZH, utcnow() + timedelta(seconds=1)
    )
    msg = email.message_from_bytes(p.message.as_bytes(), policy=email.policy.default)
    text, html = (parts(msg)[t].replace("\r\n", "\n") for t in ("text/plain", "text/html"))
    # read from new.md: 第九条 is new and has two 款; 第十二条 gained its third 款
    ninth = _article_text(LAWREF / "new.md", "第九条")
    first, second = ninth.split("\n")
    assert f"[新增条款] 第九条\n      {{+{ninth}+}}" in text
    assert "第九条第一款" not in text  # the 条, not its first 款
    third = _article_text(LAWREF / "new.md", "第十二条").split("\n")[2]
    assert f"[新增条款] 第十二条第三款\n      {{+{third}+}}" in text
    assert ">第九条<" in html and second in html
    # its two 款 stay two lines in the HTML part too (the text keeps the newline, CSS shows it)
    block = html[html.index(">第九条<") :]
    assert f"{first}\n{second}" in block and "pre-line" in block[: block.index(first)]


def test_a_paragraph_added_under_an_item_shows_its_label_and_text():
    """A side with no measure row (a paragraph added under （二）) travels in `others`; a 公文's
    measure keeps the page's label."""
    from notifications.digest import ViewCache
    from storage.models import ChangeRow

    para = {"side": "new", "path": "1.2#p2", "label": "（二）第二段", "text": "各区要建立农资价格监测制度。"}
    change = ChangeRow(id=1, document_id=1, kind="added", others=[para])
    view = ViewCache._view(change, None, None)
    assert view.label_change == "（二）第二段"
    assert [(s.op, s.text) for s in view.spans] == [("insert", "各区要建立农资价格监测制度。")]
    item = MeasureRow(label="（二）", path="1.2", text="加强农资供应保障。", heading="")
    removed = ViewCache._view(ChangeRow(id=2, document_id=1, kind="removed"), item, None)
    assert removed.label_change == "（二）" and removed.spans[0].text == "加强农资供应保障。"
