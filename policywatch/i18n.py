"""The one place that picks the language a person reads, and the catalogue's gettext for code
outside a web request (CLI messages, the digest).

Languages: zh_CN (the default, DESIGN.md) and en. The choice, first that applies:
- CLI and digest: an explicit `--lang`, then the config's `[ui] language`, then zh_CN;
- web pages: `?lang=` on the request, then the browser's Accept-Language (best of the two we
  have), then the server's language (`create_app(lang=...)`: `--lang` or `[ui] language`), then zh_CN.

The catalogue is policywatch/locale/<lang>/LC_MESSAGES/messages.po (zh_CN as Babel spells it, zh_Hans_CN), compiled to the .mo beside it
(`scripts/i18n compile`; tests/test_i18n_catalogue.py fails when a .mo is older than its .po).
The labels of the change vocabulary (pipeline.vocabulary.Label) are its entries `kind.*` and
`field.*`, written into the .po files from the vocabulary by `scripts/i18n vocab`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.support import NullTranslations, Translations

from policywatch.errors import UsageError

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT = "zh_CN"
LANGUAGES = ("zh_CN", "en")
DOMAIN = "messages"
UI_KEYS = {"language", "timezone"}

_ALIASES = {"zh": "zh_CN", "zh_cn": "zh_CN", "zh-cn": "zh_CN", "zh_hans": "zh_CN", "zh-hans": "zh_CN", "en": "en"}


def normalize(value: str | None) -> str | None:
    """A language as one of LANGUAGES: "zh-CN", "zh", "zh_Hans" -> zh_CN; "en", "en-US" -> en;
    anything else (or nothing) -> None."""
    if not value or not isinstance(value, str):
        return None
    v = value.strip().lower().replace("-", "_")
    if v in _ALIASES:
        return _ALIASES[v]
    if v.startswith("zh"):
        return "zh_CN"
    if v.startswith("en"):
        return "en"
    return None


def config_language(tables: dict[str, Any], where: str = "config") -> str | None:
    """`[ui] language` of a config's tables (policywatch.config.Config.tables), checked."""
    ui = tables.get("ui")
    if ui is None:
        return None
    if not isinstance(ui, dict):
        raise UsageError(f"{where}: [ui] must be a table")
    extra = sorted(set(ui) - UI_KEYS)
    if extra:
        raise UsageError(f"{where}: [ui] {extra[0]}: unknown key (known: {', '.join(sorted(UI_KEYS))})")
    raw = ui.get("language")
    if raw is None:
        return None
    lang = normalize(raw)
    if lang is None:
        raise UsageError(f"{where}: [ui] language: {raw!r} is not one of zh-CN, en")
    return lang


def config_timezone(tables: dict[str, Any], where: str = "config") -> str:
    """The zone times are shown in: `[ui] timezone`, else `[digest] timezone`, else
    pipeline.clock.DEFAULT_ZONE (Asia/Shanghai). Checked; the tables were checked by
    config_language first."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from pipeline.clock import DEFAULT_ZONE

    for table in ("ui", "digest"):
        t = tables.get(table)
        raw = t.get("timezone") if isinstance(t, dict) else None
        if raw is None:
            continue
        try:
            ZoneInfo(str(raw))
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError(f"{where}: [{table}] timezone: {raw!r} is not a time zone") from None
        return str(raw)
    return DEFAULT_ZONE


def pick(explicit: str | None = None, configured: str | None = None) -> str:
    """The language of a CLI run or a digest: `--lang`, then `[ui] language`, then zh_CN."""
    if explicit is not None:
        lang = normalize(explicit)
        if lang is None:
            raise UsageError(f"--lang {explicit}: not one of zh-CN, en")
        return lang
    return normalize(configured) or DEFAULT


def html_lang(lang: str) -> str:
    """The value of <html lang> for a language."""
    return "zh-Hans" if lang == "zh_CN" else "en"


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of `lang` (a NullTranslations, msgid as text, if there is none)."""
    # Babel names zh_CN by its script too (zh_Hans_CN), as flask-babel looks it up
    return Translations.load(str(LOCALE_DIR), [str(Locale.parse(lang))], DOMAIN)


def gettext(message: str, lang: str = DEFAULT, **values: Any) -> str:
    """`message` in `lang`, with %(name)s placeholders filled from `values`."""
    text = translations(lang).gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, lang: str = DEFAULT, **values: Any) -> str:
    text = translations(lang).ngettext(singular, plural, n)
    return text % {"num": n, **values}


def label(msgid: str, lang: str = DEFAULT) -> str:
    """A vocabulary label (pipeline.vocabulary.Label.msgid) in `lang`."""
    return translations(lang).gettext(msgid)
