"""Daily validity notices: 即将到期 (a document's 有效期 ends within `expiry_days`, or has ended)
and 已废止 (its page now prints 已废止 / 已失效), mailed to the subscriptions that follow it.

Each notice is sent once: `notice_sent` keeps subscription + document + kind + the last day it
announced, and a notice already there is skipped, so the daily job repeats nothing; a term
extended to a new last day is a new notice. A subscription follows a document when its filters
match the document (sites, publishers, document kinds, keywords in the title).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from gettext import NullTranslations

from sqlalchemy import select

from notifications.filters import ChangeFacts, Filters
from notifications.render import _address, _set_text, environment
from notifications.settings import NotifySettings
from notifications.smtp import SmtpConnection, SmtpError
from notifications.subscriptions import addresses
from pipeline.safe_text import header_text
from pipeline.vocabulary import N_
from storage.db import Database
from storage.models import Document, Subscription, Version, utcnow
from storage.models_graph import NoticeSent
from storage.validity import expiring, repealed

# the catalogue's msgids (the digest's language: NotifySettings.digest.translations)
KIND_LABELS = {"expiring": N_("expiring soon"), "expired": N_("term ended"), "repealed": N_("repealed")}


@dataclass
class Notice:
    kind: str  # expiring | expired | repealed
    document: dict
    key: str


@dataclass
class NoticeReport:
    sent: list[tuple[str, int]] = field(default_factory=list)  # (subscription, notices in the mail)
    failed: list[tuple[str, str]] = field(default_factory=list)


def _follows(filters: Filters, d: dict, kind: str) -> bool:
    facts = ChangeFacts(site=d["site"], publisher=d.get("publisher") or "", doc_kind=d.get("doc_kind", "other"),
                        document_id=d["id"], kind="metadata", text=lambda: d["title"] or "")
    return filters.matches(facts)


def due_notices(session, today: date, within_days: int) -> list[tuple[Subscription, list[Notice]]]:
    """The notices each active subscription has not been sent yet."""
    docs = [("expiring" if d["days_left"] >= 0 else "expired", d) for d in expiring(session, today, within_days)]
    docs += [("repealed", d) for d in repealed(session)]
    for _, d in docs:
        v = session.scalar(select(Version.normalized).join(Document, Document.latest_version_id == Version.id)
                           .where(Document.id == d["id"]))
        d["doc_kind"] = (v or {}).get("kind", "other")
    sent = set(session.scalars(select(NoticeSent.key)))
    out = []
    for sub in session.scalars(select(Subscription).where(Subscription.active.is_(True)).order_by(Subscription.id)):
        filters = Filters.from_json(sub.filters)
        mine = []
        for kind, d in docs:
            group = "repealed" if kind == "repealed" else "expiring"  # 到期 and 即将到期 are one notice per day
            key = f"{group}:sub:{sub.id}:doc:{d['id']}:{d['expires']}"
            if key not in sent and _follows(filters, d, kind):
                mine.append(Notice(kind, d, key))
        if mine:
            out.append((sub, mine))
    return out


def _message(sub: Subscription, notices: list[Notice], notify: NotifySettings, today: date) -> EmailMessage:
    """The notices of one subscription in the digest's language (its catalogue; none: English)."""
    settings = notify.digest
    env = environment(settings.translations)
    _ = (settings.translations or NullTranslations()).gettext
    labels = {kind: _(msgid) for kind, msgid in KIND_LABELS.items()}
    lang = "zh-Hans" if settings.language.startswith("zh") else "en"
    ctx = {"subscription": sub.name, "today": today.isoformat(), "notices": notices, "labels": labels, "html_lang": lang}
    first = notices[0]
    values = {"label": labels[first.kind], "title": first.document["title"], "num": len(notices)}
    line = _("%(label)s: %(title)s") if len(notices) == 1 else _("%(label)s: %(title)s and others, %(num)s documents")
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = header_text(f"{settings.subject_prefix} {line % values}")
    msg["From"] = _address(notify.smtp.sender)
    msg["To"] = ", ".join(formataddr(("", a)) for a in addresses(sub))
    msg["Date"] = format_datetime(datetime.now(UTC))
    digest = hashlib.sha256("|".join(n.key for n in notices).encode()).hexdigest()[:32]
    msg["Message-ID"] = f"<notice.{digest}@{notify.smtp.sender_domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    _set_text(msg, env.get_template("expiry.txt.j2").render(ctx=ctx), "plain")
    html = EmailMessage(policy=msg.policy)
    _set_text(html, env.get_template("expiry.html.j2").render(ctx=ctx), "html")
    msg.make_alternative()
    msg.attach(html)
    return msg


def send_notices(db: Database, notify: NotifySettings, today: date | None = None,
                 connection=SmtpConnection) -> NoticeReport:
    """Mail the due notices, one message per subscription; a notice is remembered once sent."""
    today = today or utcnow().date()
    report = NoticeReport()
    with db.reader() as s:
        work = [(sub.id, sub.name, sub, notices) for sub, notices in due_notices(s, today, notify.digest.expiry_days)]
        messages = [(sid, name, notices, _message(sub, notices, notify, today)) for sid, name, sub, notices in work]
    if not messages:
        return report
    with connection(notify.smtp) as conn:
        for sid, name, notices, msg in messages:
            try:
                conn.send(msg)
            except SmtpError as e:
                report.failed.append((name, e.reason))
                continue
            with db.writer() as s:
                s.add_all(NoticeSent(key=n.key, subscription_id=sid, document_id=n.document["id"],
                                     kind=n.kind, expires=n.document["expires"] or "") for n in notices)
            report.sent.append((name, len(notices)))
    return report
