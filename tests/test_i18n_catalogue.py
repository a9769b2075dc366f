"""The message catalogue against its sources: every message the code and templates ask for is
translated in both languages, the vocabulary's labels are the catalogue's, the committed .mo
files say what their .po files say, and the language is picked as policywatch.i18n documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from pipeline.vocabulary import FIELD_LABELS, KIND_LABELS, STATUS_LABELS
from policywatch import i18n
from policywatch.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
DIRS = {"zh_CN": "zh_Hans_CN", "en": "en"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalog(lang: str):
    with (i18n.LOCALE_DIR / DIRS[lang] / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=DIRS[lang])


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "say": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _strings(m) -> tuple[str, ...]:
    return (m.string,) if isinstance(m.string, str) else tuple(m.string)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_extracted_message_is_translated(lang) -> None:
    found = _extracted()
    assert "Sites" in found and "Attachment “%(name)s” replaced: size %(old)s → %(new)s" in found  # the walk ran
    cat = _catalog(lang)
    missing = sorted(m for m in found if m not in cat or not all(_strings(cat[m])))
    assert not missing, f"{lang}: no translation for {missing[:5]} (run scripts/i18n update, then translate)"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_translations_keep_their_placeholders(lang) -> None:
    for m in _catalog(lang):
        if not m.id:
            continue
        ids = (m.id,) if isinstance(m.id, str) else tuple(m.id)
        want = set(PLACEHOLDER.findall(ids[-1])) - {"num"}
        for text in _strings(m):
            assert set(PLACEHOLDER.findall(text)) - {"num"} == want, (m.id, text)


def test_the_vocabulary_labels_are_the_catalogues() -> None:
    zh, en = _catalog("zh_CN"), _catalog("en")
    for table in (KIND_LABELS, FIELD_LABELS, STATUS_LABELS):
        for label in table.values():
            assert zh[label.msgid] is not None and zh[label.msgid].string == label.zh, label
            assert en[label.msgid] is not None and en[label.msgid].string == label.en, label
            assert i18n.label(label.msgid, "zh_CN") == label.zh and i18n.label(label.msgid, "en") == label.en


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_compiled_catalogue_is_the_po(lang) -> None:
    def key(m):
        return (m.id if isinstance(m.id, str) else tuple(m.id)), _strings(m)

    po = dict(key(m) for m in _catalog(lang) if m.id)
    with (i18n.LOCALE_DIR / DIRS[lang] / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        mo = dict(key(m) for m in read_mo(f) if m.id)
    assert mo == po, f"{lang}: messages.mo is older than messages.po (run scripts/i18n compile)"


def test_the_language_is_picked_in_order() -> None:
    assert i18n.pick() == "zh_CN"
    assert i18n.pick(configured="en") == "en"
    assert i18n.pick("zh-CN", configured="en") == "zh_CN"
    assert i18n.pick("en-US") == "en"
    with pytest.raises(UsageError, match="--lang fr"):
        i18n.pick("fr")
    assert i18n.config_language({"ui": {"language": "en"}}) == "en"
    assert i18n.config_language({}) is None
    with pytest.raises(UsageError, match=r"\[ui\] language: 'klingon'"):
        i18n.config_language({"ui": {"language": "klingon"}})
    with pytest.raises(UsageError, match=r"\[ui\] colour: unknown key"):
        i18n.config_language({"ui": {"colour": "red"}})


def test_gettext_outside_a_request() -> None:
    assert i18n.gettext("Sites") == "站点"
    assert i18n.gettext("Sites", "en") == "Sites"
    assert i18n.gettext("page %(n)s", "zh_CN", n=3) == "第 3 页"
    assert i18n.ngettext("%(num)d measure", "%(num)d measures", 2, "en") == "2 measures"


def test_the_config_names_the_language(tmp_path) -> None:
    from policywatch import config

    path = tmp_path / "p.toml"
    path.write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    assert config.load(path).ui_language == "en"
    path.write_text('[ui]\nlanguage = "fr"\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"p.toml: \[ui\] language: 'fr' is not one of zh-CN, en"):
        config.load(path)
    path.write_text("", encoding="utf-8")
    assert config.load(path).ui_language is None
