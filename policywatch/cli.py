"""The `policywatch` command: discovers the sub-commands and maps errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
import unicodedata
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


def _say(text: str) -> str:
    """A help text in the run's language, its argparse %(...)s placeholders left for argparse."""
    from policywatch import cli_text, i18n

    return i18n.translations(cli_text.lang()).gettext(text)


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's help in the run's language: every description, help text and heading is a
    catalogue message (`scripts/i18n update` collects them from the parser: help_texts)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        return _say(action.help or "")

    def start_section(self, heading: str | None) -> None:
        super().start_section(_say(heading) if heading else heading)

    def add_text(self, text: str | None) -> None:
        super().add_text(_say(text) if text and text is not argparse.SUPPRESS else text)

    def add_usage(self, usage, actions, groups, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, _say(USAGE) if prefix is None else prefix)

    # argparse wraps by characters; a Chinese character takes two columns of the terminal
    def _split_lines(self, text: str, width: int) -> list[str]:
        return _wrap(" ".join(text.split()), width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in _wrap(" ".join(text.split()), width - len(indent)))


_TOKEN = re.compile(r"[^\s\u2e80-\uffef]+|\s+|.")  # a run of Latin text, blanks, or one wide character


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` terminal columns: broken at blanks, or between two wide characters."""
    lines, line, used = [], "", 0
    for token in _TOKEN.findall(text):
        cols = _columns(token)
        if used + cols > width and line.strip():
            lines.append(line.rstrip())
            line, used = "", 0
        if not line and token.isspace():
            continue
        line, used = line + token, used + cols
    if line.strip():
        lines.append(line.rstrip())
    return lines


USAGE = "usage: "  # argparse's own prefix, as its catalogue spells it


class _Parser(argparse.ArgumentParser):
    """Every parser, the sub-commands' too, takes --lang: it is read wherever it is written.
    SUPPRESS keeps a sub-command's parser from resetting one given before the command."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
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


def help_texts() -> list[str]:
    """Every text the full parser's help shows: the catalogue's argparse messages."""
    texts = [USAGE]

    def walk(parser: argparse.ArgumentParser) -> None:
        texts.append(parser.description or "")
        texts.extend(group.title or "" for group in parser._action_groups)
        for action in parser._actions:
            texts.append(action.help if action.help is not argparse.SUPPRESS else "")
            if isinstance(action, argparse._SubParsersAction):
                texts.extend(choice.help or "" for choice in action._choices_actions)
                for sub in dict.fromkeys(action.choices.values()):
                    walk(sub)

    walk(build_parser())
    return [t for t in dict.fromkeys(texts) if t]


def _given(argv: list[str], option: str) -> str | None:
    """The value of an option anywhere in argv, before argparse has read it (the help it prints
    on -h is in the language --lang names, and the config's [ui] language otherwise)."""
    for k, arg in enumerate(argv):
        if arg == option and k + 1 < len(argv):
            return argv[k + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    return None


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
    argv = sys.argv[1:] if argv is None else argv
    from policywatch.i18n import normalize

    lang = _given(argv, "--lang")  # for -h, printed while argparse reads (a bad value: its error later)
    cli_text.begin(lang if normalize(lang) else None, _given(argv, "--config"))
    try:
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
    finally:
        cli_text.begin(None, None)  # the run's language and config end with it (main() is called in-process too)


def _is_database_error(exc: BaseException) -> bool:
    # storage.db is loaded only by commands that use a database: no import cost for the others.
    db = sys.modules.get("storage.db")
    return db is not None and isinstance(exc, db.DatabaseError)


if __name__ == "__main__":
    sys.exit(main())
