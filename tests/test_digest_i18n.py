"""The digest in the catalogue's two languages: Chinese by default, English with `policywatch
digest --lang en` or `[ui] language = "en"`; no UI string of the other language on either. The
strings are the catalogue's (policywatch/locale), the same list tests/test_web_i18n.py checks web
pages against; what the pages crawled (titles, measures, names, URLs) is taken out first."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime

import lxml.html
import pytest
from sqlalchemy import select

from policywatch.cli import main
from policywatch.demo.story import DEMO_URLS, SEEDS, fixture, revised_zhaoqing
from policywatch.flow import Page, record_attachments, record_page, withdraw_unlisted
from storage.attachments import FetchedAttachment
from storage.models import AttachmentRow, Document, MeasureRow, Site
from tests.test_notify_support import parts
from tests.test_web_i18n import _appears, _foreign_strings

ZQ, YL = DEMO_URLS
ATTACHMENT = "资金安排表.xlsx"  # the link text of the story's attachment


def story(db) -> None:
    """Every section of a digest: new documents, a revision (reworded, inserted, deleted,
    renumbered), a withdrawal, a replaced attachment."""
    record_page(db, Page(url=ZQ, body=fixture(SEEDS[0]), site="zhaoqing", fetched_at=datetime(2026, 11, 1)))
    record_page(db, Page(url=YL, body=fixture(SEEDS[1]), site="yulin", fetched_at=datetime(2026, 11, 1)))
    record_page(db, Page(url=ZQ, body=revised_zhaoqing(), site="zhaoqing", fetched_at=datetime(2026, 11, 2)))
    withdraw_unlisted(db, "yulin", set(), at=datetime(2026, 11, 3))
    for sha, size in (("a" * 64, 25 * 1024), ("b" * 64, 31 * 1024)):
        record_attachments(db, [FetchedAttachment(url="https://www.zhaoqing.gov.cn/f/funds.xlsx", page_url=ZQ,
                                                  name=ATTACHMENT, sha256=sha, size=size)])


def crawled(db) -> list[str]:
    """Every value the digest shows that came from a page, longest first."""
    with db.reader() as s:
        values = [v for d in s.scalars(select(Document)) for v in (d.title, d.doc_number, d.publisher, d.canonical_url)]
        values += [v for m in s.scalars(select(MeasureRow)) for v in (m.text, m.label, m.heading)]
        values += [a.url for a in s.scalars(select(AttachmentRow))] + [ATTACHMENT]
        values += [v for site in s.scalars(select(Site)) for v in (site.name, site.title)]
    pieces = {p for v in values if v for p in [v, *v.split("\n")] if p.strip()}
    return sorted(pieces, key=len, reverse=True)


def ui_text(text: str, values: list[str]) -> str:
    """`text` without the crawled values (and their elided forms) and without URLs."""
    text = re.sub(r"https?://\S+", " ", text)
    for v in values:
        text = text.replace(v, " ")
    text = re.sub(r"\{\+.*?\+\}|\[-.*?-\]", " ", text, flags=re.S)  # inline diff spans: crawled words
    return re.sub(r"…[^\n]*", " ", text)  # an elided measure (…the kept context…)


def html_text(html: str) -> str:
    tree = lxml.html.fromstring(html)
    for el in tree.xpath("//title | //del | //ins | //*[contains(@class, 'gap')]"):
        el.drop_tree()
    return tree.text_content()


def rendered(tmp_path, db_url: str, *extra: str, config: str = "") -> dict[str, str]:
    """`policywatch digest --dry-run --all` with `extra` arguments: its text and HTML parts."""
    out = tmp_path / f"out{len(list(tmp_path.iterdir()))}"
    cfg = tmp_path / f"pw{len(list(tmp_path.iterdir()))}.toml"
    cfg.write_text(config + '\n[[subscriptions]]\nname = "office"\nemail = "o@example.org"\n', encoding="utf-8")
    assert main(["digest", "--dry-run", "--out", str(out), "--all", "--config", str(cfg), "--db", db_url, *extra]) == 0
    (eml,) = sorted(out.glob("*.eml"))
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    p = parts(msg)
    return {"subject": str(msg["Subject"]), "text": p["text/plain"], "html": p["text/html"]}


@pytest.fixture
def recorded(db, db_url, tmp_path):
    cfg = tmp_path / "sync.toml"
    cfg.write_text('[[subscriptions]]\nname = "office"\nemail = "o@example.org"\n', encoding="utf-8")
    assert main(["subscribers", "list", "--config", str(cfg), "--db", db_url]) == 0  # before changes queue
    story(db)
    return db


def test_chinese_by_default_english_with_lang_en_or_ui_language(recorded, db_url, tmp_path):
    zh = rendered(tmp_path, db_url)
    en = rendered(tmp_path, db_url, "--lang", "en")
    by_config = rendered(tmp_path, db_url, config='[ui]\nlanguage = "en"\n')
    forced_zh = rendered(tmp_path, db_url, "--lang", "zh-CN", config='[ui]\nlanguage = "en"\n')
    assert "政策变化摘要" in zh["text"] and "<h1" in zh["html"] and 'lang="zh-Hans"' in zh["html"]
    assert "Policy changes digest" in en["text"] and 'lang="en"' in en["html"]
    def body(out):  # without the first line: it says when the digest was made (a minute may pass)
        return out["text"].split("\n", 1)[1]

    assert body(by_config) == body(en) and body(forced_zh) == body(zh)
    # the vocabulary's labels (pipeline.vocabulary.Label) in each language
    assert "[修改条款]" in zh["text"] and "[modified]" in en["text"] and "新增文件 2" in zh["text"]
    assert "document added 2" in en["text"] and "附件《资金安排表.xlsx》已更换：大小 25 KB → 31 KB" in zh["text"]
    assert "Attachment “资金安排表.xlsx” replaced: size 25 KB → 31 KB" in en["text"]
    assert "Items 5–15 are now items 6–16" in en["text"] and "第5–15项顺延为第6–16项" in zh["text"]


def test_no_ui_string_of_the_other_language(recorded, db, db_url, tmp_path):
    foreign = _foreign_strings()
    assert "Policy changes digest" in foreign["zh-CN"] and "政策变化摘要" in foreign["en"]  # the digest is in it
    values = crawled(db)
    other = {"zh-CN": "en", "en": "zh-CN"}
    for lang, args in (("zh-CN", ()), ("en", ("--lang", "en"))):
        out = rendered(tmp_path, db_url, *args, config='[web]\nbase_url = "http://127.0.0.1:9/pw"\n')
        title = next(v for v in values if v.startswith("肇庆市人民政府关于印发"))
        subject = out["subject"].replace(title[:40] + "…", " ")
        for where, text in (("text", out["text"]), ("html", html_text(out["html"])), ("subject", subject)):
            shown = ui_text(text, values)
            found = [f for f in foreign[lang] if _appears(f, shown)]
            assert not found, f"{lang} {where}: {found[:5]} in {shown[:600]!r}"
            # and the check can fail: the page's own words are the other language's foreign ones
            assert [f for f in foreign[other[lang]] if _appears(f, shown)], (lang, where)
