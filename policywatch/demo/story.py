"""The demo's story without a network: the seed pages, and a revision of one of them.

The revision is made the way a site revises a page: its HTML text is edited (a measure
reworded, one inserted mid-section so that the rest renumber, one deleted), and its chrome
re-rendered (view counter, render date). The demo then shows that policywatch reports the
three edits and nothing else, where a line diff reports every renumbered line.
"""

from __future__ import annotations

import re
from pathlib import Path

from policywatch.demo import PAGES, SITE_TITLES

FIXTURES = PAGES
SEEDS = ("zhaoqing-gkmlpt.html", "yulin-jiedu.html")

REWORD = ("经批准认定为省级以上大学科技园享受与孵化器同等政策待遇。", "经批准认定为省级以上大学科技园的，市财政给予一次性奖励100万元，并享受与孵化器同等政策待遇。")
INSERTED = "建设概念验证中心。支持肇庆高新区联合高校院所建设概念验证中心，对通过验证并在我市落地转化的项目，按实际投入的30%给予最高50万元补助。"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def revised_zhaoqing() -> bytes:
    """Zhaoqing with measure 3 reworded, a new measure inserted after 4, measure 16 deleted."""
    html = fixture("zhaoqing-gkmlpt.html").decode("utf-8")
    assert REWORD[0] in html, "the seed fixture changed: update the demo edits"
    html = html.replace(REWORD[0], REWORD[1])

    # Renumber 5..17 -> 6..18 top-down in the body paragraphs, then put the new 5. after 4.
    def bump(m: re.Match) -> str:
        n = int(m.group(2))
        return f"{m.group(1)}{n + 1}." if n >= 5 else m.group(0)

    html = re.sub(r"(<p[^>]*>(?:<strong>)?)(\d{1,2})\.", bump, html)
    para_4 = re.search(r"<p[^>]*>(?:<strong>)?4\..*?</p>", html, re.S)
    assert para_4, "the seed fixture changed: update the demo edits"
    new_para = f'<p style="text-indent:2em">5.{INSERTED}</p>'
    html = html[: para_4.end()] + new_para + html[para_4.end() :]
    # delete the (now) 17. 完善公共配套服务
    html = re.sub(r"<p[^>]*>(?:<strong>)?17\.完善公共配套服务.*?</p>", "", html, count=1, flags=re.S)
    # chrome: a new view count and a new render date, which must raise nothing
    html = html.replace('<span id="post-visit">-</span>', '<span id="post-visit">1024</span>')
    return html.encode("utf-8")


DEMO_URLS = (
    "https://www.zhaoqing.gov.cn/gkmlpt/content/1/1840/post_1840123.html",
    "http://www.yulin.gov.cn/zcjd/t20220427_1.shtml",
)


def demo_digests(out: Path) -> list[Path]:
    """The digests a policy office subscribed to everything receives during the story.

    A throw-away SQLite database records the two seed pages (digest 1: two new documents), then
    the Zhaoqing revision (digest 2: the reworded, inserted and deleted measures). Each digest is
    "sent" to files - `digest-new-documents.eml/.html` and `digest.eml/.html` - through the same
    outbox and sender as real mail, so the second holds only what is new since the first.
    """
    import tempfile
    from datetime import timedelta

    from notifications.render import FilesConnection
    from notifications.sender import send_due
    from notifications.settings import NotifySettings
    from notifications.smtp import SmtpSettings
    from policywatch.flow import record_page
    from policywatch.notify_config import localized
    from storage import migrate
    from storage.db import connect
    from storage.models import Subscription, utcnow
    from storage.sites import sync_titles

    notify = localized(NotifySettings(smtp=SmtpSettings(sender="policywatch@demo.example")))
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="policywatch-demo-") as tmp:
        db = connect(f"sqlite:///{tmp}/demo.db")
        try:
            migrate.upgrade(db)
            with db.writer() as s:
                office = "office@demo.example"
                s.add(Subscription(name="demo-office", email=office, addresses=[office], filters={}))
                # the sites as the portal's config names them (`crawl` mirrors its [[sites]] titles)
                sync_titles(s, {site: SITE_TITLES[site] for site in ("zhaoqing", "yulin")})
            record_page(db, url=DEMO_URLS[0], body=fixture(SEEDS[0]), site="zhaoqing")
            record_page(db, url=DEMO_URLS[1], body=fixture(SEEDS[1]), site="yulin")
            for stem in ("digest-new-documents", "digest"):
                files = FilesConnection(out, stem=stem)
                send_due(db, notify, utcnow() + timedelta(seconds=1), connection=files)
                written += [p for pair in files.written for p in pair]
                if stem != "digest":
                    record_page(db, url=DEMO_URLS[0], body=revised_zhaoqing(), site="zhaoqing")
        finally:
            db.dispose()
    return written
