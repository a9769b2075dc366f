"""Control and bidi characters already stored (by an older normalizer, in metadata, in URLs) never
reach what we write: Atom feeds parse as strict XML, digest headers and bodies and web pages carry
no C0/C1 or bidi control. Real parts: pages recorded, rows then rewritten as an older version
would have stored them, the app served over HTTP by waitress, the digest sent to aiosmtpd."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from notifications.sender import send_due
from notifications.settings import DigestSettings, NotifySettings
from notifications.smtp import SmtpSettings
from policywatch.demo.story import DEMO_URLS, SEEDS, fixture, revised_zhaoqing
from policywatch.flow import record_page
from policywatch.web.app import create_app
from policywatch.web.server import background
from storage.models import ChangeRow, Document, MeasureRow, SectionRow, Subscription, Version, utcnow
from tests.test_notify_support import parts, smtp_server

ATOM = "{http://www.w3.org/2005/Atom}"
ZQ, YL = DEMO_URLS
# What the issue lists (U+0001, U+0002, U+001B, ...; the bidi embeddings, overrides, isolates and
# marks), plus the rest of C0 and C1 that XML 1.0 or a reader's terminal cannot take. No NUL:
# PostgreSQL text cannot store it, so no old version can have stored it there.
CONTROLS = "\x01\x02\x08\x0b\x0c\x1b\x1f\x7f\x85\x9b\ufffe"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
SHOWN = "[31m<script>alert(1)</script>"  # what is left to read, once escaped
HOSTILE = "\x01\x02\x1b" + "[31m" + "\u202e" + "<script>alert(1)</script>" + BIDI + CONTROLS + "\r\nBcc: v@example.org"
TEXT_KEYS = {"title", "text", "heading", "label", "doc_number", "publisher", "preamble", "name", "source"}
STORED = {  # the columns holding crawled text, as an older version stored them
    Document: ("title", "publisher", "doc_number", "canonical_url"),
    Version: ("title", "doc_number", "normalized"),
    SectionRow: ("label", "title", "text"),
    MeasureRow: ("heading", "text", "norm_text"),
    ChangeRow: ("diff", "old_value", "new_value"),
}


def forbidden(text: str, allowed: str = "\t\n\r") -> list[str]:
    """The characters of `text` no reader or parser should get (as code points, for the message)."""
    return sorted(
        {
            f"U+{ord(c):04X}"
            for c in text
            if (ord(c) < 0x20 and c not in allowed) or 0x7F <= ord(c) <= 0x9F or c in BIDI or c in "\ufffe\uffff"
        }
    )


def _taint(value: Any, key: str | None = None) -> Any:
    if isinstance(value, str):
        return value[:1] + HOSTILE + value[1:] if value and (key is None or key in TEXT_KEYS) else value
    if isinstance(value, dict):
        return {k: _taint(v, k) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) == 2 and value[0] in ("equal", "insert", "delete"):  # a diff op: its text only
            return [value[0], _taint(value[1])]
        return [_taint(v, key) for v in value]
    return value


def stored_hostile_story(db) -> None:
    """The demo story (two new documents, a revision with modified/added/removed measures), then
    every stored crawled text rewritten with C0, C1 and bidi controls, `<script>` and CR/LF."""
    with db.writer() as s:
        s.add(Subscription(name="office", email="o@example.org", addresses=["o@example.org"], filters={}))
    record_page(db, url=ZQ, body=fixture(SEEDS[0]), site="zhaoqing")
    record_page(db, url=YL, body=fixture(SEEDS[1]), site="yulin")
    record_page(db, url=ZQ, body=revised_zhaoqing(), site="zhaoqing")
    with db.writer() as s:
        for model, columns in STORED.items():
            for row in s.scalars(select(model)):
                for col in columns:
                    setattr(row, col, _taint(getattr(row, col)))


def _get(base: str, path: str, status: int = 200) -> tuple[str, bytes]:
    try:
        with urllib.request.urlopen(base + path, timeout=30) as r:
            assert r.status == status, path
            return r.headers.get_content_type(), r.read()
    except urllib.error.HTTPError as e:
        assert e.code == status, (path, e.code)
        return e.headers.get_content_type(), e.read()


@pytest.fixture
def served(db, db_url) -> Iterator[tuple[str, int, int]]:
    """The hostile story served over HTTP: (base URL, a Zhaoqing document id, the subscription id)."""
    stored_hostile_story(db)
    with db.reader() as s:
        sub_id = s.scalar(select(Subscription.id))
        doc_id = s.scalar(select(Document.id).where(Document.site.has(name="zhaoqing")))
        assert "\x01" in s.get(Document, doc_id).title  # what an older version left in the database
    app = create_app(db_url)
    try:
        with background(app) as base:
            yield base, doc_id, sub_id
    finally:
        app.extensions["policywatch_db"].dispose()


def test_every_feed_parses_as_strict_xml(served) -> None:
    base, _doc_id, sub_id = served
    feeds = [
        "/feeds/changes.atom",
        "/feeds/changes.atom?site=zhaoqing",
        "/feeds/sites/zhaoqing.atom",
        "/feeds/sites/yulin.atom",
        f"/feeds/subscriptions/{sub_id}.atom",
    ]
    for path in feeds:
        ctype, body = _get(base, path)
        assert ctype == "application/atom+xml", path
        feed = etree.fromstring(body)  # strict: no recover
        entries = feed.findall(f"{ATOM}entry")
        assert entries, path
        titles = [e.findtext(f"{ATOM}title") for e in entries]
        assert any(SHOWN in t for t in titles), (path, titles[:3])  # the stored title, cleaned
        assert forbidden(body.decode("utf-8")) == [], path
        for e in entries:  # the entry's HTML, once unescaped, has no live markup either
            assert "<script" not in e.findtext(f"{ATOM}content"), path


def test_pages_show_no_controls(served) -> None:
    base, doc_id, _sub_id = served
    pages = [
        "/",
        "/sites/zhaoqing",
        "/changes",
        "/changes?site=zhaoqing",
        f"/documents/{doc_id}",
        f"/documents/{doc_id}/diff",
        f"/documents/{doc_id}/diff?view=inline",
        "/search?q=" + urllib.parse.quote("奖励"),
        "/chart",
        "/charts/weekly.svg",
    ]
    for path in pages:
        _ctype, body = _get(base, path)
        html = body.decode("utf-8")
        assert forbidden(html) == [], path
        assert "<script" not in html, path
    for path in (f"/documents/{doc_id}", "/changes"):
        assert "[31m&lt;script&gt;alert(1)&lt;/script&gt;" in _get(base, path)[1].decode(), path
    # error pages echoing a request with a bidi override and a C0 control
    for path in ("/sites/%E2%80%AEx%01", "/feeds/sites/%E2%80%AEx%01.atom"):
        _ctype, body = _get(base, path, 404)
        assert forbidden(body.decode("utf-8")) == [], path


def test_digest_subject_from_and_bodies_carry_no_controls(db) -> None:
    stored_hostile_story(db)
    smtp_kw = {"host": "127.0.0.1", "security": "none", "timeout": 5, "sender": "\u202e政策\x1b监测 <pw@example.org>"}
    with smtp_server() as (ctl, rec):
        notify = NotifySettings(smtp=SmtpSettings(port=ctl.port, **smtp_kw), digest=DigestSettings())
        report = send_due(db, notify, utcnow())
    assert [o.status for o in report.outcomes] == ["sent"]
    (msg,) = rec.messages
    subject, sender = str(msg["Subject"]), str(msg["From"])
    assert forbidden(subject, allowed="") == [] and forbidden(sender, allowed="") == [], (subject, sender)
    assert "[31m<script>alert(1)</script>" in subject  # the stored title, as plain text
    assert "Bcc" not in msg and msg["From"].addresses[0].display_name == "政策 监测"  # a control is a word break
    for name, value in msg.items():
        assert forbidden(str(value), allowed="") == [], name
    body = parts(msg)
    assert forbidden(body["text/html"]) == [] and forbidden(body["text/plain"]) == []
    assert "<script" not in body["text/html"] and "[31m&lt;script&gt;alert(1)&lt;/script&gt;" in body["text/html"]
    assert SHOWN in body["text/plain"]


def test_every_html_and_xml_template_autoescapes(tmp_path) -> None:
    """Digest HTML (the text part is text: escaping would print &lt;), and every web template,
    the Atom feed included, whatever its extension."""
    from notifications.render import environment
    from storage import migrate
    from storage.db import connect

    env = environment()
    mail = {t: bool(env.autoescape(t)) for t in env.list_templates() if t.endswith(".j2")}
    assert {"digest.html.j2", "digest.txt.j2"} <= set(mail)
    assert mail == {t: t.endswith(".html.j2") for t in mail}, mail  # HTML escapes, text does not
    db = connect(str(tmp_path / "w.db"))
    migrate.upgrade(db)
    db.dispose()
    app = create_app(str(tmp_path / "w.db"))
    try:
        web = app.jinja_env
        names = web.list_templates()
        assert {"feed.atom.j2", "entry.html.j2", "document.html.j2", "changes.html.j2"} <= set(names)
        for name in names:
            assert (web.autoescape(name) if callable(web.autoescape) else web.autoescape) is True, name
    finally:
        app.extensions["policywatch_db"].dispose()
