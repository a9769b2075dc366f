"""Every setting the crawler reads has its default in one place: Scrapy's, or crawler/settings.py.

A default passed at the call site (`getint("X", 20)`) is a second default that drifts from the
first; these tests read the crawler's source for the settings it reads and look each one up.
"""

from __future__ import annotations

import ast
from pathlib import Path

from scrapy.settings import Settings

CRAWLER = Path(__file__).resolve().parent.parent / "crawler"
GETTERS = {"get", "getint", "getfloat", "getbool", "getlist", "getdict", "getwithbase", "getpriority"}


def _reads() -> list[tuple[str, str, int]]:
    """(setting, file, how many arguments) for every settings getter (or settings[...]) with a constant name."""
    found = []
    for path in CRAWLER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("settings"):
                key = node.slice
                if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.isupper():
                    found.append((key.value, path.name, 1))
                continue
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in GETTERS):
                continue
            holder = ast.unparse(node.func.value)
            if not (holder.endswith("settings") or holder == "s") or not node.args:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.isupper():
                found.append((first.value, path.name, len(node.args)))
    return found


def test_the_reader_finds_the_crawlers_settings():
    names = {name for name, _, _ in _reads()}
    assert {"POLICYWATCH_BATCH_SIZE", "RETRY_BACKOFF_BASE", "HTTPCACHE_DIR"} <= names


def test_no_default_at_the_call_site():
    second = [f"{file}: {name}" for name, file, n in _reads() if n > 1]
    assert not second, second


def test_every_setting_read_has_a_default():
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    # the browser's path falls back to $POLICYWATCH_CHROMIUM, then Debian's: not a Scrapy default
    missing = sorted({name for name, _, _ in _reads() if settings.get(name) is None} - {"POLICYWATCH_CHROMIUM"})
    assert not missing, missing


def test_the_withdraw_share_is_storages_rule():
    from crawler import settings
    from storage.withdrawals import MAX_WITHDRAW_SHARE

    assert settings.POLICYWATCH_MAX_WITHDRAW_SHARE == MAX_WITHDRAW_SHARE


def test_the_remote_control_extension_is_not_even_loaded():
    """Disabled by REMOTE_CONTROL_ENABLED it would still be imported, and aiohttp with it."""
    from scrapy.utils.conf import build_component_list

    from crawler import settings as crawler_settings

    s = Settings()
    s.setmodule(crawler_settings, priority="project")
    s.set("EXTENSIONS", {"policywatch.scheduler.crawl_signals.OneStopSignal": 0}, priority="cmdline")  # as the runners do
    loaded = build_component_list(s.getwithbase("EXTENSIONS"))
    assert "scrapy.extensions.corestats.CoreStats" in loaded
    assert not [e for e in loaded if "remote_control" in e]


def test_no_generator_in_the_crawler_returns_a_value():
    """WARN_ON_GENERATOR_RETURN_VALUE is off (it re-read a callback's source at every call): the
    check it made is made here instead, with Scrapy's own function, over every generator
    function of the crawler package, callbacks and errbacks included. A value returned from a
    callback generator is silently dropped by Scrapy."""
    import importlib
    import inspect
    import pkgutil

    from scrapy.utils.misc import is_generator_with_return_value

    import crawler

    settings = Settings()
    settings.setmodule("crawler.settings")
    assert settings.getbool("WARN_ON_GENERATOR_RETURN_VALUE") is False
    checked, returning = 0, []
    for info in pkgutil.walk_packages(crawler.__path__, "crawler."):
        module = importlib.import_module(info.name)
        for _name, obj in vars(module).items():
            if getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                functions = [obj]
            elif inspect.isclass(obj):
                functions = [f for f in vars(obj).values() if inspect.isfunction(f)]
            else:
                continue
            for f in functions:
                if inspect.isgeneratorfunction(f):
                    checked += 1
                    if is_generator_with_return_value(f):
                        returning.append(f.__qualname__)
    assert checked >= 5, checked  # the spider's parse_* callbacks at least
    assert returning == []
