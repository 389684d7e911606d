"""Every staff and owner URL, found from the app's own routes, refuses the wrong people."""

from __future__ import annotations

import re

import pytest

from booking import create_app

GUARDED_PREFIXES = ("/staff", "/admin", "/api/v1/staff", "/account")
SAMPLE_VALUES = {"id": "1", "int": "1", "default": "1", "path": "x"}


def guarded_routes() -> list[tuple[str, str]]:
    """(method, concrete URL) for every guarded rule, with sample ids filled in."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(GUARDED_PREFIXES):
            continue
        url = re.sub(
            r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>",
            lambda m: SAMPLE_VALUES.get(m.group(1) or "default", "1"),
            rule.rule,
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, url))
    return routes


ROUTES = guarded_routes()


def test_the_route_list_covers_every_area():
    urls = {url for _, url in ROUTES}
    assert any(url.startswith("/staff/bookings") for url in urls)
    assert any(url.startswith("/admin/reports") for url in urls)
    assert any(url.startswith("/api/v1/staff/") for url in urls)
    assert len(ROUTES) > 40


@pytest.mark.parametrize(("method", "url"), ROUTES, ids=[f"{m} {u}" for m, u in ROUTES])
def test_anonymous_visitors_are_turned_away(client, method, url, make_booking):
    token = make_booking()["manage_token"]
    for attempt in (
        {},
        {"query_string": {"token": token}},
        {"headers": {"Authorization": f"Bearer {token}", "X-Manage-Token": token}},
    ):
        response = client.open(url, method=method, **attempt)
        if url.startswith("/api/"):
            assert response.status_code == 401, (method, url, response.status_code)
            assert response.get_json()["error"]["code"] == "unauthorized"
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("method", "url"),
    [r for r in ROUTES if r[1].startswith("/admin")],
    ids=[f"{m} {u}" for m, u in ROUTES if u.startswith("/admin")],
)
def test_reception_cannot_use_owner_pages(client, auth, method, url):
    auth.login("reception")
    assert client.open(url, method=method).status_code == 403
