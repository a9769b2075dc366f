"""policywatch.toml for the portal: the two city sites (and, for tests, the trap pages)."""

from __future__ import annotations

from pathlib import Path

from policywatch.demo import SITE_TITLES
from policywatch.demo.portal.server import Portal


def config_text(
    portal: Portal,
    *,
    db_url: str | None = None,
    traps: bool = False,
    attachments: bool = False,
    gkmlpt: bool = False,
) -> str:
    """`gkmlpt`: Zhaoqing as the real site lists it (family gkmlpt, the SPA shell and its JSON
    API) instead of through the HTML list pages the portal also serves."""
    lines = []
    if db_url:
        lines += ["[database]", f'url = "{db_url}"', ""]
    if gkmlpt:
        zhaoqing = [f'start_urls = ["{portal.url("/zq/gkmlpt/index")}"]', 'family = "gkmlpt"']
    else:
        zhaoqing = [
            f'start_urls = ["{portal.url("/zq/gkmlpt/index.html")}"]',
            'link_selector = "table.gkml-list a::attr(href)"',
            r'detail_pattern = "/gkmlpt/content/post_\\d+\\.html$"',
            'next_page = { static = "index_{n}.html", max_pages = 20 }',
        ]
    lines += [
        "[[sites]]",
        'name = "zhaoqing"',
        f'title = "{SITE_TITLES["zhaoqing"]}"',
        *zhaoqing,
        "schedule = { interval_minutes = 60 }",
        *(["attachments = true"] if attachments else []),
        "",
        "[[sites]]",
        'name = "yulin"',
        f'title = "{SITE_TITLES["yulin"]}"',
        f'start_urls = ["{portal.url("/yl/zcjd/index.html")}"]',
        'link_selector = "ul.list-news a::attr(href)"',
        r'detail_pattern = "/zcjd/t\\d{8}_\\d+\\.html$"',
        'next_page = { script = "createPageHTML" }',
        'schedule = { cron = "0 6 * * *" }',
        "",
    ]
    if traps:
        lines += [
            "[[sites]]",
            'name = "traps"',
            f'title = "{SITE_TITLES["traps"]}"',
            f'start_urls = ["{portal.url("/traps/index.html")}"]',
            'link_selector = "ul.list a::attr(href)"',
            r'detail_pattern = "/traps/(?!index)\\w+\\.html$"',
            "",
        ]
    return "\n".join(lines)


def write_config(portal: Portal, path: Path, **kw: object) -> Path:
    path.write_text(config_text(portal, **kw), encoding="utf-8")  # type: ignore[arg-type]
    return path
