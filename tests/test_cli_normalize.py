"""`policywatch normalize` on real pages and on bad input: exit 2 with one line naming the file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from policywatch.cli import main
from policywatch.demo import PAGES

DATA = Path(__file__).parent / "data"


def test_tree_output(capsys) -> None:
    assert main(["--lang", "en", "normalize", str(PAGES / "zhaoqing-gkmlpt.html")]) == 0
    out = capsys.readouterr().out
    assert "document number: 肇府函〔2019〕381号" in out
    assert "二、主要任务" in out and "【构建创新发展新格局】" in out
    assert "20 measures" in out
    # in Chinese by default: the same tree, its labels from the vocabulary and the catalogue
    assert main(["normalize", str(PAGES / "zhaoqing-gkmlpt.html")]) == 0
    out = capsys.readouterr().out
    assert "文号：肇府函〔2019〕381号" in out and "【构建创新发展新格局】" in out and "20 条条款" in out


def test_json_output(capsys) -> None:
    assert main(["normalize", "--json", str(DATA / "corpus" / "lawref-22.md" if (DATA / "corpus" / "lawref-22.md").exists() else DATA / "pairs" / "lawref-22" / "new.md")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"title", "doc_number", "sections", "quality", "attachments", "references"} <= doc.keys()
    measure = doc["sections"][0]["measures"][0] if doc["sections"][0]["measures"] else doc["sections"][0]["children"][0]["measures"][0]
    assert {"label", "path", "heading", "text", "norm_text", "hash"} <= measure.keys()


def _bad(path: Path, capsys) -> str:
    assert main(["normalize", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and "Traceback" not in err
    return err


def test_missing_file(tmp_path, capsys) -> None:
    assert "no such file" in _bad(tmp_path / "nope.html", capsys)


def test_empty_file(tmp_path, capsys) -> None:
    p = tmp_path / "empty.html"
    p.write_bytes(b"")
    assert "empty" in _bad(p, capsys)


def test_binary_file(tmp_path, capsys) -> None:
    p = tmp_path / "scan.pdf"
    p.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 20)
    assert "binary" in _bad(p, capsys)


def test_navigation_only_page(tmp_path, capsys) -> None:
    p = tmp_path / "nav.html"
    p.write_text("<html><body><div class='nav'><a href='/'>首页</a> <a href='/zwgk'>政务公开</a> "
                 "<a href='/hd'>互动交流</a></div><div class='footer'>版权所有 粤ICP备05080102号</div></body></html>", "utf-8")
    assert "no policy text" in _bad(p, capsys)


def test_punctuation_only_page_is_flagged(tmp_path, capsys) -> None:
    """Trap 15: text rendered as punctuation only (script-rendered or obfuscated)."""
    p = tmp_path / "obfuscated.html"
    body = "".join(f"<p>{',,,,。' * 8}{',,。,。' * 5}</p>" for _ in range(30))
    p.write_text(f"<html><body><div id='zoom'><p>关于印发实施方案的通知</p>{body}</div></body></html>", "utf-8")
    assert "garbled" in _bad(p, capsys)


def test_mostly_replacement_characters_is_flagged(tmp_path, capsys) -> None:
    p = tmp_path / "broken.html"
    p.write_text("<html><body><div id='zoom'>" + "<p>一、\ufffd\ufffd\ufffd\ufffd规定\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd</p>" * 40 + "</div></body></html>", "utf-8")
    assert "garbled" in _bad(p, capsys)


def test_ten_megabyte_page_normalizes(tmp_path) -> None:
    """A huge page is not a crash: its text is read (the crawler refuses >10 MB before this)."""
    filler = "<p>第{}条 为了规范管理，根据有关法律法规，结合本市实际，制定本办法。</p>"
    p = tmp_path / "big.html"
    p.write_text("<html><body><div id='zoom'>" + "".join(filler.format(i) for i in range(1, 200)) + "<!--" + "x" * 10_000_000 + "--></div></body></html>", "utf-8")
    assert main(["normalize", "--json", str(p)]) == 0


def test_usage_error_is_one_line() -> None:
    r = subprocess.run([sys.executable, "-m", "policywatch.cli", "normalize"], capture_output=True, text=True)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "path", [PAGES / "yulin-jiedu.html", DATA / "corpus/gz-36.html", DATA / "corpus/ihm-1997.txt"], ids=lambda p: p.name
)
def test_real_pages_print(path: Path, capsys) -> None:
    assert main(["--lang", "en", "normalize", str(path)]) == 0
    assert "measures" in capsys.readouterr().out
