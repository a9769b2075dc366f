"""What the CLI writes to a real pseudo-terminal: shared by the terminal-output tests."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

CLI = [sys.executable, "-m", "policywatch.cli"]


def on_terminal(
    args: list[str],
    *,
    columns: int | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    quiet_s: float = 60,
) -> str:
    """What `policywatch ARGS` writes to a pseudo-terminal (stdout and stderr both), `columns`
    wide if given; it fails when the command writes nothing for `quiet_s` seconds."""
    leader, follower = pty.openpty()
    if columns is not None:
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen(
        [*CLI, *args], stdout=follower, stderr=follower, stdin=subprocess.DEVNULL, env=env, cwd=cwd
    )
    os.close(follower)
    out = bytearray()
    while True:
        ready, _, _ = select.select([leader], [], [], quiet_s)
        if not ready:
            proc.kill()
            raise AssertionError(f"policywatch {args} wrote nothing for {quiet_s:.0f} s")
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(leader)
    return out.decode("utf-8", "replace")
