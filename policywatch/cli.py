"""The `policywatch` command: discovers the sub-commands and maps errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from typing import Any

from policywatch import __version__, commands
from policywatch.errors import ProblemFound, UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage + exits 2; we want one line
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="policywatch", description="Watch government policy pages change.")
    parser.add_argument("--version", action="version", version=f"policywatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"policywatch.commands.{info.name}")
        module.register(sub)
    return parser


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
    _guard_terminal()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except (UsageError, ProblemFound) as exc:
        print(f"policywatch: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("policywatch: interrupted", file=sys.stderr)
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
