"""The example config in the repository root is valid and says what the README says."""

from __future__ import annotations

from pathlib import Path

from notifications.settings import NotifySettings
from policywatch.config import load

EXAMPLE = Path(__file__).resolve().parent.parent / "policywatch.example.toml"


def test_example_config_loads() -> None:
    cfg = load(EXAMPLE)
    assert [s.name for s in cfg.sites] == ["zhaoqing", "yulin"]
    assert cfg.site("yulin").next_page is not None
    assert cfg.site("zhaoqing").family == "gkmlpt"  # the real site lists only through its JSON API


def test_example_notification_tables_are_valid() -> None:
    cfg = load(EXAMPLE)
    notify = NotifySettings.from_tables(cfg.tables, str(cfg.path), env={"POLICYWATCH_SMTP_PASSWORD": "pw"})
    assert (notify.smtp.host, notify.smtp.port, notify.smtp.security) == (
        "smtp.example.gov.cn",
        587,
        "starttls",
    )
    assert notify.smtp.password == "pw" and notify.digest.timezone == "Asia/Shanghai"
    office, weekly = notify.subscriptions
    assert office.addresses == ("policy@kjj.example.gov.cn", "director@kjj.example.gov.cn")
    assert str(office.cadence) == "daily 08:00" and office.filters.keywords == ("孵化器", "科技园")
    assert (
        str(weekly.cadence) == "weekly mon 09:00" and weekly.filters.describe() == "everything but cosmetic"
    )
