"""Withdrawals a crawl may and may not make, through the portal over HTTP and `scrapy crawl`.

A document is withdrawn when its page answers 404/410 or a complete listing no longer shows it.
What must never happen: one malformed link, one failed list page or one bad day of the server
withdrawing documents that are still there (and mailing every office about it). Both database
backends: the decision is taken in storage, at the end of the run.
"""

from __future__ import annotations

from sqlalchemy import select

from policywatch.commands.crawl import crawl_site
from policywatch.demo.portal import Portal
from policywatch.demo.portal import content as C
from storage.db import connect
from storage.models import ChangeRow, Document, Outbox

FAST = (
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=False",
    "RETRY_BACKOFF_BASE=0.01",
    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    "LOG_LEVEL=INFO",
)
N = 100  # 4 list pages of 25
LISTS = ["/bulk/gkmlpt/index.html"] + [f"/bulk/gkmlpt/index_{i}.html" for i in range(1, 4)]


def _config(portal: Portal, tmp_path, db_url: str, **site: str) -> object:
    lines = [
        "[[sites]]",
        'name = "bulk"',
        f'start_urls = ["{portal.url(C.BULK_LIST)}"]',
        'link_selector = "table.gkml-list a::attr(href)"',
        site.get("detail_pattern", r'detail_pattern = "/bulk/gkmlpt/content/post_\\d+\\.html$"'),
        'next_page = { static = "index_{n}.html", max_pages = 20 }',
        "",
        "[[subscriptions]]",
        'name = "office"',
        'email = "office@example.org"',
        "",
    ]
    path = tmp_path / "policywatch.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _state(db_url: str) -> tuple[dict[str, int], dict[str, int], int]:
    """Documents by status, changes by kind, withdrawal changes queued for mail."""
    db = connect(db_url)
    try:
        with db.reader() as s:
            docs: dict[str, int] = {}
            for status in s.scalars(select(Document.status)):
                docs[status] = docs.get(status, 0) + 1
            kinds: dict[str, int] = {}
            for kind in s.scalars(select(ChangeRow.kind)):
                kinds[kind] = kinds.get(kind, 0) + 1
            queued = len(
                s.scalars(
                    select(Outbox.id).join(ChangeRow, ChangeRow.id == Outbox.change_id).where(
                        ChangeRow.kind == "withdrawn"
                    )
                ).all()
            )
        return docs, kinds, queued
    finally:
        db.dispose()


def _first_crawl(portal: Portal, tmp_path, db_url: str):
    cfg = _config(portal, tmp_path, db_url)
    from policywatch.cli import main

    assert main(["subscribers", "list", "--config", str(cfg), "--db", db_url]) == 0  # subscriptions synced
    first = crawl_site(cfg, "bulk", db_url, settings=FAST)
    assert first.status == "ok" and first.outcomes == {"new": N}
    return cfg


def test_a_malformed_link_is_skipped_and_the_listing_goes_on(tmp_path, db_url):
    """F2: `href="http://[bad"` on list page 3 of 4 raised in the list callback; pagination stopped
    there and the listing, taken for complete, withdrew every document after the bad link."""
    with Portal(bulk=N) as portal:
        cfg = _first_crawl(portal, tmp_path, db_url)
        page = LISTS[2]
        body = portal.pages()[page].body.decode()
        first_row = body.index("</tr>", body.index("<td")) + len("</tr>")
        bad = '\n<tr><td><a href="http://[bad">坏链接</a></td></tr><tr><td><a href="http://a:99999/x">端口</a></td></tr>'
        portal.overrides[page] = C.Resource((body[:first_row] + bad + body[first_row:]).encode())
        portal.hits.clear()
        run = crawl_site(cfg, "bulk", db_url, settings=FAST)
        fetched_lists = {h.path for h in portal.hits if h.path in LISTS}
    log = run.log.read_text()
    assert run.status == "ok", run.reason
    assert run.outcomes == {"unchanged": N}
    assert fetched_lists == set(LISTS)  # every list page, the ones after the bad link too
    assert "bad link skipped" in log and "'policywatch/bad_links': 2" in log
    docs, kinds, queued = _state(db_url)
    assert docs == {"active": N} and "withdrawn" not in kinds and queued == 0


def test_a_failed_list_page_withdraws_nothing_and_fails_the_run(tmp_path, db_url):
    """A list page that answers 500 (after its retries) leaves the listing unknown: nothing it
    would have shown is taken for withdrawn, not even pages that answer 404, and the run fails.
    (Without the HTTP cache: whether the cache may stand in for a 5xx is another matter.)"""
    with Portal(bulk=N) as portal:
        cfg = _first_crawl(portal, tmp_path, db_url)
        portal.errors[LISTS[1]] = 500
        for k in (1, 2, 3):
            portal.errors[C.BULK_DETAIL.format(k)] = 404
        run = crawl_site(cfg, "bulk", db_url, settings=(*FAST, "HTTPCACHE_ENABLED=False"))
    assert run.status == "failed"
    assert run.reason == (
        f"list page failed: {portal.url(LISTS[1])}: http 500; the listing is incomplete; "
        "3 pages answered 404/410; none withdrawn by an incomplete run"
    )
    docs, kinds, queued = _state(db_url)
    assert docs == {"active": N} and "withdrawn" not in kinds and queued == 0
    assert "not withdrawing the 3 documents that answered 404/410" in run.log.read_text()


def test_a_site_wide_404_withdraws_nothing_and_the_return_is_quiet(tmp_path, db_url):
    """F3: the whole site answering 404 for one run (list pages included) withdrew all of it,
    status ok; the next day everything turned active again without a change row."""
    from policywatch.cli import main

    with Portal(bulk=N) as portal:
        cfg = _first_crawl(portal, tmp_path, db_url)
        portal.gone_prefix = "/bulk/"
        down = crawl_site(cfg, "bulk", db_url, settings=FAST)
        portal.gone_prefix = None
        back = crawl_site(cfg, "bulk", db_url, settings=FAST)
    assert down.status == "failed"
    assert down.reason == (
        f"list page failed: {portal.url(LISTS[0])}: http 404; the listing is incomplete; "
        f"{N} pages answered 404/410; none withdrawn by an incomplete run"
    )
    assert back.status == "ok" and back.outcomes == {"unchanged": N}
    docs, kinds, queued = _state(db_url)
    assert docs == {"active": N} and kinds == {"document_added": N} and queued == 0
    assert main(["status", "--config", str(cfg), "--db", db_url]) == 0  # the site is back: not failing


def test_details_gone_beyond_the_share_withdraw_nothing(tmp_path, db_url, capsys):
    """The list pages answer, but 30 of 100 detail pages answer 404 (a half-broken CMS): more than
    POLICYWATCH_MAX_WITHDRAW_SHARE (0.2) of the site would go, so none does and the run fails with
    the reason in the crawl summary and `status`. Within the share they are withdrawn."""
    from policywatch.cli import main

    with Portal(bulk=N) as portal:
        cfg = _first_crawl(portal, tmp_path, db_url)
        for k in range(1, 31):
            portal.errors[C.BULK_DETAIL.format(k)] = 404
        run = crawl_site(cfg, "bulk", db_url, settings=FAST)
        assert run.status == "failed"
        assert run.reason.startswith("site 'bulk': 30 of 100 active documents would be withdrawn at once (30 answer 404/410")
        assert _state(db_url)[0] == {"active": N}
        capsys.readouterr()
        assert main(["status", "--config", str(cfg), "--db", db_url]) == 1
        assert "失败站点：bulk (site 'bulk': 30 of 100 active documents would be withdrawn" in capsys.readouterr().err
        # the operator says this is real: a larger share for this run
        again = crawl_site(cfg, "bulk", db_url, settings=(*FAST, "POLICYWATCH_MAX_WITHDRAW_SHARE=0.5"))
    assert again.status == "ok" and again.outcomes == {"unchanged": 70, "withdrawn": 30}
    docs, kinds, queued = _state(db_url)
    assert docs == {"active": 70, "withdrawn": 30} and kinds["withdrawn"] == 30 and queued == 30


def test_a_withdrawn_document_that_answers_again_is_republished(tmp_path, db_url):
    with Portal(bulk=N) as portal:
        cfg = _first_crawl(portal, tmp_path, db_url)
        portal.errors[C.BULK_DETAIL.format(7)] = 404
        gone = crawl_site(cfg, "bulk", db_url, settings=FAST)
        del portal.errors[C.BULK_DETAIL.format(7)]
        back = crawl_site(cfg, "bulk", db_url, settings=FAST)
        again = crawl_site(cfg, "bulk", db_url, settings=FAST)
    assert gone.outcomes == {"unchanged": N - 1, "withdrawn": 1}, (gone.status, gone.reason, gone.errors)
    assert back.status == "ok" and again.status == "ok", (back.reason, again.reason)
    docs, kinds, _ = _state(db_url)
    assert docs == {"active": N}, (docs, back.outcomes, back.log)
    assert kinds == {"document_added": N, "withdrawn": 1, "republished": 1}, (kinds, back.outcomes, again.outcomes)


def test_a_new_site_whose_listing_matches_nothing_fails(tmp_path, db_url, capsys):
    """Item 3: a detail_pattern that matches no link of the listing crawled 0 pages and said ok."""
    from policywatch.cli import main

    with Portal(bulk=N) as portal:
        cfg = _config(portal, tmp_path, db_url, detail_pattern=r'detail_pattern = "/bulk/gkmlpt/post_\\d+\\.htm$"')
        run = crawl_site(cfg, "bulk", db_url, settings=FAST)
        assert run.status == "failed" and run.pages == 0
        # the first list page shows 25 links in its table.gkml-list, all to documents; a page that lists
        # nothing has no next page
        assert run.reason == "0 of 25 links on 1 list pages matched detail_pattern"
        capsys.readouterr()
        assert main(["crawl", "bulk", "--config", str(cfg), "--db", db_url, *(f"--set={s}" for s in FAST)]) == 1
        out = capsys.readouterr()
        assert "bulk: 失败: 0 of 25 links on 1 list pages matched detail_pattern" in out.out
        assert main(["status", "--config", str(cfg), "--db", db_url]) == 1
        assert "0 of 25 links on 1 list pages matched detail_pattern" in capsys.readouterr().err
