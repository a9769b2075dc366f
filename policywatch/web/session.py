"""The request's read-only database session, shared by every blueprint.

It lives apart from the app factory so that the blueprints import it without importing the
factory that registers them.
"""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

DB_KEY = "policywatch_db"  # app.extensions key of the app's read-only Database


def session() -> Session:
    """The request's read-only session (opened on first use, closed at teardown)."""
    if "db_session" not in g:
        g.db_session = Session(current_app.extensions[DB_KEY].engine, expire_on_commit=False)
    return g.db_session
