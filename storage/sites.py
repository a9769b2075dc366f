"""The config's sites mirrored into the site table: a row per configured site, with its title.

A site's row used to appear only when its first page was recorded; made here, a configured site
that has not been crawled yet is listed too, and every reader (digest, web UI, feeds, API) finds
its display name in the database without the config.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Site, utcnow


def sync_titles(session: Session, titles: Mapping[str, str | None]) -> list[str]:
    """Create the missing site rows and set every configured site's title (None clears it).
    Sites no longer in the config keep their row and title: their history stays readable.
    Returns the names whose row was created or whose title changed."""
    rows = {s.name: s for s in session.scalars(select(Site).where(Site.name.in_(list(titles))))}
    changed = []
    for name, title in titles.items():
        row = rows.get(name)
        if row is None:
            session.add(Site(name=name, title=title, created_at=utcnow()))
            changed.append(name)
        elif row.title != title:
            row.title = title
            changed.append(name)
    session.flush()
    return changed


def display_name(site: Site) -> str:
    """What a person reads for a site: its title, else its config name."""
    return site.title or site.name
