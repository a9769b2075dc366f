"""One-line errors of the layers below the CLI, translated where the CLI prints them.

storage/, notifications/ and policywatch.tracing raise their errors in English from fixed
templates (they know no language, and their messages are tested as such). Each template below
is a catalogue message; an error that matches one is printed in the run's language with the
values it carried (a DOC, a site, a version) kept verbatim. Anything else (a config check's
"FILE: site 'x': key: why", a database's own words) is printed as raised.
"""

from __future__ import annotations

import re
from functools import cache


def N_(message: str) -> str:
    return message


TEMPLATES = (
    N_("DOC %(ref)s: no document with this id"),
    N_("DOC %(ref)s: no document was recorded from this URL"),
    N_("DOC %(ref)s: not an id, a URL or a known 文号"),
    N_("DOC %(ref)s: 文号 matches %(n)s documents (ids %(ids)s); give an id"),
    N_("DOC %(ref)s: no stored version"),
    N_("version %(spec)s: DOC %(ref)s has versions 1..%(count)s"),
    N_("DOC %(ref)s: no version on %(day)s (first seen %(first)s)"),
    N_("DOC %(ref)s: cites no watched document; give --source DOC"),
    N_("%(name)s: %(raw)s is not a date (YYYY-MM-DD)"),
    N_("TEXT: empty search phrase"),
    N_("site %(name)s: no such site"),
    N_("no subscription named %(name)s (subscriptions: %(known)s)"),
    N_("subscription %(name)s already exists"),
    N_("subscription %(name)s is declared in %(path)s; remove it there"),
    N_("database error: %(why)s"),
)


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    out = []
    for template in TEMPLATES:
        parts = re.split(r"%\((\w+)\)s", template)
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
        out.append((re.compile(rf"\A{regex}\Z", re.S), template))
    return tuple(out)


def translated(message: str) -> str:
    """`message` in the run's language if it is one of TEMPLATES, else as it is."""
    from policywatch.cli_text import _

    for pattern, template in _patterns():
        m = pattern.match(message)
        if m:
            return _(template, **m.groupdict())
    return message
