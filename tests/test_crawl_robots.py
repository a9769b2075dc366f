"""robots.txt, as the server sees it: no request of a host before its robots.txt is known, and
its Crawl-delay between any two requests. Measured from the portal's own access times."""

from __future__ import annotations

from itertools import pairwise

from policywatch.commands.crawl import crawl_site
from policywatch.demo.portal import Portal
from policywatch.demo.portal import content as C
from policywatch.demo.portal.config import write_config

FAST = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "LOG_LEVEL=INFO")
N = 60


def _bulk_config(portal: Portal, tmp_path):
    path = tmp_path / "policywatch.toml"
    path.write_text(
        "[[sites]]\n"
        'name = "bulk"\n'
        f'start_urls = ["{portal.url(C.BULK_LIST)}"]\n'
        'link_selector = "table.gkml-list a::attr(href)"\n'
        'detail_pattern = "/bulk/gkmlpt/content/post_\\\\d+\\\\.html$"\n'
        'next_page = { static = "index_{n}.html" }\n',
        encoding="utf-8",
    )
    return path


def test_disallow_all_means_no_page_is_fetched(tmp_path):
    """F5: with `Disallow: /`, the first requests of a crawl (here the 60 known documents it
    revisits) went out while robots.txt was being fetched: Scrapy handed every waiter after the
    first a parser of None, i.e. "no robots.txt"."""
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with Portal(bulk=N) as portal:
        cfg = _bulk_config(portal, tmp_path)
        assert crawl_site(cfg, "bulk", db_url, settings=FAST).outcomes == {"new": N}
        portal.robots_txt = "User-agent: *\nDisallow: /\n"
        portal.hits.clear()
        run = crawl_site(cfg, "bulk", db_url, settings=FAST)
        paths = [h.path for h in portal.hits]
    # robots.txt, read by the revalidation pre-check (which then hands the site over: it
    # forbids the listing now) and by the crawl; no page
    assert paths == ["/robots.txt", "/robots.txt"]
    assert run.status == "failed"  # its listing is off limits: nothing is watched
    assert run.reason == (
        f"list page failed: {portal.url(C.BULK_LIST)}: IgnoreRequest: Forbidden by robots.txt; the listing is incomplete"
    )
    assert run.outcomes == {}  # and nothing withdrawn


def test_crawl_delay_spaces_every_request_of_the_host(tmp_path):
    """Item 8: `Crawl-delay: 1` was ignored; at DOWNLOAD_DELAY=0 the pages came milliseconds apart.
    AutoThrottle is on (starting from 0) and must not lower the delay below the site's."""
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    delay = 1.0
    with Portal() as portal:
        cfg = write_config(portal, tmp_path / "policywatch.toml")
        portal.robots_txt = f"User-agent: *\nCrawl-delay: {delay:g}\n" + C.ROBOTS_TXT.split("\n", 1)[1]
        run = crawl_site(
            cfg,
            "yulin",
            db_url,
            settings=("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=True", "AUTOTHROTTLE_START_DELAY=0",
                      "CONCURRENT_REQUESTS_PER_DOMAIN=8", "LOG_LEVEL=INFO"),
        )
        times = [h.at for h in portal.hits if h.path != "/robots.txt"]
    assert run.status == "ok" and run.outcomes == {"new": 3}
    assert len(times) >= 5  # 2 list pages, 3 documents
    gaps = [b - a for a, b in pairwise(times)]
    # Scrapy sends them `delay` apart; arrival may differ by a connection set-up on loopback.
    assert min(gaps) >= 0.8 * delay, gaps
    assert "robots.txt of 127.0.0.1:" in run.log.read_text() and f"Crawl-delay {delay:g}s" in run.log.read_text()
