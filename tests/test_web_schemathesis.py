"""schemathesis against /api/openapi.json on a live loopback server over the demo story:
every check (no 5xx, responses and status codes as described, bad input rejected), bounded."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import demo_site

EXAMPLES = 25


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with demo_site(tmp_path_factory.mktemp("st")) as url:
        yield url


def test_schemathesis_finds_no_failure(base_url, tmp_path) -> None:
    exe = Path(sys.executable).with_name("schemathesis")
    cmd = [str(exe)] if exe.exists() else [shutil.which("schemathesis") or "schemathesis"]
    result = subprocess.run(
        [
            *cmd,
            "run",
            f"{base_url}/api/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            "1",
            "--generation-database",
            "none",
            "--request-timeout",
            "10",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert "No issues found" in out
