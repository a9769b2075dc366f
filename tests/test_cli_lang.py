"""Every CLI command with human output, in Chinese (the default) and with --lang en, against a
small real database (two versions of a real 办法 recorded with `db record`, a crawl run, a
subscription): no UI string of the other language in what it prints. The strings are the
catalogue's (tests/test_web_i18n.py's helper), not a list kept here; --json stays as it was."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from policywatch import i18n
from policywatch.cli import main
from tests.test_storage_support import DATA
from tests.test_web_i18n import _appears, _foreign_strings

PAIR = DATA / "pairs" / "lawref-22"
PAGE = Path(__file__).resolve().parent.parent / "policywatch" / "demo" / "pages" / "zhaoqing-gkmlpt.html"
URL = "http://www.gov.cn/zhengce/a.html"
TITLE = "中华人民共和国中央人民政府"
LANGS = {"zh_CN": "zh-CN", "en": "en"}


@pytest.fixture(scope="module")
def foreign() -> dict[str, list[str]]:
    return _foreign_strings()


@pytest.fixture
def world(tmp_path, monkeypatch, capsys):
    """A database with two versions of one document, a failed crawl run of its site, a
    subscription; a config naming the site with its title. No config in the working directory."""
    from storage.crawl_runs import finish_run, start_run
    from storage.db import connect

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POLICYWATCH_CONFIG", raising=False)
    db_path = tmp_path / "pw.db"
    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", str(db_path))
    cfg = tmp_path / "site.toml"
    cfg.write_text(
        f'[[sites]]\nname = "gov"\ntitle = "{TITLE}"\n'
        'start_urls = ["http://127.0.0.1:9/gov/"]\ndetail_pattern = "x"\n',
        encoding="utf-8",
    )
    assert main(["db", "record", str(PAIR / "old.md"), str(PAIR / "new.md"), "--url", URL, "--site", "gov",
                 "--at", "2024-01-01T09:00", "--at", "2024-02-01T09:00"]) == 0
    db = connect(str(db_path))
    run = start_run(db, "gov", "2024-02-01T09:00:00Z", at=datetime(2024, 2, 1, 9, 0))
    finish_run(db, run, status="failed", pages=3, changed=0, errors=1, stats={"finish_reason": "finished"})
    db.dispose()
    assert main(["subscribers", "add", "office", "--email", "a@example.org", "--kind", "modified"]) == 0
    capsys.readouterr()
    return cfg


# (argv, the catalogue message the output must show in its language)
COMMANDS = [
    (["status", "--config", "{cfg}"], "failing"),
    (["history", URL], "fetches"),
    (["changes"], "what"),
    (["changes", "--since", "2030-01-01"], "no changes"),
    (["show", "1"], "document %(id)s, version %(seq)s (seen %(first)s .. %(last)s%(note)s)"),
    (["diff", "1"], "sim"),
    (["diff", "1", "--since", "2030-01-01"], "no changes since %(since)s"),
    (["search", "民法典"], "measure"),
    (["search", "不存在的词语"], "no measure contains this phrase"),
    (["subscribers", "list"], "receives"),
    (["db", "status"], "rows"),
    (["cites", "1"], "matched by"),
    (["expiring", "--within", "30"], "no document expires within %(num)d day"),
    (["history", "999"], "DOC %(ref)s: no document with this id"),
    (["normalize", str(PAGE)], "%(num)d measure"),
    (["compare", str(PAIR / "old.md"), str(PAIR / "new.md")], "%(summary)s; %(unchanged)s unchanged (%(renumbered)s renumbered only)"),
]


def _run(capsys, argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out + err


def _fixed(msgid: str, lang: str) -> str:
    """The longest piece of a catalogue message between its placeholders, in `lang`."""
    text = i18n.gettext(msgid, lang)
    return max((p.strip() for p in re.split(r"%\(\w+\)[sd]", text)), key=len)


@pytest.mark.parametrize("argv, msgid", COMMANDS, ids=[" ".join(a[:2]) for a, _ in COMMANDS])
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_no_ui_string_of_the_other_language(world, capsys, foreign, argv, msgid, lang):
    argv = [a.replace("{cfg}", str(world)) for a in argv]
    code, out = _run(capsys, ([] if lang == "zh_CN" else ["--lang", "en"]) + argv)
    assert code in (0, 1, 2) and out.strip(), out
    assert _fixed(msgid, lang) in out, out
    if argv[:2] == ["db", "status"]:  # the tables' SQL names and the revision are identifiers, not UI words
        from storage.models import TABLES

        out = re.sub(rf"^({'|'.join(TABLES)}) ", " ", re.sub(r"\d{4}_\w+", "", out), flags=re.M)
    shown = [f for f in foreign[LANGS[lang]] if _appears(f, out)]
    assert not shown, f"{lang} output shows {shown}:\n{out}"


def test_the_sites_title_times_and_statuses_in_the_status_table(world, capsys):
    code, out = _run(capsys, ["status", "--config", str(world)])
    assert code == 1
    row = out.splitlines()[3]
    # the title beside the name; 09:00 UTC read in Asia/Shanghai; the run's status as the vocabulary says
    assert row.split()[:4] == ["gov", TITLE, "2024-02-01", "17:00:00"] and "失败" in row.split()
    assert out.splitlines()[0] == "调度器：未运行"


def test_lang_before_or_after_the_command_and_the_configs_ui_language(world, capsys, tmp_path):
    before = _run(capsys, ["--lang", "en", "history", URL])
    after = _run(capsys, ["history", URL, "--lang", "en"])
    assert before == after and "fetches" in before[1]
    zh = _run(capsys, ["history", URL])
    assert "抓取次数" in zh[1] and zh != before
    # [ui] language of the config, overridden by --lang
    config = '[ui]\nlanguage = "en"\ntimezone = "UTC"\n\n' + world.read_text(encoding="utf-8")
    world.write_text(config, encoding="utf-8")
    code, out = _run(capsys, ["status", "--config", str(world)])
    assert out.splitlines()[0] == "scheduler: not running" and "2024-02-01 09:00:00" in out and "(UTC)" in out
    code, out = _run(capsys, ["status", "--config", str(world), "--lang", "zh-CN"])
    assert out.splitlines()[0] == "调度器：未运行"
    code, out = _run(capsys, ["status", "--lang", "fr"])
    assert code == 2 and "--lang" in out and out.count("\n") == 1


def test_machine_output_is_the_same_in_both_languages(world, capsys):
    for argv in (["history", URL, "--json"], ["changes", "--json"], ["diff", "1", "--json"]):
        zh = json.loads(_run(capsys, argv)[1])
        en = json.loads(_run(capsys, ["--lang", "en", *argv])[1])
        assert zh == en
    rows = json.loads(_run(capsys, ["changes", "--json"])[1])
    assert rows[0]["detected_at"] == "2024-02-01 09:00:00" and rows[0]["kind"] in ("modified", "added")


def test_commands_without_config_take_the_language_of_the_default_config(world, capsys, tmp_path):
    """history has no --config: ./policywatch.toml (or $POLICYWATCH_CONFIG) still names the language and zone."""
    (tmp_path / "policywatch.toml").write_text('[ui]\nlanguage = "en"\ntimezone = "UTC"\n', encoding="utf-8")
    code, out = _run(capsys, ["history", URL])
    assert code == 0 and "fetches" in out and "first seen (UTC)" in out and "2024-02-01 09:00" in out
    code, out = _run(capsys, ["history", URL, "--lang", "zh"])
    assert "抓取次数" in out


HELP_ARGVS = [["--help"], ["crawl", "-h"], ["subscribers", "add", "-h"], ["search", "--help"], ["serve", "-h"]]


def _help(argv: list[str], capsys, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    return capsys.readouterr().out


def test_every_help_text_is_translated():
    """The parser's texts are catalogue messages (scripts/i18n update adds them), each with a
    Chinese translation that keeps argparse's placeholders."""
    from policywatch.cli import help_texts

    zh = i18n.translations("zh_CN")
    texts = help_texts()
    assert len(texts) > 100 and "show this help message and exit" in texts
    for text in texts:
        said = zh.gettext(text)
        assert said != text or not re.search(r"[a-z]{4}", text), text
        assert re.findall(r"%\(\w+\)\w", said) == re.findall(r"%\(\w+\)\w", text), text


@pytest.mark.parametrize("argv", HELP_ARGVS, ids=" ".join)
def test_help_is_chinese_by_default_and_english_on_request(argv, capsys, monkeypatch, tmp_path):
    import unicodedata

    from policywatch.cli import help_texts

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POLICYWATCH_CONFIG", raising=False)
    english = [t for t in help_texts() if re.search(r"[a-z]{4} [a-z]{3,}", t)]
    zh = _help(argv, capsys, monkeypatch)
    assert zh.startswith("用法：") and "显示本帮助并退出" in zh
    assert not [t for t in english if " ".join(t.split()[:4]) in " ".join(zh.split())]
    # a Chinese character takes two columns: no line wider than the terminal
    assert max(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line) for line in zh.splitlines()) <= 80
    for where in (["--lang", "en", *argv], [*argv, "--lang=en"]):
        en = _help(where, capsys, monkeypatch)
        assert en.startswith("usage: ") and "show this help message and exit" in en and "显示本帮助" not in en
