"""Operator alerts: a site failing N runs in a row, or a crawl that used to list documents and
now lists none (the site's template changed under its link_selector).

Checked after every scheduled run of a site, from the crawl_run ledger, so every daemon (and a
restarted one) reaches the same verdict. Each condition mails once, on the run that crosses it:
the Nth failure in a row (not the N+1th), the first empty run after a non-empty one.

Mail goes through notifications.smtp (the [smtp] table, password from the environment).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from policywatch.scheduler.settings import OperatorSettings

log = logging.getLogger("policywatch.scheduler")


@dataclass(frozen=True)
class Alert:
    site: str
    kind: str  # failing | empty
    subject: str
    body: str


def listed(run: Any) -> int | None:
    """Document links the run found on list pages (None: an older run without the count)."""
    stats = run.stats or {}
    value = stats.get("policywatch/listed")
    return int(value) if value is not None else None


def evaluate(site: str, runs: list[Any], operator: OperatorSettings, lang: str = "zh_CN") -> list[Alert]:
    """Alerts due after the newest finished run in `runs` (newest first), in `lang` (the config's
    [ui] language); a run's reason is quoted as the crawl recorded it."""
    from policywatch import i18n
    from storage.crawl_runs import consecutive_failures
    from storage.run_rows import run_reason

    def _(message: str, **values: Any) -> str:
        return i18n.gettext(message, lang, **values)

    # an interrupted run (the daemon stopped it) says nothing about the site: it neither counts
    # as a failure nor ends a streak, and no alert is due after it
    if runs and runs[0].status == "interrupted":
        return []
    done = [r for r in runs if r.status not in ("running", "interrupted")]
    if not done:
        return []
    alerts = []
    n = operator.failures_before_alert
    failures = consecutive_failures(done)
    if failures == n:
        reasons = [
            _("  %(at)s UTC  slot %(slot)s: %(reason)s, %(errors)s errors",
              at=f"{r.started_at:%Y-%m-%d %H:%M:%S}", slot=r.slot, reason=run_reason(r.stats) or "?", errors=r.errors)
            for r in done[:n]
        ]  # fmt: skip
        alerts.append(
            Alert(
                site,
                "failing",
                "[policywatch] " + _("%(site)s: %(n)s crawls failed in a row", site=site, n=n),
                _("The crawls of site %(site)s failed %(n)s times in a row.", site=repr(site), n=n) + "\n"
                + _("Latest: %(reason)s", reason=run_reason(done[0].stats) or "?") + "\n\n" + "\n".join(reasons)
                + "\n\n" + _("See `policywatch status` and the crawl logs.") + "\n",
            )
        )
    if operator.alert_on_empty and done[0].status == "ok":
        now, before = done[0], next((r for r in done[1:] if r.status == "ok"), None)
        now_n, before_n = _found(now), _found(before) if before is not None else 0
        if now_n == 0 and before_n > 0:
            alerts.append(
                Alert(
                    site,
                    "empty",
                    "[policywatch] " + _("%(site)s: the listing found no documents", site=site),
                    _(
                        "The crawl of site %(site)s at %(at)s UTC (slot %(slot)s) found no document links on "
                        "its list pages; the previous crawl found %(before)s.",
                        site=repr(site), at=f"{now.started_at:%Y-%m-%d %H:%M:%S}", slot=now.slot, before=before_n,
                    )
                    + "\n"
                    + _("The site's page template has probably changed: check link_selector and detail_pattern in policywatch.toml.")
                    + "\n",
                )
            )
    return alerts


def _found(run: Any) -> int:
    n = listed(run)
    return run.pages if n is None else n


def message(alert: Alert, operator: OperatorSettings, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = operator.sender or sender
    msg["To"] = ", ".join(operator.emails)
    msg["Subject"] = alert.subject
    msg["Message-ID"] = make_msgid(domain=(operator.sender or sender).rpartition("@")[2] or None)
    msg["X-Policywatch-Alert"] = f"{alert.kind}; site={alert.site}"
    msg.set_content(alert.body)
    return msg


class Alerter:
    """Bound to the daemon's database and settings; `after_run(site)` mails what is due."""

    def __init__(self, db_url: str, operator: OperatorSettings, smtp: Any, lang: str = "zh_CN"):
        self.db_url = db_url
        self.operator = operator
        self.smtp = smtp  # notifications.smtp.SmtpSettings
        self.lang = lang  # the config's [ui] language

    def after_run(self, site: str) -> list[Alert]:
        from storage.crawl_runs import recent_runs
        from storage.db import connect

        if not self.operator.emails:
            return []
        if self.smtp.missing_password:
            log.error("alerts for %s not checked: %s", site, self.smtp.missing_password)
            return []
        db = connect(self.db_url)
        try:
            runs = recent_runs(db, site, limit=max(20, self.operator.failures_before_alert + 1))
        finally:
            db.dispose()
        due = evaluate(site, runs, self.operator, self.lang)
        for alert in due:
            send(message(alert, self.operator, self.smtp.sender), self.smtp)
            log.warning("alert sent to %s: %s", ", ".join(self.operator.emails), alert.subject)
        return due


def send(msg: EmailMessage, smtp: Any) -> None:
    from notifications.smtp import send_message

    send_message(smtp, msg)
