"""What `policywatch crawl` shows while it runs, and the log's reason lines when a site fails.

The counts come from the file crawler.progress rewrites every second in the crawl subprocess.
On an interactive terminal they drive a rich live display, one line per site; anywhere else
(a pipe, a file, cron, TERM=dumb) a plain line every `every` seconds when they moved, and one
when the site is done. Both go to standard error: standard output keeps the summary table.

Every word a person reads here is a catalogue message (LABELS; a crawl's status is the
vocabulary's label), in the CLI run's language (policywatch.cli_text).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pipeline.vocabulary import N_  # label() translates what it marks
from policywatch.crawl_log import LogExcerpt

LABELS: dict[str, str] = {
    "fetched": N_("fetched"),
    "queued": N_("in queue"),
    "new_versions": N_("new versions"),
    "errors": N_("errors"),
    "progress": N_("progress"),
    "starting": N_("starting"),
    "first_error": N_("first error"),
    "raised": N_("raised"),
    "no_error": N_("no ERROR record in the log"),
    "stats": N_("final stats"),
    "no_stats": N_("no final stats in the log (the crawl did not end normally)"),
    "log": N_("log"),
}
COUNTS = ("fetched", "queued", "new_versions", "errors")


def label(message_id: str) -> str:
    from policywatch.cli_text import _

    return _(LABELS[message_id])


@dataclass
class Counts:
    fetched: int = 0
    queued: int = 0
    new_versions: int = 0
    errors: int = 0
    done: bool = False

    @classmethod
    def read(cls, path: Path) -> Counts | None:
        """The counts the crawl last wrote; None before its first write (or if unreadable)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{k: int(data.get(k, 0)) for k in COUNTS}, done=bool(data.get("done")))
        except (OSError, ValueError, TypeError, AttributeError):
            return None

    def key(self) -> tuple[int, ...]:
        return tuple(getattr(self, k) for k in COUNTS)

    def text(self) -> str:
        return " · ".join(f"{label(k)} {getattr(self, k)}" for k in COUNTS)


def status_label(status: str) -> str:
    from policywatch.cli_text import status as vocabulary_status

    return vocabulary_status(status)


class Display:
    """One site at a time: start(site, file), tick() while it runs, finish(status)."""

    def __init__(self) -> None:
        self.site = ""
        self.path: Path | None = None
        self.counts = Counts()
        self.started = 0.0

    def __enter__(self) -> Display:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, site: str, path: Path) -> None:
        self.site, self.path, self.counts, self.started = site, path, Counts(), time.monotonic()

    def tick(self) -> None:
        read = Counts.read(self.path) if self.path else None
        if read is not None:
            self.counts = read
            self.show()

    def finish(self, status: str) -> None:
        self.tick()

    def show(self) -> None:
        pass

    def close(self) -> None:
        pass


class PlainDisplay(Display):
    """`[进度] site: 已抓取 3 · 排队 5 · 新版本 1 · 错误 0 (4s)`, at most every `every` seconds."""

    def __init__(self, stream: IO[str], every: float):
        super().__init__()
        self.stream = stream
        self.every = every
        self.last_line = 0.0
        self.last_key: tuple[int, ...] | None = None

    def start(self, site: str, path: Path) -> None:
        super().start(site, path)
        self.last_key, self.last_line = None, self.started
        self._line(label("starting"))

    def show(self) -> None:
        now = time.monotonic()
        if now - self.last_line >= self.every and self.counts.key() != self.last_key:
            self.last_key, self.last_line = self.counts.key(), now
            self._line(self.counts.text())

    def finish(self, status: str) -> None:
        super().finish(status)
        self._line(f"{status_label(status)} {self.counts.text()}")

    def _line(self, what: str) -> None:
        seconds = time.monotonic() - self.started
        print(f"[{label('progress')}] {self.site}: {what} ({seconds:.0f}s)", file=self.stream, flush=True)


class LiveDisplay(Display):
    """A rich progress line per site: spinner, name, counts, time; the finished ones stay."""

    def __init__(self, console: Any):
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        super().__init__()
        self.progress = Progress(
            SpinnerColumn(finished_text="·"),
            TextColumn("{task.description}", markup=False),
            TextColumn("{task.fields[counts]}", markup=False),
            TimeElapsedColumn(),
            console=console,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.task: Any = None
        self.progress.start()

    def start(self, site: str, path: Path) -> None:
        super().start(site, path)
        self.task = self.progress.add_task(site, total=None, counts=label("starting"))

    def show(self) -> None:
        if self.task is not None:
            self.progress.update(self.task, counts=self.counts.text())

    def finish(self, status: str) -> None:
        super().finish(status)
        if self.task is not None:
            self.progress.update(
                self.task, description=f"{self.site} {status_label(status)}", total=1, completed=1,
                counts=self.counts.text(),
            )  # fmt: skip
            self.progress.stop_task(self.task)

    def close(self) -> None:
        self.progress.stop()


def display_for(stream: IO[str], *, every: float, enabled: bool = True) -> Display:
    """Live on an interactive terminal, plain lines elsewhere, nothing when not `enabled`."""
    if not enabled:
        return Display()
    if getattr(stream, "isatty", lambda: False)():
        from rich.console import Console

        # policywatch.cli wraps a terminal's stream to drop control characters from crawled
        # text; rich's own escapes must reach the terminal, and this display shows no crawled text
        console = Console(file=getattr(stream, "raw_stream", stream))
        if console.is_interactive:
            return LiveDisplay(console)
    return PlainDisplay(stream, every)


def failure_lines(site: str, status: str, found: LogExcerpt, log: Path | str | None) -> list[str]:
    """A few lines that say why a site's crawl failed, from its log, then where the log is."""
    lines = [f"{site}: {status_label(status)}"]
    if found.first_error:
        lines.append(f"  {label('first_error')}: {found.first_error}")
        if found.raised:
            lines.append(f"    {label('raised')}: {found.raised}")
    else:
        lines.append(f"  {label('no_error')}")
    if found.has_stats:
        lines.append(f"  {label('stats')}: " + ", ".join(f"{k}={v}" for k, v in found.stats.items()))
    else:
        lines.append(f"  {label('no_stats')}")
    if log:
        lines.append(f"  {label('log')}: {log}")
    return lines


def print_failure(site: str, status: str, found: LogExcerpt, log: Path | str | None) -> None:
    for line in failure_lines(site, status, found, log):
        print(line, file=sys.stderr)
