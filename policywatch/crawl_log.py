"""The lines of a crawl's Scrapy log that say why it failed, so an operator need not read it all.

Two things, found by Scrapy's own log format (LOG_FORMAT's default, `DATE TIME [logger] LEVEL:
message`, which crawler/settings.py keeps): the first ERROR record, with the last line of its
traceback when it has one (the exception that was raised), and the key counts of the final
`Dumping Scrapy stats:` block (the answers by HTTP status, the download exceptions by type,
items scraped, ERROR records, the finish reason). A crawl killed at its timeout has no stats block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[(?P<logger>[^\]]+)\] (?P<level>[A-Z]+): (?P<message>.*)$"
)
STATS_START = "Dumping Scrapy stats:"
# one entry of the dumped dict, as pprint lays it out: ` 'key': value,` (the first after `{`)
STATS_ENTRY = re.compile(r"""^[{ ]\s*(?P<q>['"])(?P<key>.+?)(?P=q): (?P<value>.*?),?}?$""")
KEY_STATS = re.compile(
    r"^(downloader/response_status_count/\d+|downloader/exception_type_count/.+|item_scraped_count|"
    r"log_count/ERROR|finish_reason)$"
)
MAX_LINE = 300  # characters of one quoted line: a message may hold a whole response body


@dataclass
class LogExcerpt:
    first_error: str = ""  # "[logger] message" of the first ERROR record
    raised: str = ""  # the last line of that record's traceback: "module.Error: what"
    stats: dict[str, str] = field(default_factory=dict)  # the key counts, in the log's order
    has_stats: bool = False  # the log has a stats block (a killed crawl has none)


def excerpt(path: Path | str) -> LogExcerpt:
    """The first error and the final key stats of the log at `path` (empty when unreadable)."""
    found = LogExcerpt()
    in_error = in_stats = False
    error_tail: list[str] = []
    try:
        with Path(path).open(encoding="utf-8", errors="replace") as f:
            for raw in f:
                line = raw.rstrip("\n")
                record = RECORD.match(line)
                if record is None:
                    if in_error:
                        error_tail.append(line)
                    elif in_stats:
                        _stats_entry(found, line)
                    continue
                if in_error:
                    found.raised = _raised(error_tail)
                in_error = in_stats = False
                if record["level"] == "ERROR" and not found.first_error:
                    found.first_error = _clip(f"[{record['logger']}] {record['message']}")
                    in_error = True
                elif record["message"].startswith(STATS_START):
                    found.stats, found.has_stats, in_stats = {}, True, True  # the last block wins
    except OSError:
        return LogExcerpt()
    if in_error:
        found.raised = _raised(error_tail)
    if found.has_stats:  # Scrapy leaves out a count that stayed 0
        for key in ("item_scraped_count", "log_count/ERROR"):
            found.stats.setdefault(key, "0")
    return found


def _stats_entry(found: LogExcerpt, line: str) -> None:
    entry = STATS_ENTRY.match(line)
    if entry is None or not KEY_STATS.match(entry["key"]):
        return
    key, value = entry["key"], entry["value"].strip()
    if key.startswith("downloader/exception_type_count/"):
        key = "downloader/exception_type_count/" + key.rsplit(".", 1)[-1]  # the class, not its module
    found.stats[key] = value.strip("'\"")


def _raised(tail: list[str]) -> str:
    """The exception line ending a traceback; '' when the record carried none."""
    if not any(line.startswith("Traceback (most recent call last)") for line in tail):
        return ""
    lines = [line for line in tail if line.strip()]
    return _clip(lines[-1].strip()) if lines else ""


def _clip(text: str) -> str:
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 1] + "…"
