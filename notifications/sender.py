"""Send what is due: claim a digest's outbox rows, send, and mark them only once accepted.

    report = send_due(db, notify_settings, now)      # policywatch digest; the scheduler's job

At-least-once, never lost, never mailed twice in the normal course:

1. claim: in one write transaction a subscription's pending rows become `sending`, with the
   digest key, its Message-ID, and `claimed_by` (host:pid:token). A second sender finds them
   taken (on PostgreSQL the claim checks how many rows it moved; SQLite serializes writers).
2. send over SMTP. 3. mark `sent` only after the server accepted the message (a hook,
   `after_send`, runs between 2 and 3 so that tests can kill the process there).
4. a 4xx or a connection error: `retry` at now + backoff (doubling, with jitter so that many
   digests do not hammer a recovering relay at once), same rows, same Message-ID; after
   `max_attempts`, dead-letter. A 5xx: dead-letter at once, with the server's reply.

A sender killed between 2 and 3 leaves rows in `sending`: the next run takes them over when
the claiming process is gone (same host, pid not alive) or the claim is older than
`claim_timeout_minutes`, and sends again with the same Message-ID - a duplicate a mail
system can recognise, rather than a lost digest.

A connection-level failure (server down, login refused) stops the run: every other digest
would fail the same way, and their rows stay pending for the next run.
"""

from __future__ import annotations

import os
import random
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from notifications.cadence import Cadence
from notifications.digest import Digest, ViewCache, digest_key, make_digest, message_id
from notifications.render import Rendered, build_message, render
from notifications.settings import DigestSettings, NotifySettings
from notifications.smtp import PermanentSmtpError, SmtpConnection, SmtpError, TransientSmtpError
from pipeline.safe_text import header_text
from storage.db import Database
from storage.models import Outbox, Subscription, utcnow

HOST = socket.gethostname()


class ClaimLost(Exception):
    """Another sender claimed some of these rows first; skip this digest."""


@dataclass
class Outcome:
    subscription: str
    key: str
    message_id: str
    changes: int
    status: str  # sent | retry | dead | skipped
    reason: str = ""
    next_attempt_at: datetime | None = None


@dataclass
class SendReport:
    outcomes: list[Outcome] = field(default_factory=list)
    recovered: int = 0  # rows taken over from a crashed sender
    stopped: str = ""  # why the run stopped early (server down)

    def by_status(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def ok(self) -> bool:
        return not self.stopped and all(o.status == "sent" for o in self.outcomes)


@dataclass
class Prepared:
    digest: Digest
    rendered: Rendered
    message: EmailMessage


def backoff(attempts: int, settings: DigestSettings, rng: random.Random | None = None) -> timedelta:
    """Exponential from retry_seconds, capped, with "equal jitter": half fixed, half random."""
    delay = min(settings.retry_max_seconds, settings.retry_seconds * 2 ** max(0, attempts - 1))
    r = (rng or random).random()
    return timedelta(seconds=delay / 2 + r * delay / 2)


def _alive(claimed_by: str | None) -> bool:
    """Is the claiming process still running? Only knowable on this host; elsewhere assume yes."""
    if not claimed_by:
        return False
    host, _, rest = claimed_by.partition(":")
    pid = rest.partition(":")[0]
    if host != HOST or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(db: Database, now: datetime, settings: DigestSettings) -> int:
    """Rows left `sending` by a dead sender go back to `retry`, due now, keeping key and Message-ID."""
    cutoff = now - timedelta(minutes=settings.claim_timeout_minutes)
    with db.writer() as s:
        stuck = s.execute(
            select(Outbox.digest_key, Outbox.claimed_by, func.min(Outbox.claimed_at))
            .where(Outbox.status == "sending")
            .group_by(Outbox.digest_key, Outbox.claimed_by)
        ).all()
        keys = [k for k, by, at in stuck if not _alive(by) or (at is not None and at < cutoff)]
        if not keys:
            return 0
        res = s.execute(
            update(Outbox)
            .where(Outbox.status == "sending", Outbox.digest_key.in_(keys))
            .values(status="retry", next_attempt_at=now, claimed_by=None)
        )
        return res.rowcount or 0


def _subscriptions(s: Session, subscriber: str | None) -> list[Subscription]:
    stmt = select(Subscription).order_by(Subscription.name)
    if subscriber:
        stmt = stmt.where(Subscription.name == subscriber)
    return list(s.scalars(stmt))


def _due_work(
    s: Session, now: datetime, settings: DigestSettings, subscriber: str | None, everything: bool
) -> list[tuple[Subscription, str | None, list[tuple[int, int | None]]]]:
    """(subscription, digest key or None for new, [(outbox id, change id)]) for what is due now."""
    subs = _subscriptions(s, subscriber)
    # one query per status for every subscription at once, not two per subscription
    ids = [sub.id for sub in subs] if subscriber else None
    retry = select(Outbox.subscription_id, Outbox.digest_key, Outbox.id, Outbox.change_id).where(
        Outbox.status == "retry"
    )
    if not everything:
        retry = retry.where(Outbox.next_attempt_at <= now)
    pending = select(Outbox.subscription_id, Outbox.id, Outbox.change_id, Outbox.created_at).where(
        Outbox.status == "pending", Outbox.created_at <= now
    )
    if ids is not None:
        retry, pending = retry.where(Outbox.subscription_id.in_(ids)), pending.where(Outbox.subscription_id.in_(ids))
    retried: dict[int, dict[str, list[tuple[int, int | None]]]] = {}
    for sid, key, oid, cid in s.execute(retry.order_by(Outbox.id)):
        retried.setdefault(sid, {}).setdefault(key, []).append((oid, cid))
    waiting: dict[int, list[tuple[int, int | None]]] = {}
    oldest: dict[int, datetime] = {}
    for sid, oid, cid, created in s.execute(pending.order_by(Outbox.id)):
        waiting.setdefault(sid, []).append((oid, cid))
        if sid not in oldest or created < oldest[sid]:
            oldest[sid] = created
    work = []
    for sub in subs:
        work += [(sub, key, rows) for key, rows in retried.get(sub.id, {}).items()]
        rows = waiting.get(sub.id)
        if not sub.active or not rows:
            continue
        if everything or Cadence.parse(sub.cadence).is_due(oldest[sub.id], now, settings.timezone):
            work.append((sub, None, rows))
    return work


def prepare(
    s: Session,
    sub: Subscription,
    rows,
    key: str | None,
    notify: NotifySettings,
    cache: ViewCache,
    now: datetime,
) -> Prepared:
    digest = make_digest(s, sub, rows, cache, domain=notify.smtp.sender_domain, now=now, key=key)
    rendered = render(digest, notify.digest)
    return Prepared(digest, rendered, build_message(digest, rendered, notify.smtp))


def preview_due(
    db: Database,
    notify: NotifySettings,
    now: datetime | None = None,
    *,
    subscriber: str | None = None,
    everything: bool = False,
) -> list[Prepared]:
    """What `send_due` would send now, rendered, with nothing claimed or marked (--dry-run)."""
    now = now or utcnow()
    cache = ViewCache()
    with db.reader() as s:
        return [
            prepare(s, sub, rows, key, notify, cache, now)
            for sub, key, rows in _due_work(s, now, notify.digest, subscriber, everything)
        ]


def _claim(db: Database, sub: Subscription, rows, key: str | None, token: str, notify, now) -> str:
    ids = [r[0] for r in rows]
    new_key = key or digest_key(sub.id, ids)
    with db.writer() as s:
        before = "retry" if key else "pending"
        res = s.execute(
            update(Outbox)
            .where(Outbox.id.in_(ids), Outbox.status == before)
            .values(
                status="sending",
                digest_key=new_key,
                message_id=message_id(new_key, notify.smtp.sender_domain),
                claimed_by=token,
                claimed_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != len(ids):
            raise ClaimLost(new_key)  # rolls the partial claim back
    return new_key


def _mark(db: Database, key: str, token: str, **values) -> None:
    with db.writer() as s:
        s.execute(
            update(Outbox)
            .where(Outbox.digest_key == key, Outbox.status == "sending", Outbox.claimed_by == token)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def send_due(
    db: Database,
    notify: NotifySettings,
    now: datetime | None = None,
    *,
    subscriber: str | None = None,
    everything: bool = False,
    connection: Callable[..., SmtpConnection] = SmtpConnection,
    after_send: Callable[[Digest], None] | None = None,
    rng: random.Random | None = None,
) -> SendReport:
    """Send every digest due at `now` (naive UTC; default: now). Safe to call from a scheduler.

    `everything` ignores cadences (send all pending now). Returns what happened per digest;
    it raises only for database errors.
    """
    now = now or utcnow()
    settings = notify.digest
    report = SendReport(recovered=recover(db, now, settings))
    token = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    cache = ViewCache()
    with db.reader() as s:
        work = _due_work(s, now, settings, subscriber, everything)
    with connection(notify.smtp) as conn:
        for sub, key, rows in work:
            try:
                key = _claim(db, sub, rows, key, token, notify, now)
            except ClaimLost as e:
                report.outcomes.append(
                    Outcome(sub.name, str(e), "", len(rows), "skipped", "claimed by another sender")
                )
                continue
            with db.reader() as s:
                prepared = prepare(s, sub, rows, key, notify, cache, now)
                attempts = 1 + _attempts(s, key)
            digest = prepared.digest
            outcome = Outcome(sub.name, key, digest.message_id, len(rows), "sent")
            try:
                refused = conn.send(prepared.message)
            except SmtpError as e:
                reason = header_text(e.reason, 500)
                if isinstance(e, PermanentSmtpError) or attempts >= settings.max_attempts:
                    if not isinstance(e, PermanentSmtpError):
                        reason = f"gave up after {attempts} attempts: {reason}"
                    _mark(
                        db, key, token, status="dead", attempts=attempts, last_error=reason, claimed_by=None
                    )
                    outcome.status, outcome.reason = "dead", reason
                else:
                    at = now + backoff(attempts, settings, rng)
                    _mark(
                        db, key, token, status="retry", attempts=attempts, last_error=reason,
                        next_attempt_at=at, claimed_by=None,
                    )  # fmt: skip
                    outcome.status, outcome.reason, outcome.next_attempt_at = "retry", reason, at
                report.outcomes.append(outcome)
                if isinstance(e, TransientSmtpError) and e.code is None:
                    report.stopped = reason  # the server is unreachable: the others would fail alike
                    break
                continue
            if after_send is not None:
                after_send(digest)
            note = "; ".join(f"{a}: {c} {m!r}" for a, (c, m) in refused.items()) if refused else None
            _mark(
                db, key, token, status="sent", sent_at=utcnow(), attempts=attempts,
                last_error=f"accepted, but refused for {note}" if note else None, claimed_by=None,
            )  # fmt: skip
            if note:
                outcome.reason = f"refused for {note}"
            report.outcomes.append(outcome)
    return report


def _attempts(s: Session, key: str) -> int:
    return s.scalar(select(func.max(Outbox.attempts)).where(Outbox.digest_key == key)) or 0


def status(db: Database, subscriber: str | None = None) -> list[dict]:
    """One line per (subscription, digest, status): pending rows first, then by recency."""
    with db.reader() as s:
        stmt = (
            select(
                Subscription.name,
                Outbox.digest_key,
                Outbox.status,
                func.count(),
                func.min(Outbox.created_at),
                func.max(Outbox.sent_at),
                func.max(Outbox.attempts),
                func.max(Outbox.next_attempt_at),
                func.max(Outbox.message_id),
                func.max(Outbox.last_error),
            )
            .join(Subscription, Subscription.id == Outbox.subscription_id, isouter=True)
            .group_by(Subscription.name, Outbox.digest_key, Outbox.status)
        )
        if subscriber:
            stmt = stmt.where(Subscription.name == subscriber)
        rows = s.execute(stmt).all()
    order = {"pending": 0, "sending": 1, "retry": 2, "dead": 3, "sent": 4}
    out = [
        {
            "subscription": name or "(deleted)",
            "digest": key or "",
            "status": st,
            "changes": n,
            "queued_at": first,
            "sent_at": sent,
            "attempts": attempts,
            "next_attempt_at": nxt,
            "message_id": mid or "",
            "last_error": err or "",
        }
        for name, key, st, n, first, sent, attempts, nxt, mid, err in rows
    ]
    out.sort(
        key=lambda r: (order.get(r["status"], 9), r["subscription"], str(r["sent_at"] or r["queued_at"]))
    )
    return out
