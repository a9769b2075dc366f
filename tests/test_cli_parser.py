"""policywatch.cli builds only the named command's parser: the help it prints is the full one's."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from policywatch.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def _command_helps(parser: argparse.ArgumentParser) -> dict[str, str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: p.format_help() for name, p in sub.choices.items()}


def _names(parser: argparse.ArgumentParser) -> list[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


NAMES = _names(build_parser())


@pytest.fixture(autouse=True, params=["zh-CN", "en"])
def lang(request):
    """The help is printed in the run's language (policywatch.cli_text): each test in both, not
    in whatever an earlier test's run left behind."""
    from policywatch import cli_text

    cli_text.begin(request.param, None)
    yield request.param
    cli_text.begin(None, None)


def test_the_full_parser_has_every_command():
    assert {"crawl", "db", "normalize", "status", "cites", "cited-by", "trace"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_each_commands_help_is_the_full_parsers(name):
    helps = _command_helps(build_parser([name, "--help"]))
    assert helps[name] == _command_helps(build_parser())[name]


def test_the_top_level_help_lists_every_command():
    assert build_parser(["--help"]).format_help() == build_parser().format_help()
    assert _names(build_parser(["--version"])) == NAMES


@pytest.mark.parametrize(
    ("argv", "absent"),
    [
        # `policywatch crawl` waits on its Scrapy subprocess: it holds only what it needs
        (["crawl", "bulk"], ("scrapy", "numpy", "lxml", "alembic")),
        # `policywatch --help` (and any run that registers every command) loads no command's work
        (["--help"], ("scrapy", "numpy", "rapidfuzz", "lxml", "pipeline.normalize", "sqlalchemy")),
    ],
)
def test_the_parser_loads_no_commands_work(argv, absent):
    code = (
        f"import sys; from policywatch.cli import build_parser; build_parser({argv!r}).format_help(); "
        f"print(sorted(m for m in {absent!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
