"""One-line errors of the layers below the CLI, translated where the CLI prints them.

storage's read side raises a ReadError that carries its catalogue msgid and values
(storage/read/common.py); it is translated from those. notifications/ and policywatch.tracing
raise plain English from fixed templates: each template below is a catalogue message, and an
error that matches one is printed in the run's language with the values it carried (a DOC, a
site, a version) kept verbatim. Anything else (a config check's "FILE: site 'x': key: why", a
database's own words) is printed as raised.
"""

from __future__ import annotations

import re
from functools import cache

from pipeline.vocabulary import N_

TEMPLATES = (
    N_("DOC %(ref)s: cites no watched document; give --source DOC"),
    N_("DOC %(ref)s: no stored version"),
    N_("TEXT: empty search phrase"),
    N_("site %(name)s: no such site"),
    N_("no subscription named %(name)s (subscriptions: %(known)s)"),
    N_("subscription %(name)s already exists"),
    N_("subscription %(name)s is declared in %(path)s; remove it there"),
    N_("database error: %(why)s"),
    # `run`'s start: the warnings of policywatch.scheduler (jobs, reload, scrapyd_runner) and its refusal
    N_("%(path)s: site %(name)s: no schedule, not crawled by `policywatch run`"),
    N_("%(path)s: smtp: username: a login needs the password in %(var)s: no digest or alert is sent until it is set"),
    N_("%(path)s: %(what)s: no digest or alert is sent until it is set"),
    N_("%(path)s: [crawl] scrapyd.nodes[%(i)s]: %(why)s; using the other nodes"),
    N_("%(path)s: no site has a schedule (schedule = { interval_minutes = N } or [scheduler] jobs)"),
    # a crawl run's reason (crawler/revalidate.py REASON), shown by `crawl` and `status`
    N_("revalidated without a crawl: %(pages)s pages and %(lists)s list pages answered 304"),
)


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    out = []
    for template in TEMPLATES:
        parts = re.split(r"%\((\w+)\)s", template)
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
        out.append((re.compile(rf"\A{regex}\Z", re.S), template))
    return tuple(out)


def translated(exc: BaseException) -> str:
    """`exc`'s one line in the run's language: from the ReadError it was raised from, else from
    the TEMPLATES its text matches, else as it is."""
    from policywatch.cli_text import _
    from storage.read.common import ReadError

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ReadError):
            return _(cause.message, **cause.values)
        cause = cause.__cause__
    return message_text(str(exc))


def message_text(message: str) -> str:
    """A one-line message of a lower layer (an error, a crawl run's reason) in the run's
    language if it is one of TEMPLATES, else as it is."""
    from policywatch.cli_text import _

    for pattern, template in _patterns():
        m = pattern.match(message)
        if m:
            return _(template, **m.groupdict())
    return message
