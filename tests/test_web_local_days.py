"""Days on the web are the configured zone's days: the weekly chart counts a change on its local
day (2026-12-06 16:30 UTC is Monday 12-07 00:30 in Asia/Shanghai, the next week), and the pages'
since/until are local days, while the API keeps UTC days (its times are UTC; its OpenAPI
description says so)."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from policywatch.web.app import create_app
from storage.db import connect
from storage.read import feed as feed_read
from tests.notice_db import notice_db

# Monday 2026-11-30 02:00 UTC (10:00 in Shanghai) and Sunday 2026-12-06 16:30 UTC, which in
# Shanghai (UTC+8) is Monday 2026-12-07 00:30: a new local day and a new local week
FIRST, SECOND = datetime(2026, 11, 30, 2, 0), datetime(2026, 12, 6, 16, 30)
# Tuesday 2026-12-01 18:40 UTC: 12-02 00:10 in Kolkata (UTC+5:30), where its hour (18:00 UTC,
# 23:30 local) is still on 12-01: a zone off the whole hour is bucketed by the minute
THIRD = datetime(2026, 12, 1, 18, 40)


@pytest.fixture(scope="module")
def db_url(tmp_path_factory):
    return notice_db(tmp_path_factory.mktemp("days") / "pw.db", FIRST, SECOND, THIRD)


@pytest.fixture
def app_for(db_url):
    made = []

    def make(zone: str | None = None):
        app = create_app(db_url, zone=zone)
        made.append(app)
        return app.test_client()

    yield make
    for app in made:
        app.extensions["policywatch_db"].dispose()


def test_the_weekly_chart_counts_local_days(app_for) -> None:
    shanghai = app_for().get("/api/stats/weekly").get_json()  # the default zone, Asia/Shanghai
    assert shanghai["weeks"] == ["2026-11-30", "2026-12-07"]
    assert shanghai["series"] == [
        {"site": "yulin", "site_title": "yulin", "counts": [1, 0]},
        {"site": "zhaoqing", "site_title": "zhaoqing", "counts": [1, 1]},
    ]
    utc = app_for("UTC").get("/api/stats/weekly").get_json()  # in UTC both are in the week of 11-30
    assert utc["weeks"] == ["2026-11-30"] and [s["counts"] for s in utc["series"]] == [[1], [2]]
    svg = app_for().get("/charts/weekly.svg", headers={"Accept-Language": "en"}).get_data(as_text=True)
    bars = re.findall(r"<rect [^>]*><title>([^<]*)</title></rect>", svg)
    assert sorted(bars) == [
        "yulin: 1 change in the week of 2026-11-30",
        "zhaoqing: 1 change in the week of 2026-11-30",
        "zhaoqing: 1 change in the week of 2026-12-07",
    ]
    chart = app_for().get("/chart", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "(UTC)" not in chart and "Asia/Shanghai" in chart


def test_changes_per_day_puts_a_change_on_its_local_day(db_url) -> None:
    db = connect(db_url, read_only=True)
    try:
        with db.reader() as s:
            assert sorted(feed_read.changes_per_day(s, zone="Asia/Shanghai")) == [
                ("yulin", "2026-12-02", 1), ("zhaoqing", "2026-11-30", 1), ("zhaoqing", "2026-12-07", 1)]
            assert sorted(feed_read.changes_per_day(s, zone="UTC")) == [
                ("yulin", "2026-12-01", 1), ("zhaoqing", "2026-11-30", 1), ("zhaoqing", "2026-12-06", 1)]
            # zones off the whole hour: 18:40 UTC is 00:10 the next day in Kolkata (UTC+5:30);
            # in St John's (UTC-3:30 in December) 02:00 UTC is 22:30 the evening before
            assert sorted(feed_read.changes_per_day(s, zone="Asia/Kolkata")) == [
                ("yulin", "2026-12-02", 1), ("zhaoqing", "2026-11-30", 1), ("zhaoqing", "2026-12-06", 1)]
            assert sorted(feed_read.changes_per_day(s, zone="America/St_Johns")) == [
                ("yulin", "2026-12-01", 1), ("zhaoqing", "2026-11-29", 1), ("zhaoqing", "2026-12-06", 1)]
            # the range starts where asked: the Shanghai day 12-07 starts at 12-06 16:00 UTC
            since = datetime(2026, 12, 6, 16, 0)
            assert feed_read.changes_per_day(s, since=since, zone="Asia/Shanghai") == [("zhaoqing", "2026-12-07", 1)]
    finally:
        db.dispose()


def _detected(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'<td class="when">(.*?)</td>', html, re.S)]


def test_the_pages_date_filters_are_local_days(app_for) -> None:
    client = app_for()
    # 2026-12-07 in Shanghai starts at 12-06 16:00 UTC: the 16:30 change is on it, the other not
    page = client.get("/changes?since=2026-12-07&kind=modified,document_added").get_data(as_text=True)
    assert "2026-12-07 00:30" in page and "2026-11-30 10:00" not in page
    page = client.get("/changes?until=2026-12-06&kind=modified,document_added").get_data(as_text=True)
    assert "2026-11-30 10:00" in page and "2026-12-07 00:30" not in page
    one_day = client.get("/changes?since=2026-12-07&until=2026-12-07&kind=modified").get_data(as_text=True)
    assert "2026-12-07 00:30" in one_day
    # the feed the changes page links to filters as the page does
    feed = client.get("/feeds/changes.atom?since=2026-12-07&kind=modified,document_added").get_data(as_text=True)
    assert feed.count("<entry>") == 1 and "2026-12-06T16:30:00+00:00" in feed
    # a datetime with an offset is that instant on both
    exact = client.get("/changes?since=2026-12-06T16:31:00%2B00:00&kind=modified").get_data(as_text=True)
    assert "2026-12-07 00:30" not in exact


def test_the_api_keeps_utc_days_and_says_so(app_for) -> None:
    client = app_for()
    items = client.get("/api/changes?since=2026-12-07&kind=modified").get_json()["items"]
    assert items == []  # 2026-12-06 16:30 UTC is before the UTC day 12-07
    items = client.get("/api/changes?since=2026-12-06&until=2026-12-06&kind=modified").get_json()["items"]
    assert [i["detected_at"] for i in items] == ["2026-12-06T16:30:00+00:00"]
    spec = json.loads(client.get("/api/openapi.json").data)
    described = {p["name"]: p["description"] for p in spec["paths"]["/api/changes"]["get"]["parameters"]}
    assert "UTC day" in described["since"] and "UTC day" in described["until"]
    weekly = spec["paths"]["/api/stats/weekly"]["get"]["description"]
    assert "time zone" in weekly and "UTC" not in weekly


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_the_calendar_ends_are_no_error_on_local_days(app_for, value) -> None:
    client = app_for()
    for name in ("since", "until"):
        assert client.get(f"/changes?{name}={value}").status_code == 200
        assert client.get(f"/api/changes?{name}={value}").status_code == 200
