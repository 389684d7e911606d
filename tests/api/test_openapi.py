"""The OpenAPI document: valid OpenAPI 3.1, every route in it and nothing else, every
error code the code can answer named in it; served with caching; readable as a page
with no script and nothing from elsewhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from openapi_spec_validator import validate

from booking.views.openapi import ERROR_CODES, document
from tests.openapi_contract import NOT_OPERATIONS, openapi_path

ROOT = Path(__file__).resolve().parents[2]
# Codes only other parts answer: the sign-in pages, backups (a command) and the SMART
# Scheduling Links publisher (/fhir, not part of /api/v1).
NOT_API = {"login_failed", "two_factor_failed", "two_factor_locked", "backup", "invalid_since"}


def test_the_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_every_api_route_is_documented_and_every_documented_operation_is_a_route(app):
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1") and rule.endpoint not in NOT_OPERATIONS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {
        (path, method)
        for path, item in document()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert routes - documented == set(), "routes missing from the document"
    assert documented - routes == set(), "documented operations that are not routes"
    # The README once listed GET /api/v1/staff/bookings, which answers 405.
    assert ("/api/v1/staff/bookings", "get") not in documented


def codes_in_the_code() -> set[str]:
    """Every `code = "..."` and `code="..."` the app's modules give an error."""
    found = set()
    for path in (ROOT / "booking").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if "code" in targets and isinstance(node.value, ast.Constant):
                    found.add(node.value.value)
            elif (
                isinstance(node, ast.keyword)
                and node.arg == "code"
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found.add(node.value.value)
    errors_module = (ROOT / "booking/views/errors.py").read_text()
    found |= set(re.findall(r'\d{3}: "([a-z_]+)"', errors_module))
    found |= set(re.findall(r'error_response\(\s*\d{3},\s*"([a-z_]+)"', errors_module))
    return found


def test_every_error_code_the_api_can_answer_is_documented_with_its_meaning():
    in_code = codes_in_the_code() - NOT_API
    # Codes of statuses the API never answers on purpose (500 is a bug, not a contract).
    in_code -= {"server_error", "error"}
    assert {"booking_error", "not_changeable", "slot_taken", "red_flag"} <= in_code
    assert in_code - set(ERROR_CODES) == set(), "codes the document does not explain"
    assert set(ERROR_CODES) - in_code == set(), "documented codes nothing answers"
    enum = document()["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
    assert set(enum["code"]["enum"]) == set(ERROR_CODES)


def test_every_operation_documents_its_errors_and_staff_ones_need_the_session():
    for path, item in document()["paths"].items():
        for method, op in item.items():
            statuses = set(op["responses"])
            assert "503" in statuses, (method, path)
            if path.startswith("/api/v1/staff"):
                assert {"401", "403"} <= statuses, (method, path)
                assert op["security"] == [{"staffSession": []}]
            if "requestBody" in op:
                assert {"400", "415"} <= statuses, (method, path)
            assert any(s.startswith("2") for s in statuses), (method, path)


def test_the_document_is_cached_and_revalidated_like_other_public_reads(client):
    first = client.get("/api/v1/openapi.json")
    assert first.headers["Cache-Control"] == "public, max-age=300"
    etag = first.headers["ETag"]
    again = client.get("/api/v1/openapi.json", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_the_docs_page_lists_every_operation_and_code_with_no_script_or_cdn(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for path, item in document()["paths"].items():
        for method in item:
            assert f"<code>{path}</code>" in page, path
            summary = item[method]["summary"].replace("'", "&#39;")
            # `code` in a summary is shown as code, not as backticks.
            assert summary.replace("`", "<code>", 1).split("`")[0] in page, summary
    for code in ERROR_CODES:
        assert f"<code>{code}</code>" in page
    assert "<script" not in page
    assert not re.search(r'(src|href)="https?://', page), "nothing is loaded from elsewhere"
    # The page keeps the site's policy: scripts and styles from this site only.
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    # Schemas are linked from where they are used, and each has its own anchor.
    assert 'href="#schema-BookingCreated"' in page
    assert 'id="schema-BookingCreated"' in page
    assert "<code>patient.email</code>" in page


def test_the_readme_points_to_the_document_instead_of_repeating_it():
    readme = (ROOT / "README.md").read_text()
    assert "/api/v1/openapi.json" in readme
    assert "/api/v1/docs" in readme
    assert "GET /api/v1/staff/bookings " not in readme
