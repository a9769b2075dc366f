"""`make bench`: run every benchmarks/bench_*.py and write BENCHMARKS.md.

Each module defines `run() -> str`, returning a Markdown section (a heading, the command,
a table). Ratios are against a baseline measured in the same run, never lone seconds.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import platform
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path

import benchmarks

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.node() or 'host'}: {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def main(argv: list[str] | None = None) -> int:
    only = set(argv if argv is not None else sys.argv[1:])
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    out = ROOT / "BENCHMARKS.md"
    sections = _read_sections(out) if only else {}
    failed: list[str] = []
    for name in names:
        if only and name not in only and name.removeprefix("bench_") not in only:
            continue
        print(f"== {name}", flush=True)
        try:
            section = importlib.import_module(f"benchmarks.{name}").run().rstrip()
        except Exception as e:  # one broken benchmark must not lose the others' results
            traceback.print_exc()
            failed.append(name)
            section = f"## {name}\n\nFailed in this run: {type(e).__name__}: {e}"
        print(section, flush=True)
        sections[name] = section
    header = [
        "# Benchmarks",
        "",
        f"Machine: {machine()}  ",
        f"Command: `make bench` (`python -m benchmarks.run [name ...]` runs some and keeps the others' last results), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {_commit()}",
        "",
    ]
    body = [f"<!-- bench:{n} -->\n{sections[n]}\n<!-- /bench:{n} -->\n" for n in names if n in sections]
    out.write_text("\n".join(header + body))
    print(f"wrote {out}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _read_sections(path: Path) -> dict[str, str]:
    """The sections of an earlier BENCHMARKS.md, so a partial run replaces only its own."""
    if not path.exists():
        return {}
    found = re.findall(r"<!-- bench:(\w+) -->\n(.*?)\n<!-- /bench:\1 -->", path.read_text("utf-8"), re.S)
    return dict(found)


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
