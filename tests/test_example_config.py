"""The example config in the repository root is valid and says what the README says."""

from __future__ import annotations

from pathlib import Path

from policywatch.config import load

EXAMPLE = Path(__file__).resolve().parent.parent / "policywatch.example.toml"


def test_example_config_loads() -> None:
    cfg = load(EXAMPLE)
    assert [s.name for s in cfg.sites] == ["zhaoqing", "yulin"]
    assert cfg.site("yulin").next_page is not None
