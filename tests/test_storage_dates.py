"""Dates typed by analysts: stored times are naive UTC, whatever zone the host runs in."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from storage.read.common import parse_date


@pytest.fixture
def shanghai_host(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()


def test_an_offset_is_taken_to_utc_not_to_the_host_zone(shanghai_host):
    assert parse_date("2026-03-01T08:00:00+08:00") == datetime(2026, 3, 1, 0, 0)
    assert parse_date("2026-03-01T08:00:00Z") == datetime(2026, 3, 1, 8, 0)
    assert parse_date("2026-03-01") == datetime(2026, 3, 1)


def test_a_malformed_date_names_the_argument():
    with pytest.raises(ValueError, match=r"since: '2026-13-01' is not a date"):
        parse_date("2026-13-01", "since")
