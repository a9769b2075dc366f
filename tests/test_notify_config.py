"""[[subscriptions]], [smtp] and [digest]: every mistake is one line naming the file and the key."""

from __future__ import annotations

import pytest

from notifications.cadence import Cadence
from notifications.settings import NotifySettings


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"subscriptions": [{"name": "a"}]}, "pw.toml: subscription 'a': email: is required"),
        (
            {"subscriptions": [{"name": "a", "email": "x"}]},
            "pw.toml: subscription 'a': email: 'x' is not an email address",
        ),
        (
            {"subscriptions": [{"name": "a", "email": "a@b.cn", "cadence": "hourly"}]},
            "subscription 'a': cadence: 'hourly' is not",
        ),
        (
            {"subscriptions": [{"name": "a", "email": "a@b.cn", "cadence": "daily 25:00"}]},
            "cadence: 'daily 25:00': 25:00 is not a time",
        ),
        (
            {"subscriptions": [{"name": "a", "email": "a@b.cn", "kinds": ["typo"]}]},
            "subscription 'a': kinds: 'typo' is not a change kind",
        ),
        (
            {"subscriptions": [{"name": "a", "email": "a@b.cn", "colour": 1}]},
            "subscription 'a': colour: unknown key",
        ),
        (
            {"subscriptions": [{"name": "a", "email": "a@b.cn"}, {"name": "a", "email": "a@b.cn"}]},
            "subscription 'a': name: is used twice",
        ),
        ({"smtp": {"password": "x"}}, "pw.toml: smtp: password: never put the password in the config file"),
        ({"digest": {"timezone": "Mars/Base"}}, "pw.toml: digest: timezone: 'Mars/Base' is not a time zone"),
    ],
)
def test_errors_name_file_subscription_and_key(tables, message):
    with pytest.raises(ValueError) as e:
        NotifySettings.from_tables(tables, "pw.toml", env={})
    assert message in str(e.value) and "\n" not in str(e.value)


def test_weekly_slot_in_beijing_time():
    from datetime import datetime

    c = Cadence.parse("weekly mon 08:00")
    # Tuesday 2025-01-07 10:00 UTC -> the last slot was Monday 2025-01-06 08:00 +08:00 = 00:00 UTC
    assert c.last_slot(datetime(2025, 1, 7, 10, 0)) == datetime(2025, 1, 6, 0, 0)
    assert c.is_due(datetime(2025, 1, 5, 23, 0), datetime(2025, 1, 7, 10, 0))
    assert not c.is_due(datetime(2025, 1, 6, 1, 0), datetime(2025, 1, 7, 10, 0))
