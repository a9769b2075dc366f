"""What every portal site is made of: a served resource, a line of a list page, a short notice.

Apart from content.py so that the listing-platform imitations (families.py) build their pages
from the same parts without importing the sites that list them.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

JSON = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Entry:
    """A line of a list page."""

    path: str
    title: str
    date: str


def notice(
    title: str, number: str, date: str, measures: list[str], visits: str = "-", files: tuple[str, ...] = ()
) -> bytes:
    """A short gkmlpt notice: 文号, 一、/二、 sections, numbered measures, linked files (附件)."""
    items = "\n".join(f'<p style="text-indent:2em">{i}.{escape(m)}</p>' for i, m in enumerate(measures, 1))
    links = "".join(f'<p>附件{i}：<a href="{path}">{escape(path.rsplit("/", 1)[1])}</a></p>' for i, path in
                    enumerate(files, 1))
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="UTF-8"><title>{escape(title)}</title>
<meta name="ArticleTitle" content="{escape(title)}"><meta name="PubDate" content="{date} 09:00"></head>
<body><div class="header">肇庆市人民政府 政府信息公开</div>
<div class="content"><h1 class="title document-number">{escape(title)}</h1>
<div class="date-row">发布日期:{date}&nbsp;&nbsp;浏览次数:<span id="post-visit">{visits}</span></div>
<table class="classify"><tr><td>文号:</td><td>{escape(number)}</td><td>发布机构:</td><td>肇庆市人民政府办公室</td></tr></table>
<div class="article-content">
<p style="text-align: left;">各县(市、区)人民政府,市政府各部门:</p>
<p style="text-indent:2em">为做好有关工作,经市人民政府同意,现就有关事项通知如下。</p>
<p style="text-indent:2em"><strong>一、工作措施</strong></p>
{items}
<p style="text-indent:2em"><strong>二、有关要求</strong></p>
<p style="text-indent:2em">各地各部门要高度重视,认真组织实施。</p>
<p style="text-indent:2em; text-align: right;">肇庆市人民政府办公室</p>
<p style="text-indent:2em; text-align: right;">{date.replace("-", "年", 1).replace("-", "月", 1)}日</p>
{links}</div></div><div class="footer">主办单位:肇庆市人民政府办公室</div></body></html>""".encode()
