"""Sites as a person reads them: the display name (`title` in [[sites]], storage.sites), the
config name staying the id in URLs and in the API's `name`/`site` fields."""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from policywatch.web.session import session
from storage.models import Site
from storage.sites import display_name


def titles() -> dict[str, str]:
    """name -> display name of every site, read once per request (a handful of rows)."""
    if "site_titles" not in g:
        g.site_titles = {s.name: display_name(s) for s in session().scalars(select(Site))}
    return g.site_titles


def title(name: str | None) -> str:
    """The display name of the site named `name` (the name itself for an unknown one)."""
    return titles().get(name or "", name or "")
