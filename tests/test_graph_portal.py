"""Issue 20 through the portal: real HTTP, real `scrapy crawl` subprocesses, an aiosmtpd server.

The portal carries the Zhaoqing 实施意见 (which prints "《广东省人民政府关于促进高新技术产业开发区
高质量发展的意见》(粤府〔2019〕28号)") and, for these tests, the provincial 意见 itself on a third
site: tests/data/graph/gd-yuefu-2019-28.html, a FIXTURE written for issue 20 (marked so in its
source), served through `portal.overrides`. It prints 文号 粤府〔2019〕28号, 成文日期 2019-03-18 and
"本意见自印发之日起实施,有效期5年": its last day is 2024-03-17, long past.

Story (module fixture): crawl all three sites; mail what is due; revise the provincial page
(its measure 2 reworded); crawl it; mail; crawl it again unchanged; mail. Subscriptions: `zq`
follows Zhaoqing (the citing side), `zq-quiet` too but with `impact = false`, `gd` follows the
provincial site (the cited side).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from html import escape
from pathlib import Path

import pytest

from notifications.expiry import send_notices
from notifications.sender import send_due
from policywatch.cli import main
from policywatch.commands.crawl import crawl_site
from policywatch.config import load
from policywatch.demo.portal import Portal
from policywatch.demo.portal import content as C
from policywatch.demo.portal.config import config_text
from policywatch.notify_config import notify_settings, sync_config
from storage.db import connect
from tests.test_notify_support import parts, smtp_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

FAST = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "RETRY_BACKOFF_BASE=0.01", "LOG_LEVEL=INFO")
FIXTURE = Path(__file__).parent / "data" / "graph" / "gd-yuefu-2019-28.html"
GD_LIST, GD_DETAIL = "/gd/gkmlpt/index.html", "/gd/gkmlpt/content/post_2019028.html"
GD_TITLE = "广东省人民政府关于促进高新技术产业开发区高质量发展的意见"
ZQ_TITLE = "肇庆市人民政府关于印发肇庆市关于促进肇庆高新技术产业开发区高质量发展的实施意见的通知"
OLD_2 = "推动高新区建设大学科技园和新型研发机构,集聚高端创新资源。"
NEW_2 = "推动高新区建设大学科技园、新型研发机构和省实验室,集聚全球高端创新资源。"


def _list_page() -> bytes:
    return (f'<html><head><meta charset="utf-8"><title>广东省人民政府 政府信息公开</title></head><body>'
            f'<ul class="list"><li><a href="{GD_DETAIL}">{escape(GD_TITLE)}</a> 2019-03-20</li></ul>'
            "</body></html>").encode()


def _subscriptions() -> str:
    out = []
    for name, site, extra in (("zq", "zhaoqing", ""), ("zq-quiet", "zhaoqing", "impact = false\n"), ("gd", "guangdong", "")):
        out.append(f'[[subscriptions]]\nname = "{name}"\nemail = "{name}@example.org"\ncadence = "immediate"\n'
                   f'sites = ["{site}"]\n{extra}')
    return "\n".join(out)


@dataclass
class Story:
    cfg: Path
    db_url: str
    mails: list[list] = field(default_factory=list)  # messages sent after each step
    notices: list[list] = field(default_factory=list)


def _to(msgs, name: str) -> list:
    return [m for m in msgs if m["To"] == f"{name}@example.org"]


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Story:
    tmp = tmp_path_factory.mktemp("graph")
    db_url = f"sqlite:///{tmp / 'pw.db'}"
    with Portal() as portal, smtp_server() as (controller, got):
        portal.overrides[GD_LIST] = C.Resource(_list_page())
        portal.overrides[GD_DETAIL] = C.Resource(FIXTURE.read_bytes())
        text = config_text(portal, db_url=db_url) + "\n".join([
            "[[sites]]", 'name = "guangdong"', f'start_urls = ["{portal.url(GD_LIST)}"]',
            'link_selector = "ul.list a::attr(href)"', r'detail_pattern = "/gkmlpt/content/post_\\d+\\.html$"', "",
            "[smtp]", 'host = "127.0.0.1"', f"port = {controller.port}", 'security = "none"',
            'from = "pw@example.org"', "", _subscriptions(),
        ])
        cfg = tmp / "policywatch.toml"
        cfg.write_text(text, encoding="utf-8")
        notify = notify_settings(load(cfg))
        db = connect(db_url)
        from storage import migrate

        migrate.upgrade(db)
        sync_config(db, notify)
        st = Story(cfg, db_url)

        def step(sites, today: date) -> None:
            for site in sites:
                run = crawl_site(cfg, site, db_url, settings=FAST, timeout=120)
                assert run.status == "ok", run
            before = len(got.messages)
            send_due(db, notify, everything=True)
            st.mails.append(got.messages[before:])
            before = len(got.messages)
            send_notices(db, notify, today)
            st.notices.append(got.messages[before:])

        step(("zhaoqing", "yulin", "guangdong"), date(2026, 12, 1))
        portal.overrides[GD_DETAIL] = C.Resource(FIXTURE.read_text("utf-8").replace(OLD_2, NEW_2).encode())
        step(("guangdong",), date(2026, 12, 2))
        step(("guangdong",), date(2026, 12, 3))
        db.dispose()
        st.cfg = cfg
        yield st


def _cli(capsys, *argv) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cites_and_cited_by_resolve_the_provincial_opinion(story, capsys):
    zq = _cli(capsys, "cites", "肇府函〔2019〕381号", "--db", story.db_url)
    cited = [c for c in zq["cites"] if c["cited"]]
    assert [(c["doc_number"], c["matched_by"], c["cited"]["title"]) for c in cited] == [
        ("粤府〔2019〕28号", "doc_number", GD_TITLE)]
    gd = _cli(capsys, "cited-by", "粤府[2019]28号", "--db", story.db_url)
    assert [d["title"] for d in gd["cited_by"]] == [ZQ_TITLE]
    assert main(["cites", "粤府〔2019〕28号", "--db", story.db_url]) == 0  # the table, in Chinese
    assert "引用" in capsys.readouterr().out


def test_a_revised_cited_document_tells_the_citing_side_once(story):
    first, revised, again = story.mails
    assert not any("上位文件变化" in parts(m)["text/plain"] for m in first)
    mine = _to(revised, "zq")
    assert len(mine) == 1
    text, html = parts(mine[0])["text/plain"], parts(mine[0])["text/html"]
    assert "== 上位文件变化 ==" in text and text.count(GD_TITLE) == 1
    assert mine[0]["Subject"] == f"[policywatch] 上位文件变化：{GD_TITLE}"
    assert ZQ_TITLE in text  # names the citing document the subscriber follows
    assert "省实验室" in text and "全球" in text  # the words the revision added
    assert "上位文件变化" in html and "<ins" in html
    assert _to(revised, "zq-quiet") == []  # impact = false
    gd = _to(revised, "gd")
    assert len(gd) == 1 and "上位文件变化" not in parts(gd[0])["text/plain"]  # the cited side: a plain digest
    assert again == []  # once: nothing more when the page is crawled again unchanged


def test_a_document_past_its_term_is_noticed_once(story):
    first, second, third = story.notices
    gd = _to(first, "gd")
    assert len(gd) == 1
    text = parts(gd[0])["text/plain"]
    assert "[已到期]" in text and GD_TITLE in text and "有效期至 2024-03-17" in text
    assert _to(first, "zq") == []  # the Zhaoqing page states no term
    assert second == [] and third == []  # not every day


def test_expiring_lists_it(story, capsys):
    out = _cli(capsys, "expiring", "--within", "30d", "--today", "2026-12-01", "--db", story.db_url)
    assert [(d["title"], d["expires"]) for d in out["documents"]] == [(GD_TITLE, "2024-03-17")]


def test_trace_finds_the_source_by_citation(story, capsys):
    out = _cli(capsys, "trace", "肇府函〔2019〕381号", "--db", story.db_url)
    assert out["source_chosen_by"] == "implements"
    gd = _cli(capsys, "cites", "肇府函〔2019〕381号", "--db", story.db_url)
    assert out["source"] == next(c["cited"]["id"] for c in gd["cites"] if c["cited"])  # the 意见 it implements
    # the three numbered measures of the provincial text, each with what the local text made of it
    assert [a["source"]["label"] for a in out["adoptions"]] == ["1.", "2.", "3."]
    assert all(a["kind"] in ("identical", "adapted", "absent") for a in out["adoptions"])
    assert main(["trace", "肇府函〔2019〕381号", "--db", story.db_url]) == 0
    assert "上位文件：" in capsys.readouterr().out


def test_document_pages_show_both_directions_and_the_trace(story, capsys):
    from policywatch.web.app import create_app

    zq = _cli(capsys, "cites", "肇府函〔2019〕381号", "--db", story.db_url)
    gd_id = next(c["cited"]["id"] for c in zq["cites"] if c["cited"])
    client = create_app(story.db_url).test_client()
    page = client.get(f"/documents/{zq['document']}").get_data(as_text=True)
    assert "引用文件" in page and f'href="/documents/{gd_id}">{GD_TITLE}</a>（粤府〔2019〕28号）' in page
    assert f'/documents/{zq["document"]}/trace"' in page  # the link to the side-by-side trace
    cited = client.get(f"/documents/{gd_id}").get_data(as_text=True)
    assert "被引用" in cited and ZQ_TITLE in cited
    assert "有效期至</dt><dd>2024-03-17" in cited
    trace = client.get(f"/documents/{zq['document']}/trace")
    assert trace.status_code == 200
    html = trace.get_data(as_text=True)
    assert "上位文件" in html and "本地文件" in html and "强化辐射带动作用" in html  # the provincial 1.
    assert client.get(f"/documents/{zq['document']}/trace?source=999999").status_code == 404
