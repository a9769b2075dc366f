"""What the CLI says to a person: the language and time zone of one `policywatch` run.

The language is `--lang` (any position argparse takes it: before or after the sub-command),
else the config's `[ui] language`, else zh_CN (policywatch.i18n.pick); the zone is the config's
`[ui] timezone` (Config.ui_timezone). The config is the command's `--config`, else
$POLICYWATCH_CONFIG, else ./policywatch.toml when it exists; it is read only when a message
needs it, and a config that does not load leaves the defaults (the command that needs the
config reports what is wrong with it, in the default language).

Every message goes through the Babel catalogue (policywatch/locale; `_` is one of the keywords
`scripts/i18n update` extracts). Kinds, fields and statuses are the vocabulary's labels
(pipeline.vocabulary), never a table written here. Machine output (--json, export) is untouched:
ISO times in UTC and the vocabulary's keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.vocabulary import FIELD_LABELS, KIND_LABELS, STATUS_LABELS
from policywatch import i18n

_run: dict[str, Any] = {}


def begin(explicit: str | None, config: str | None) -> None:
    """A new run: `--lang` as given (checked now), the --config value for the rest."""
    _run.clear()
    _run["config"] = config
    if explicit is not None:
        _run["lang"] = i18n.pick(explicit)


def _config() -> Any:
    if "cfg" not in _run:
        from policywatch import config as cfgmod
        from policywatch.errors import UsageError

        value = _run.get("config")
        path = cfgmod.config_path(value)
        cfg = None
        try:
            import os

            if value or os.environ.get(cfgmod.ENV_VAR) or path.exists():
                cfg = cfgmod.load(path)
        except (UsageError, OSError, ValueError):
            cfg = None
        _run["cfg"] = cfg
    return _run["cfg"]


def lang() -> str:
    if "lang" not in _run:
        cfg = _config()
        _run["lang"] = i18n.pick(None, cfg.ui_language if cfg is not None else None)
    return _run["lang"]


def zone() -> str:
    if "zone" not in _run:
        from pipeline.clock import DEFAULT_ZONE

        cfg = _config()
        _run["zone"] = cfg.ui_timezone if cfg is not None else DEFAULT_ZONE
    return _run["zone"]


def _(message: str, **values: Any) -> str:
    """`message` in the run's language, %(name)s filled from `values`."""
    return i18n.gettext(message, lang(), **values)


def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    return i18n.ngettext(singular, plural, n, lang(), **values)


def _label(table: dict, key: str | None) -> str:
    label = table.get(key or "")
    return i18n.label(label.msgid, lang()) if label is not None else (key or "")


def kind(name: str | None) -> str:
    """A change kind as the vocabulary labels it."""
    return _label(KIND_LABELS, name)


def field(name: str | None) -> str:
    """A document field as the vocabulary labels it."""
    return _label(FIELD_LABELS, name)


def status(name: str | None) -> str:
    """A document's or a crawl run's status as the vocabulary labels it."""
    return _label(STATUS_LABELS, name)


def when(value: str | datetime | None, *, seconds: bool = False) -> str:
    """A stored time (naive UTC, ISO text or datetime; "…Z" too) in the run's zone."""
    from pipeline.clock import local_text

    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return local_text(value, zone(), seconds=seconds)
