"""A small database of one notice recorded twice (a measure reworded) and a second site's page,
at chosen fetch times: what the web tests of local times and titles read."""

from __future__ import annotations

from datetime import datetime

from policywatch.flow import Page, record_page
from storage import migrate
from storage.db import connect

URL = "https://www.zhaoqing.gov.cn/zwgk/post_1.html"


def notice(measure: str) -> bytes:
    return f"""<html><head><meta charset="utf-8"><title>关于加强统筹协调的通知</title></head><body>
<div class="article"><h1>关于加强统筹协调的通知</h1>
<p>一、总体要求</p>
<p>1. {measure}</p>
<p>2. 强化监督考核评价,对工作推进不力的单位予以通报。</p>
</div></body></html>""".encode()


def notice_db(path, first: datetime, second: datetime, other: datetime) -> str:
    """Zhaoqing's notice fetched at `first` and reworded at `second`, Yulin's page at `other`."""
    db = connect(str(path))
    migrate.upgrade(db)
    record_page(db, Page(url=URL, body=notice("完善统筹协调机制,建立健全工作责任制度。"), site="zhaoqing", fetched_at=first))
    record_page(db, Page(url=URL, body=notice("完善统筹协调机制,建立健全工作责任和考核制度。"), site="zhaoqing", fetched_at=second))
    record_page(db, Page(url=URL.replace("zhaoqing", "yulin"), body=notice("落实安全生产责任。"), site="yulin", fetched_at=other))
    db.dispose()
    return str(path)
