"""The Flask app factory: one read-only Database, a session per request, errors as HTML or JSON."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import Babel, gettext
from sqlalchemy import exc
from werkzeug.exceptions import HTTPException

from pipeline.clock import DEFAULT_ZONE
from pipeline.safe_text import display_text
from policywatch import i18n
from policywatch.web.session import DB_KEY
from policywatch.web.times import ZONE_KEY
from storage.db import Database, DatabaseError, connect, first_line
from storage.read.common import ReadError

# No script may run, nothing may load from anywhere but this server (no external assets).
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)

# What a person reads: pages, feeds, the chart, plain-text errors. (JSON carries the stored text
# as data: its encoder escapes C0 controls, and the client decides how to show the rest.)
SHOWN = frozenset({"text/html", "text/plain", "application/atom+xml", "image/svg+xml"})


class SafeJSON(DefaultJSONProvider):
    """UTF-8 JSON in stored order, with <, > and & as \\u escapes: a crawled "</script>" stays
    inert even if a browser or proxy ever sniffs the body as HTML."""

    ensure_ascii = False
    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        text = super().dumps(obj, **kwargs)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def create_app(
    db_url: str | None = None,
    *,
    database: Database | None = None,
    check: bool = True,
    lang: str | None = None,
    zone: str | None = None,
) -> Flask:
    """The web UI over `db_url` (or an open `database`), through a read-only connection.

    `lang` is the server's language (`--lang`, `[ui] language`) for a request that asks for
    none the UI has (policywatch.i18n); without it, zh_CN. `zone` is the time zone every time
    shown to a person is in (`[ui] timezone`, Config.ui_timezone); without it, Asia/Shanghai
    (pipeline.clock.DEFAULT_ZONE). The API and the feeds' <updated> stay UTC with the offset.

    With `check`, the schema is verified now, so a wrong database fails at start-up with one
    line (storage.db.DatabaseError) instead of on the first request.
    """
    zone = zone or DEFAULT_ZONE
    ZoneInfo(zone)  # an unknown zone fails here, not on the first page
    db = database or connect(db_url, read_only=True)
    if check:
        from storage import migrate

        migrate.require(db)
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.json = SafeJSON(app)
    app.extensions[DB_KEY] = db
    app.config[ZONE_KEY] = zone
    app.jinja_env.autoescape = True  # every template, whatever its extension (.html.j2, .atom.j2, .svg.j2)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    server_lang = i18n.pick(lang)
    Babel(
        app,
        locale_selector=lambda: request_language(server_lang),
        default_locale=server_lang,
        default_translation_directories=str(i18n.LOCALE_DIR),
    )

    from policywatch.web import api, charts, feeds, filters, graph, openapi, pages

    filters.install(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(charts.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(graph.bp)

    @app.teardown_appcontext
    def _close(_error: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    @app.after_request
    def _shown_text(response):
        if response.mimetype in SHOWN and not response.direct_passthrough and not response.is_streamed:
            # The whole rendered body, whatever put the text there (a title stored before the
            # normalizer dropped C0 and bidi controls, a URL, an error echoing the request):
            # no feed becomes invalid XML, nothing reorders what the reader sees.
            response.set_data(display_text(response.get_data(as_text=True)))
        return response

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        own = e.description and e.description != type(e).description  # ours, already translated
        message = e.description if own else status_message(e.code or 500)
        response = app.make_response(error_response(e.code or 500, message))
        for name, value in e.get_headers():  # e.g. Allow on a 405
            if name.lower() not in ("content-type", "content-length"):
                response.headers[name] = value
        return response

    @app.errorhandler(ReadError)
    def _read_error(e: ReadError):
        # a storage answer a route did not turn into an HTTP error itself (views.lookup does)
        from policywatch.web.views import error_text

        return error_response(404 if isinstance(e, LookupError) else 400, error_text(e))

    @app.errorhandler(exc.OperationalError)
    def _db_error(e: exc.OperationalError):
        return error_response(503, gettext("database error: %(why)s", why=first_line(e.orig)))

    @app.errorhandler(DatabaseError)
    def _db_error2(e: DatabaseError):
        return error_response(503, str(e))

    return app


def request_language(server_lang: str) -> str:
    """?lang= first, then the browser's Accept-Language in its order of preference, then the
    server's language."""
    asked = i18n.normalize(request.args.get("lang"))
    if asked:
        return asked
    for value, _quality in request.accept_languages:
        lang = i18n.normalize(value)
        if lang:
            return lang
    return server_lang


def status_message(code: int) -> str:
    """Werkzeug's English text for an error we did not word ourselves (an unknown URL, a POST)."""
    if code == 404:
        return gettext("No such page.")
    if code == 405:
        return gettext("This address only answers GET.")
    if 400 <= code < 500:
        return gettext("The request cannot be answered (HTTP %(code)s).", code=code)
    return gettext("The server failed to answer (HTTP %(code)s).", code=code)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str) -> Any:
    if wants_json():
        response = jsonify({"error": {"status": status, "message": message}})
        response.status_code = status
        return response
    if request.path.startswith("/feeds/") or request.path.endswith(".svg"):
        return message + "\n", status, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("error.html.j2", status=status, message=message), status

