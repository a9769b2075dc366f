"""The `policywatch` command: discovers the sub-commands and maps errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from typing import Any

from policywatch import __version__, commands
from policywatch.errors import ProblemFound, UsageError

LANG_HELP = (
    "language of tables and messages: zh-CN (the default) or en; before or after the command "
    "(policywatch --lang en status, policywatch status --lang en); default: the config's [ui] language. "
    "Times in tables are in the config's [ui] timezone (default Asia/Shanghai); --json and export "
    "stay ISO 8601 in UTC"
)


def _lang_arg(raw: str) -> str:
    from policywatch.i18n import normalize

    lang = normalize(raw)
    if lang is None:
        raise argparse.ArgumentTypeError(f"{raw[:20]!r} is not one of zh-CN, en")
    return lang


class _Parser(argparse.ArgumentParser):
    """Every parser, the sub-commands' too, takes --lang: it is read wherever it is written.
    SUPPRESS keeps a sub-command's parser from resetting one given before the command."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._own_lang: argparse.Action | None = self.add_argument(
            "--lang", metavar="LANG", type=_lang_arg, default=argparse.SUPPRESS, help=LANG_HELP
        )

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        # a command that declares its own --lang (serve: the web UI's fallback) keeps it
        if "--lang" in args and getattr(self, "_own_lang", None) is not None:
            self._handle_conflict_resolve(None, [("--lang", self._own_lang)])
            self._own_lang = None
        return super().add_argument(*args, **kwargs)

    def error(self, message: str):  # argparse prints usage + exits 2; we want one line
        raise UsageError(f"{self.prog}: {message}")


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given the arguments, with only the sub-command they name where its module is
    named for it (graph's `cites`, `cited-by` and `trace` are not: they get the full parser).

    Importing every command module costs over a second and 100 MB (numpy, lxml): `policywatch
    crawl` would hold them for the whole crawl while it only waits on its subprocess. The full
    parser (for `policywatch --help`, a bare or unknown command) is built otherwise.
    """
    names = sorted(info.name for info in pkgutil.iter_modules(commands.__path__))
    named = _command_named(argv) if argv is not None else None
    if named in names:
        parser, sub = _parser()
        importlib.import_module(f"policywatch.commands.{named}").register(sub)
        if named in sub.choices:
            return parser
    parser, sub = _parser()
    for name in names:
        importlib.import_module(f"policywatch.commands.{name}").register(sub)
    return parser


def _parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    parser = _Parser(prog="policywatch", description="Watch government policy pages change.")
    parser.add_argument("--version", action="version", version=f"policywatch {__version__}")
    return parser, parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)


def _command_named(argv: list[str]) -> str | None:
    """The first argument that is not an option: the command (of the top-level options only
    --lang takes a value)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--":
            return None
        if arg == "--lang":
            skip = True
            continue
        if not arg.startswith("-"):
            return arg
    return None


class _TerminalText:
    """A terminal stream that drops control and bidi characters from what is written to it.

    Stored titles and measures are crawled text: an ESC in one would drive the reader's terminal
    (retitle it, hide lines, fake a prompt), a U+202E would reverse what it shows. Only a
    terminal interprets them, so pipes and files (`--json`, `export`) get the stored text as is.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    @property
    def raw_stream(self) -> Any:
        """The terminal itself, for a display that writes only its own escapes (crawl progress)."""
        return self._stream

    def write(self, text: str) -> int:
        from pipeline.safe_text import display_text

        self._stream.write(display_text(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _guard_terminal() -> None:
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(stream, _TerminalText) and getattr(stream, "isatty", lambda: False)():
            setattr(sys, name, _TerminalText(stream))


def main(argv: list[str] | None = None) -> int:
    from policywatch import cli_text
    from policywatch.cli_text import _

    _guard_terminal()
    cli_text.begin(None, None)
    try:
        argv = sys.argv[1:] if argv is None else argv
        parser = build_parser(argv)
        args = parser.parse_args(argv)
        cli_text.begin(getattr(args, "lang", None), getattr(args, "config", None))
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except (UsageError, ProblemFound) as exc:
        from policywatch.cli_errors import translated

        print(f"policywatch: {translated(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("policywatch:", _("interrupted"), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if _is_database_error(exc):  # a database that cannot be used (damaged, unreachable): bad input
            print(f"policywatch: {exc}", file=sys.stderr)
            return 2
        raise


def _is_database_error(exc: BaseException) -> bool:
    # storage.db is loaded only by commands that use a database: no import cost for the others.
    db = sys.modules.get("storage.db")
    return db is not None and isinstance(exc, db.DatabaseError)


if __name__ == "__main__":
    sys.exit(main())
