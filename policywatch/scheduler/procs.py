"""Process identity on this machine: a pid plus its start time, so a reused pid is not mistaken
for the crawl (or the daemon) that once had it. Linux /proc; elsewhere nothing is known."""

from __future__ import annotations

import os
import socket

HOST = socket.gethostname()


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22), or None
    when no such process runs (a zombie counts as gone: it has stopped for good)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the name may hold spaces and parentheses
    if fields[0] in ("Z", "X"):
        return None
    return fields[19]


def identity(pid: int | None = None) -> dict[str, object]:
    pid = os.getpid() if pid is None else pid
    return {"host": HOST, "pid": pid, "pid_start": start_time(pid)}


def alive(ident: dict[str, object]) -> bool | None:
    """True/False for a process of this machine; None when it ran elsewhere (cannot tell)."""
    if ident.get("host") != HOST or not isinstance(ident.get("pid"), int):
        return None
    now = start_time(int(ident["pid"]))  # type: ignore[arg-type]
    return now is not None and now == ident.get("pid_start")


def crawl_running(site: str, slot: str) -> bool:
    """Does a process of this machine run `scrapy crawl` for this site and slot? (its argv
    carries both: `-a site=NAME -a slot=SLOT`, from a runner or a Scrapyd node alike)"""
    want = {f"site={site}".encode(), f"slot={slot}".encode()}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                args = set(f.read().split(b"\0"))
        except OSError:
            continue
        if want <= args and start_time(int(entry)) is not None:
            return True
    return False
