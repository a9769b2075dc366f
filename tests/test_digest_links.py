"""With `[web] base_url`, every change in the digest links to its diff page and every document
to its page: the links are followed on the real web app (`policywatch serve`'s WSGI server on
127.0.0.1), and the diff page is that diff - it shows the words that change inserted."""

from __future__ import annotations

import email
import email.policy
import re
import urllib.request
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest

from notifications.sender import preview_due
from notifications.settings import DigestSettings, NotifySettings, web_base_url
from notifications.smtp import SmtpSettings
from policywatch.demo.story import DEMO_URLS, REWORD, SEEDS, fixture, revised_zhaoqing
from policywatch.flow import Page, record_page
from policywatch.notify_config import localized
from storage.models import Subscription, utcnow
from tests.test_notify_support import parts

ZQ = DEMO_URLS[0]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.status == 200
        return r.read().decode("utf-8")


def test_the_diff_link_of_a_change_opens_that_diff(tmp_path):
    from policywatch.web.app import create_app
    from policywatch.web.server import background
    from storage import migrate
    from storage.db import connect

    path = tmp_path / "links.db"
    db = connect(str(path))
    migrate.upgrade(db)
    with db.writer() as s:
        s.add(Subscription(name="office", email="o@example.org", addresses=["o@example.org"], filters={}))
    record_page(db, Page(url=ZQ, body=fixture(SEEDS[0]), site="zhaoqing", fetched_at=datetime(2026, 11, 1)))
    record_page(db, Page(url=ZQ, body=revised_zhaoqing(), site="zhaoqing", fetched_at=datetime(2026, 11, 2)))
    app = create_app(str(path))
    try:
        with background(app) as base:
            notify = localized(NotifySettings(smtp=SmtpSettings(sender="pw@example.org"),
                                              digest=DigestSettings(base_url=base + "/")))
            (p,) = preview_due(db, notify, utcnow() + timedelta(seconds=1))
            msg = email.message_from_bytes(p.message.as_bytes(), policy=email.policy.default)
            html, text = parts(msg)["text/html"], parts(msg)["text/plain"]
            tree = lxml.html.fromstring(html)
            changes = tree.xpath("//div[@class='change']")
            assert len(changes) == 3  # reworded, inserted, deleted (the story)
            links = [c.xpath(".//a[@class='web']/@href") for c in changes]
            assert all(len(x) == 1 for x in links)  # every change links its diff
            (modified,) = [c for c in changes if c.xpath(".//span[contains(@class, 'k-modified')]")]
            (href,) = modified.xpath(".//a[@class='web']/@href")
            parts_ = urlsplit(href)
            assert href.startswith(base + "/documents/") and parts_.path.endswith("/diff")
            assert parse_qs(parts_.query) == {"from": ["1"], "to": ["2"]}
            assert f"对比：{href}" in text  # the text part has it too
            page = _get(href)
            # the words the revision inserted into measure 3 (the story's REWORD, old -> new)
            inserted = "的，市财政给予一次性奖励100万元，并"
            assert REWORD[0].replace("科技园享受", f"科技园{inserted}享受") == REWORD[1]
            assert re.search(rf"<ins[^>]*>[^<]*{re.escape(inserted)}", page), "the diff page shows that change"
            doc_links = tree.xpath("//div[@class='doc-head']//a[@class='web']/@href")
            assert len(doc_links) == 1 and doc_links[0] == href.split("/diff")[0]
            doc_page = _get(doc_links[0])
            assert "肇庆市人民政府关于印发肇庆市关于促进肇庆高新技术产业开发区高质量发展的实施意见的通知" in doc_page
    finally:
        app.extensions["policywatch_db"].dispose()
        db.dispose()


def test_no_base_url_no_web_links():
    notify = localized(NotifySettings())
    assert notify.digest.base_url == ""


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"base_url": "https://pw.example.gov.cn/pw/"}, "https://pw.example.gov.cn/pw"),
        ({"base_url": "http://127.0.0.1:8080"}, "http://127.0.0.1:8080"),
        ({}, ""),
    ],
)
def test_web_base_url_is_read(table, expected):
    assert web_base_url(table, "pw.toml") == expected
    assert NotifySettings.from_tables({"web": table}, "pw.toml").digest.base_url == expected


@pytest.mark.parametrize(
    "table",
    [
        {"base_url": "javascript:alert(1)"},
        {"base_url": "https://"},
        {"base_url": "https://pw.example/?a=1"},
        {"base_url": "https://pw.example/\r\nBcc: x"},
        {"base_url": 5},
        {"url": "https://pw.example"},
    ],
)
def test_a_bad_web_base_url_names_the_file_and_key(table):
    with pytest.raises(ValueError, match=r"^pw\.toml: web: (base_url|url)"):
        NotifySettings.from_tables({"web": table}, "pw.toml")


def test_the_config_takes_a_web_table(tmp_path):
    from policywatch import config
    from policywatch.notify_config import notify_settings

    path = tmp_path / "policywatch.toml"
    path.write_text('[web]\nbase_url = "https://pw.example.gov.cn"\n', encoding="utf-8")
    assert notify_settings(config.load(path)).digest.base_url == "https://pw.example.gov.cn"
