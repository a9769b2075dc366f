"""The OpenAPI description is generated from the routes (apispec): every route under /api/ is in
it, every operation and parameter is described, and what it says of a parameter is what the
server enforces (one declaration, policywatch.web.params, does both)."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from policywatch.flow import Page, record_page
from policywatch.web.app import create_app
from storage import migrate
from storage.db import connect

URL = "https://www.example.gov.cn/zwgk/post_1.html"
BODY = """<html><head><meta charset="utf-8"><title>关于加强统筹协调的通知</title></head><body>
<div class="article"><h1>关于加强统筹协调的通知</h1><p>一、总体要求</p>
<p>1. 完善统筹协调机制,建立健全工作责任制度。</p><p>2. 强化监督考核评价。</p></div></body></html>"""
# a value that exists for each path parameter, so that only the query parameter is wrong
PATH_VALUES = {"name": "example", "doc_id": "1", "seq": "1"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    path = tmp_path_factory.mktemp("openapi") / "pw.db"
    db = connect(str(path))
    migrate.upgrade(db)
    record_page(db, Page(url=URL, body=BODY.encode(), site="example"))
    db.dispose()
    app = create_app(str(path))
    yield app.test_client()
    app.extensions["policywatch_db"].dispose()


@pytest.fixture(scope="module")
def spec(client) -> dict:
    r = client.get("/api/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    return r.get_json()


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield path, method, op


def test_every_api_route_is_described(client, spec) -> None:
    # Flask's <name> (or <conv:name>) is OpenAPI's {name}; the description and its HTML page are
    # the two routes under /api/ that answer something else than the API's JSON
    routes = {
        re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", r.rule)
        for r in client.application.url_map.iter_rules()
        if r.rule.startswith("/api/")
    } - {"/api/openapi.json", "/api/"}
    assert routes and set(spec["paths"]) == routes
    assert {m for _p, m, _o in _operations(spec)} == {"get"}


def test_every_operation_and_parameter_has_a_description(spec) -> None:
    assert spec["info"]["description"].strip()
    for path, method, op in _operations(spec):
        assert op.get("summary", "").strip() and op.get("description", "").strip(), (path, method)
        named = set(re.findall(r"\{(\w+)\}", path))
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert named == declared, path  # every part of the path is a declared parameter
        for p in op.get("parameters", []):
            assert p.get("description", "").strip(), (path, p["name"])
        for status, response in op["responses"].items():
            assert response.get("description", "").strip(), (path, status)


def _url(path: str, query: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path) + "?" + query


def test_the_bounds_described_are_the_bounds_enforced(client, spec) -> None:
    """For each bounded query parameter: the limit the description gives is accepted, one past
    it is a 400 naming the parameter (a 400 the operation's responses list)."""
    checked = 0
    for path, _method, op in _operations(spec):
        for p in op.get("parameters", []):
            schema = p["schema"]
            if p["in"] != "query":
                continue
            base = "q=统筹&" if path == "/api/search" and p["name"] != "q" else ""
            if schema.get("type") == "integer" and "maximum" in schema:
                good, bad = str(schema["maximum"]), str(schema["maximum"] + 1)
            elif schema.get("type") == "string" and "maxLength" in schema:
                good, bad = "统" * schema["maxLength"], "统" * (schema["maxLength"] + 1)
            else:
                continue
            ok = client.get(_url(path, f"{base}{p['name']}={good}"))
            assert ok.status_code == 200, (path, p["name"], ok.get_json())
            r = client.get(_url(path, f"{base}{p['name']}={bad}"), headers={"Accept-Language": "en"})
            assert r.status_code == 400 and "400" in op["responses"], (path, p["name"], r.status_code)
            assert r.get_json()["error"]["message"].startswith(p["name"] + ":"), (path, p["name"])
            checked += 1
    assert checked >= 10  # page and per_page of four operations, weeks, site, publisher, q


def test_enumerated_values_are_the_ones_accepted(client, spec) -> None:
    kind = next(p for p in spec["paths"]["/api/changes"]["get"]["parameters"] if p["name"] == "kind")
    for k in kind["schema"]["enum"]:
        assert client.get(f"/api/changes?kind={k}").status_code == 200, k
    assert client.get("/api/changes?kind=renamed").status_code == 400


def test_the_api_page_lists_the_generated_description(client, spec) -> None:
    page = client.get("/api/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    for path, _method, op in _operations(spec):
        assert f"<code>GET {path}</code>" in page
        assert str(escape(op["summary"])) in page, path
