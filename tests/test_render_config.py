"""`render` and `render_details` in a [[sites]] table: checked when the config loads."""

from __future__ import annotations

import pytest

from policywatch.cli import main
from policywatch.config import load
from policywatch.errors import UsageError

SITE = """[[sites]]
name = "gansu"
start_urls = ["https://www.gansu.gov.cn/gsszf/c100054/xxgk_list.shtml"]
detail_pattern = "/c\\\\d+/\\\\d{6}/\\\\w+\\\\.shtml$"
"""


def write(tmp_path, extra: str):
    path = tmp_path / "policywatch.toml"
    path.write_text(SITE + extra, encoding="utf-8")
    return path


def test_plain_http_by_default_and_browser_when_asked(tmp_path):
    site = load(write(tmp_path, "")).site("gansu")
    assert (site.render, site.render_details) == ("http", False)
    site = load(write(tmp_path, 'render = "browser"\nrender_details = true\n')).site("gansu")
    assert (site.render, site.render_details) == ("browser", True)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('render = "chrome"\n', "site 'gansu': render: must be \"http\" or \"browser\" (got 'chrome')"),
        ("render = true\n", "site 'gansu': render: must be \"http\" or \"browser\" (got True)"),
        ('render = "browser"\nrender_details = "yes"\n', "site 'gansu': render_details: must be true or false"),
        ("render_details = true\n", "site 'gansu': render_details: needs render = \"browser\""),
    ],
)
def test_a_wrong_render_is_one_line_naming_the_key(tmp_path, extra, message):
    path = write(tmp_path, extra)
    with pytest.raises(UsageError) as e:
        load(path)
    assert str(e.value).startswith(f"{path}: {message}")
    assert "\n" not in str(e.value)


def test_crawl_with_a_wrong_render_exits_2(tmp_path, capsys):
    path = write(tmp_path, 'render = "chrome"\n')
    assert main(["crawl", "--config", str(path)]) == 2
    assert "render: must be" in capsys.readouterr().err
