"""Jinja filters and globals: safe links, diff spans, labels in the reader's language, times in
the configured zone, sites by their display name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, request, url_for
from flask_babel import get_locale
from jinja2 import pass_context
from markupsafe import Markup, escape

from pipeline.schema import section_items
from policywatch import i18n
from policywatch.web import names, times, words


def safe_href(url: Any) -> str | None:
    """A crawled URL usable as a link: http(s) only (never javascript:, data:, …)."""
    if not isinstance(url, str):
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def spans(diff: list[list[str]] | None, side: str = "both") -> Markup:
    """[[op, text], ...] as escaped HTML: <del> for deletions, <ins> for insertions.

    side="old" drops insertions, side="new" drops deletions (the two columns of a side-by-side
    view); "both" is the inline view.
    """
    out = []
    for op, text in diff or []:
        if op == "delete":
            if side != "new":
                out.append(Markup("<del>{}</del>").format(text))
        elif op == "insert":
            if side != "old":
                out.append(Markup("<ins>{}</ins>").format(text))
        else:
            out.append(escape(text))
    return Markup("").join(out)


def page_url(endpoint: str, args: dict[str, Any], **values: Any) -> str:
    return url_for(endpoint, **{**args, **values})


def lang_url(lang: str) -> str:
    """This page in another language: the same address and query, with ?lang= set."""
    query = {k: v for k, v in request.args.items() if k != "lang"}
    if request.endpoint is None or request.endpoint == "static":  # an unknown address (404)
        return "?" + urlencode({"lang": lang})
    return url_for(request.endpoint, **(request.view_args or {}), **query, lang=lang)


def groupby_runs(pairs: list[tuple[str, Any]]) -> list[tuple[str, list[Any]]]:
    """(kind, item) pairs as runs of one kind, order kept: consecutive measures share one list."""
    runs: list[tuple[str, list[Any]]] = []
    for kind, item in pairs:
        if runs and runs[-1][0] == kind:
            runs[-1][1].append(item)
        else:
            runs.append((kind, [item]))
    return runs


def per_request(label: Callable[[str], str]) -> Callable[..., str]:
    """A label filter Jinja may not fold at compile time: `'publisher'|field_label` has a
    constant argument, but its text depends on the request's language."""

    @pass_context
    def filter_(_context: Any, key: str) -> str:
        return label(key)

    return filter_


def install(app: Flask) -> None:
    app.jinja_env.filters["spans"] = spans
    app.jinja_env.filters["safe_href"] = safe_href
    app.jinja_env.filters["kind_label"] = per_request(words.kind_label)
    app.jinja_env.filters["field_label"] = per_request(words.field_label)
    app.jinja_env.filters["status_label"] = per_request(words.status_label)
    app.jinja_env.filters["value_text"] = words.value_text
    app.jinja_env.filters["highlight"] = words.highlight
    app.jinja_env.globals["attachment_change"] = words.attachment_change
    app.jinja_env.globals["withdrawn_text"] = words.withdrawn_text
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["lang_url"] = lang_url
    app.jinja_env.globals["section_items"] = section_items
    app.jinja_env.filters["groupby_runs"] = groupby_runs
    # times in the configured zone, sites by their display name (per request: not foldable)
    app.jinja_env.filters["when"] = per_request(times.shown)
    app.jinja_env.filters["day"] = per_request(times.shown_day)
    app.jinja_env.filters["site_title"] = per_request(names.title)

    @app.context_processor
    def _ctx() -> dict[str, Any]:
        locale = get_locale()
        lang = "en" if locale is not None and locale.language == "en" else i18n.DEFAULT
        return {"path": request.path, "lang": lang, "html_lang": i18n.html_lang(lang), "zone": times.zone()}
