"""A site's display name (`title` in [[sites]]) reaches the database, and times are shown in the
configured zone."""

from __future__ import annotations

from datetime import datetime

import pytest

from pipeline.clock import local_text
from policywatch.config import load as load_config
from policywatch.errors import UsageError
from policywatch.notify_config import notify_settings, sync_config
from storage import migrate
from storage.db import connect
from storage.models import Site
from storage.read.sites import sites_overview

SITE = """
[[sites]]
name = "zhaoqing"
{title}
start_urls = ["http://127.0.0.1:1/list.html"]
detail_pattern = "/art/"
"""


def _config(tmp_path, title='title = "肇庆市人民政府"', extra=""):
    p = tmp_path / "policywatch.toml"
    p.write_text(SITE.format(title=title) + extra, encoding="utf-8")
    return load_config(p)


def test_title_is_synced_and_shown(tmp_path):
    cfg = _config(tmp_path)
    assert cfg.sites[0].title == "肇庆市人民政府"
    db = connect(f"sqlite:///{tmp_path / 'pw.db'}")
    migrate.require(db, create=True)
    sync_config(db, notify_settings(cfg))
    with db.reader() as s:
        assert [(r["name"], r["title"]) for r in sites_overview(s)] == [("zhaoqing", "肇庆市人民政府")]
    # the title taken out of the config: the site keeps its row and reads as its name again
    sync_config(db, notify_settings(_config(tmp_path, title="")))
    with db.reader() as s:
        site = s.query(Site).one()
        assert (site.name, site.title) == ("zhaoqing", None)
        assert sites_overview(s)[0]["title"] == "zhaoqing"
    db.dispose()


@pytest.mark.parametrize("bad", ['title = ""', "title = 3", f'title = "{"长" * 201}"'])
def test_bad_title_is_one_line_error(tmp_path, bad):
    with pytest.raises(UsageError, match="title"):
        _config(tmp_path, title=bad)


def test_display_zone(tmp_path):
    assert _config(tmp_path).ui_timezone == "Asia/Shanghai"
    assert _config(tmp_path, extra='[digest]\ntimezone = "Europe/Berlin"\n').ui_timezone == "Europe/Berlin"
    both = '[ui]\ntimezone = "UTC"\n[digest]\ntimezone = "Europe/Berlin"\n'
    assert _config(tmp_path, extra=both).ui_timezone == "UTC"
    with pytest.raises(UsageError, match=r"\[ui\] timezone"):
        _config(tmp_path, extra='[ui]\ntimezone = "Mars/Olympus"\n')
    # 2026-12-01 16:30 UTC is past midnight in Shanghai (UTC+8)
    assert local_text(datetime(2026, 12, 1, 16, 30)) == "2026-12-02 00:30"
    assert local_text(None) == ""
