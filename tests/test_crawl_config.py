"""policywatch.toml loading: the sites the crawler follows, and one-line errors naming file, site and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from policywatch.config import load
from policywatch.errors import UsageError

GOOD = r"""
[database]
url = "sqlite:///x.db"

[[sites]]
name = "zhaoqing"
start_urls = ["https://www.zhaoqing.gov.cn/gkmlpt/index.html"]
link_selector = "table.gkml-list a::attr(href)"
detail_pattern = "/content/post_\\d+\\.html$"
next_page = { static = "index_{n}.html", max_pages = 5 }
schedule = { interval_minutes = 60 }
settings = { DOWNLOAD_DELAY = 2 }

[[sites]]
name = "yulin"
start_urls = ["http://www.yulin.gov.cn/zcjd/index.html"]
detail_pattern = "/t\\d{8}_\\d+\\.html$"
next_page = { script = "createPageHTML" }
schedule = { cron = "0 6 * * *" }
encoding = "gbk"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policywatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_sites_and_database(tmp_path):
    cfg = load(write(tmp_path, GOOD))
    assert cfg.database_url == "sqlite:///x.db"
    zq, yl = cfg.sites
    assert zq.name == "zhaoqing" and zq.next_page.kind == "static" and zq.next_page.max_pages == 5
    assert zq.detail_pattern.search("https://www.zhaoqing.gov.cn/gkmlpt/content/post_1840123.html")
    assert zq.settings == {"DOWNLOAD_DELAY": 2} and zq.schedule.interval_minutes == 60
    assert yl.next_page.kind == "script" and yl.schedule.cron == "0 6 * * *" and yl.encoding == "gbk"
    assert yl.link_selector == "a::attr(href)"  # the default: every link
    assert cfg.site("yulin") is yl


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('detail_pattern = "/t\\\\d{8}_\\\\d+\\\\.html$"', 'detail_pattern = "(unclosed"'),
            "site 'yulin': detail_pattern: ",
        ),
        (
            ('start_urls = ["http://www.yulin.gov.cn/zcjd/index.html"]', 'start_urls = ["ftp://x/"]'),
            "site 'yulin': start_urls: ",
        ),
        (('{ script = "createPageHTML" }', '{ static = "index.html" }'), "site 'yulin': next_page.static: "),
        (
            ('{ script = "createPageHTML" }', '{ script = "x", static = "i_{n}" }'),
            "site 'yulin': next_page: ",
        ),
        (('{ cron = "0 6 * * *" }', '{ cron = "daily" }'), "site 'yulin': schedule.cron: "),
        (('{ cron = "0 6 * * *" }', '{ cron = "0 25 * * *" }'), "schedule.cron: '0 25 * * *' is not a valid cron expression"),
        (('encoding = "gbk"', 'encoding = "klingon"'), "site 'yulin': encoding: "),
        (('encoding = "gbk"', 'encodnig = "gbk"'), "site 'yulin': encodnig: unknown key"),
        (('name = "yulin"', 'name = "zhaoqing"'), "site 'zhaoqing': name is used twice"),
        (
            ('link_selector = "table.gkml-list a::attr(href)"', 'link_selector = "table[["'),
            "site 'zhaoqing': link_selector: ",
        ),
    ],
)
def test_errors_name_file_site_and_key(tmp_path, change, message):
    old, new = change
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(UsageError) as e:
        load(path)
    assert str(e.value).startswith(f"{path}: ")
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_missing_file_bad_toml_and_unknown_site(tmp_path):
    with pytest.raises(UsageError, match="no such config file"):
        load(tmp_path / "nope.toml")
    with pytest.raises(UsageError, match="not valid TOML"):
        load(write(tmp_path, "[[sites]\nname="))
    cfg = load(write(tmp_path, GOOD))
    with pytest.raises(UsageError, match=r"no site named 'guangzhou' \(sites: zhaoqing, yulin\)"):
        cfg.site("guangzhou")


def test_missing_detail_pattern(tmp_path):
    path = write(tmp_path, '[[sites]]\nname = "a"\nstart_urls = ["http://a.gov.cn/"]\n')
    with pytest.raises(UsageError, match="site 'a': detail_pattern: is required"):
        load(path)


def test_crawl_command_usage_errors(tmp_path, capsys):
    from policywatch.cli import main

    path = write(tmp_path, GOOD)
    assert main(["crawl", "guangzhou", "--config", str(path)]) == 2
    assert "no site named 'guangzhou'" in capsys.readouterr().err
    assert main(["crawl", "--config", str(tmp_path / "missing.toml")]) == 2
    assert main(["crawl", "--config", str(path), "--set", "nonsense"]) == 2


def test_unknown_top_level_key_and_other_tables_kept(tmp_path):
    with pytest.raises(UsageError, match="subscription: unknown top-level key"):
        load(write(tmp_path, GOOD + '\n[[subscription]]\nname = "x"\n'))
    cfg = load(write(tmp_path, GOOD + '\n[smtp]\nhost = "mail.example.org"\n'))
    assert cfg.tables == {"smtp": {"host": "mail.example.org"}}


@pytest.mark.parametrize(
    ("static", "why"),
    [
        ("index_{n}_{x}.html", "'index_{n}_{x}.html': unknown placeholder {x} (only {n}, the page number, is known)"),
        ("index_{}.html", "unknown placeholder {}"),
        ("index_{n.real}.html", "unknown placeholder {n.real}"),
        ("index_{n.html", "is not a page pattern"),
        ("index_{n:s}.html", "{n} cannot be formatted"),
        ("index.html", "has no {n} for the page number"),
    ],
)
def test_next_page_static_takes_only_the_page_number(tmp_path, capsys, static, why):
    """A placeholder the spider cannot fill used to pass the load and raise at the second list
    page: the crawl listed 25 of 300 documents and said ok."""
    from policywatch.cli import main

    path = write(tmp_path, GOOD.replace('static = "index_{n}.html"', f'static = "{static}"'))
    assert main(["crawl", "zhaoqing", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert f"{path}: " in err and "'zhaoqing': next_page.static: " in err and why in err


def test_next_page_static_may_format_the_page_number(tmp_path):
    cfg = load(write(tmp_path, GOOD.replace('static = "index_{n}.html"', 'static = "p{n:02d}_{{x}}.html"')))
    assert cfg.site("zhaoqing").next_page.value.format(n=3) == "p03_{x}.html"
