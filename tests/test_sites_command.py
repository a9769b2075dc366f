"""`policywatch sites detect URL` and `sites try NAME` against the portal (real HTTP on loopback)."""

from __future__ import annotations

import pytest

from policywatch.cli import main
from policywatch.demo.portal import Portal
from policywatch.demo.portal import families as F


@pytest.fixture(scope="module")
def portal():
    with Portal() as p:
        yield p


@pytest.mark.parametrize(
    ("path", "family", "shown"),
    [
        (F.GD_INDEX, "gkmlpt", 100),  # the shell lists nothing; its first API page 100
        (F.JS_COLUMN, "hanweb-jpage", 45),  # the <datastore> group
        (F.GS_LIST, "channel-search", 20),  # the first search page
        (F.ZJ_COLUMN, "hanweb-jpaas", 15),  # page 1 in the HTML
        (F.GOV_COLUMN, "govcn-json", 6),  # the whole feed the shell loads
        (F.JX_COLUMN, "jiangxi-querylist", 20),  # the column page's listData
        ("/yl/zcjd/index.html", "html", 4),  # links: two documents, 首页 and 政策解读
    ],
)
def test_detect_names_the_family_and_counts_the_first_list(portal, capsys, path, family, shown):
    assert main(["--lang", "en", "sites", "detect", portal.url(path), "--name", "x"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f'[[sites]]\nname = "x"\nstart_urls = ["{portal.url(path)}"]\n')
    assert (f'family = "{family}"' in out) == (family != "html")
    if family == "html":
        assert f"# family html: the first list page has {shown} links; detail_pattern picks the documents" in out
        assert 'next_page = { script = "createPageHTML" }' in out
    else:
        assert f"# family {family}: the first list shows {shown} documents" in out


def _config(portal, tmp_path):
    cfg = tmp_path / "policywatch.toml"
    cfg.write_text(
        f"""[[sites]]
name = "gd"
start_urls = ["{portal.url(F.GD_INDEX)}"]
family = "gkmlpt"

[[sites]]
name = "wrong"
start_urls = ["{portal.url("/yl/zcjd/index.html")}"]
link_selector = "ul.list-news a::attr(href)"
detail_pattern = "/gkmlpt/content/post_\\\\d+\\\\.html$"
""",
        encoding="utf-8",
    )
    return cfg


def test_try_prints_links_pagination_and_the_first_document(portal, tmp_path, capsys):
    before = len(portal.hits)
    assert main(["--lang", "en", "sites", "try", "gd", "--config", str(_config(portal, tmp_path))]) == 0
    out = capsys.readouterr().out
    assert out.startswith("gd (gkmlpt): 100 of 100 links matched, the column says 205\n")
    assert "document_number=粤办函〔2025〕1号" in out and "… and 90 more" in out
    assert f"GET {portal.url('/gd/gkmlpt/api/all/1411?page=2&sid=758123')}" in out
    assert "广东省人民政府办公厅关于做好第1项重点工作的通知\n  document number: 粤办函〔2025〕1号" in out
    # one shell, one API page, one document: nothing more fetched
    assert [h.path for h in portal.hits[before:]] == [
        F.GD_INDEX, "/gd/gkmlpt/api/all/1411?page=1&sid=758123", "/gd/gkmlpt/content/2/0/post_1.html"
    ]


def test_try_with_a_wrong_pattern_exits_1_with_the_counts(portal, tmp_path, capsys):
    assert main(["--lang", "en", "sites", "try", "wrong", "--config", str(_config(portal, tmp_path))]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "policywatch: site 'wrong' (html): 0 of 2 links matched on 1 list pages"


def test_detect_of_a_bad_url_is_a_usage_error(capsys):
    assert main(["--lang", "en", "sites", "detect", "ftp://x"]) == 2
    assert capsys.readouterr().err.strip() == "policywatch: ftp://x: not an http(s) URL"
