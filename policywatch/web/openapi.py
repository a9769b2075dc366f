"""The OpenAPI 3 description of /api/, written by hand next to the endpoints it describes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template

from pipeline.schema import ALL_KINDS as KINDS

bp = Blueprint("openapi", __name__)

_ERROR = {"$ref": "#/components/schemas/Error"}


def _p(name: str, where: str, schema: dict[str, Any], desc: str, required: bool = False) -> dict[str, Any]:
    out = {"name": name, "in": where, "required": required or where == "path", "schema": schema, "description": desc}
    if where == "query" and not required:
        out["allowEmptyValue"] = True  # an empty form field means "not given"
    return out


NO_NUL = "^[^\\x00]*$"
PAGE = _p("page", "query", {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1}, "page number, 1 first")
PER_PAGE = _p("per_page", "query", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "items per page")
DOC = _p("doc_id", "path", {"type": "integer", "minimum": 1}, "document id")
SITE_Q = _p("site", "query", {"type": "string", "maxLength": 200, "pattern": NO_NUL}, "only this site")
DATE = {"type": "string", "format": "date", "description": "YYYY-MM-DD (an ISO datetime works too), UTC"}


def _ok(desc: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": desc, "content": {"application/json": {"schema": schema or {"type": "object"}}}}


def _err(desc: str) -> dict[str, Any]:
    return {"description": desc, "content": {"application/json": {"schema": _ERROR}}}


def _get(summary: str, params: list[dict[str, Any]], ok: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": params,
            "responses": {"200": ok, **{code: _err(text) for code, text in errors.items()}},
        }
    }


PAGED = {
    "type": "object",
    "required": ["page", "per_page", "has_next", "items"],
    "properties": {
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "has_next": {"type": "boolean"},
        "items": {"type": "array", "items": {"type": "object"}},
    },
}

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "policywatch",
        "version": "1",
        "description": "Read-only JSON over the policywatch version history: sites, changes, search, "
        "documents with their versions, diffs between any two versions, weekly counts. "
        "Errors are JSON: {\"error\": {\"status\", \"message\"}}; 400 for malformed input, 404 for unknown ids.",
    },
    "paths": {
        "/api/sites": _get(
            "every site with its document counts, last crawl run and last change",
            [],
            _ok("the sites", {"type": "object", "required": ["sites"], "properties": {"sites": {"type": "array", "items": {"type": "object"}}}}),
            {},
        ),
        "/api/sites/{name}": _get(
            "a site and a page of its documents, most recently seen first",
            [_p("name", "path", {"type": "string", "maxLength": 200, "pattern": NO_NUL}, "site name"), PAGE, PER_PAGE],
            _ok("the site", {"type": "object", "required": ["site", "documents"]}),
            {"400": "bad page number", "404": "no such site"},
        ),
        "/api/changes": _get(
            "the changes feed, newest first (cosmetic changes only when asked for by kind)",
            [
                SITE_Q,
                _p("publisher", "query", {"type": "string", "maxLength": 500, "pattern": NO_NUL}, "only documents of this 发布机构"),
                _p(
                    "kind",
                    "query",
                    {"type": "string", "enum": list(KINDS)},
                    "only this kind (repeat the parameter or comma-separate for several)",
                ),
                _p("since", "query", DATE, "detected on or after"),
                _p("until", "query", DATE, "detected before the end of this day (before `since`: no results)"),
                PAGE,
                PER_PAGE,
            ],
            _ok("a page of changes", PAGED),
            {"400": "malformed date, unknown kind, bad page number"},
        ),
        "/api/search": _get(
            "measures containing a phrase (width, spaces and quote styles do not matter)",
            [
                _p("q", "query", {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NO_NUL}, "the phrase (nothing left after normalization: no results)", True),
                SITE_Q,
                _p("all_versions", "query", {"type": "boolean", "default": False}, "every version, not only the latest"),
                PAGE,
                PER_PAGE,
            ],
            _ok("a page of measures", PAGED),
            {"400": "no phrase, bad page number"},
        ),
        "/api/documents/{doc_id}": _get(
            "a document: its versions with change counts, the latest version's normalized schema, and"
            " every content fetched of its attachments (url, size, sha256; sites with `attachments`)",
            [DOC],
            _ok("the document", {"type": "object", "required": ["document", "versions", "attachments"]}),
            {"404": "no such document"},
        ),
        "/api/documents/{doc_id}/versions/{seq}": _get(
            "one version's normalized schema (1 = first, -1 = latest)",
            [DOC, _p("seq", "path", {"type": "integer"}, "version number")],
            _ok("the version", {"type": "object", "required": ["document", "version", "schema"]}),
            {"400": "not a number", "404": "no such document or version"},
        ),
        "/api/documents/{doc_id}/diff": _get(
            "the changes between two versions (default: the last two), in the `compare --json` shape",
            [
                DOC,
                _p("from", "query", {"type": "integer"}, "older version (default: the one before `to`)"),
                _p("to", "query", {"type": "integer"}, "newer version (default: the latest; -1 is the latest)"),
            ],
            _ok("the diff", {"type": "object", "required": ["document", "from", "to", "changes", "metadata_changes"]}),
            {"400": "not a version number", "404": "no such document or version"},
        ),
        "/api/stats/weekly": _get(
            "changes per week per site, for the weeks up to the latest change",
            [_p("weeks", "query", {"type": "integer", "minimum": 1, "maximum": 104, "default": 12}, "how many weeks"), SITE_Q],
            _ok("weekly counts", {"type": "object", "required": ["weeks", "series"]}),
            {"400": "bad number of weeks"},
        ),
    },
    "components": {
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["status", "message"],
                        "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
                    }
                },
            }
        }
    },
}


@bp.get("/api/openapi.json")
def spec():
    return jsonify(SPEC)


@bp.get("/api/")
def docs():
    return render_template("api.html.j2", spec=SPEC)
