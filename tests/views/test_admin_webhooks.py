"""The owner's webhook pages: who may open them, adding and editing endpoints, refusals
worded for the owner, the secret shown once, turning off, rotating, deleting, testing,
and each endpoint's recent deliveries."""

from __future__ import annotations

import html
import re

import pytest

from booking.extensions import db
from booking.models import AuditEntry, OutboxMessage, WebhookAttempt, WebhookEndpoint
from booking.services import outbox
from booking.services.webhooks import delivery
from tests.webhook_receiver import Receiver


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def form(url, *events, description="Front-desk dashboard", contact=False) -> dict:
    body = {"url": url, "description": description, "events": list(events or ["booking.created"])}
    if contact:
        body["include_contact_details"] = "y"
    return body


def shown_secret(page: str) -> str:
    (secret,) = re.findall(r'value="(whsec_[A-Za-z0-9+/=]+)"', page)
    return secret


def only_endpoint(app) -> WebhookEndpoint:
    with app.app_context():
        endpoint = db.session.execute(db.select(WebhookEndpoint)).scalar_one()
        db.session.expunge(endpoint)
        return endpoint


def actions(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.execute(
                db.select(AuditEntry.action)
                .where(AuditEntry.action.startswith("webhook."))
                .order_by(AuditEntry.id)
            ).scalars()
        )


@pytest.fixture
def owner(auth):
    auth.login("owner")


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


PAGES = [
    ("get", "/admin/webhooks"),
    ("get", "/admin/webhooks/new"),
    ("post", "/admin/webhooks"),
    ("get", "/admin/webhooks/1/edit"),
    ("post", "/admin/webhooks/1/edit"),
    ("post", "/admin/webhooks/1/disable"),
    ("post", "/admin/webhooks/1/enable"),
    ("post", "/admin/webhooks/1/delete"),
    ("post", "/admin/webhooks/1/rotate"),
    ("post", "/admin/webhooks/1/test"),
]


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_reception_is_refused_every_webhook_page(client, auth, method, path):
    auth.login("reception")
    assert getattr(client, method)(path).status_code == 403


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_signed_out_visitors_are_sent_to_sign_in(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_owner_adds_an_endpoint_and_sees_its_secret_once(app, client, owner, receiver):
    page = client.get("/admin/webhooks")
    assert page.status_code == 200
    assert "No endpoints yet" in text(page)
    assert 'href="/admin/webhooks"' in text(page)  # in the owner's navigation

    response = client.post(
        "/admin/webhooks", data=form(receiver.url, "booking.created", "waitlist.offered")
    )

    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    secret = shown_secret(text(response))
    endpoint = only_endpoint(app)
    assert endpoint.secret == secret
    assert endpoint.events == ["booking.created", "waitlist.offered"]
    assert endpoint.include_contact_details is False
    # Never again: the list shows no secret.
    assert "whsec_" not in text(client.get("/admin/webhooks"))
    assert actions(app) == ["webhook.create"]
    with app.app_context():
        (entry,) = db.session.execute(db.select(AuditEntry)).scalars().all()[-1:]
        assert "whsec_" not in str(entry.before) + str(entry.after)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Enter the endpoint's address"),
        ("not a url", "Remove the spaces"),
        ("ftp://hooks.example.com/", "That is not a web address"),
        ("http://hooks.example.com/in", "Plain http:// is accepted only for 127.0.0.1"),
        ("https://owner:pw@hooks.example.com/", "Remove the user name and password"),
    ],
)
def test_a_bad_address_is_refused_with_a_clear_message(app, client, owner, url, message):
    response = client.post("/admin/webhooks", data=form(url))
    assert response.status_code == 422
    assert message in text(response)
    assert "Please check the form" in text(response)
    with app.app_context():
        assert db.session.execute(db.select(WebhookEndpoint)).first() is None


def test_no_event_ticked_is_refused(app, client, owner, receiver):
    response = client.post("/admin/webhooks", data={"url": receiver.url, "events": []})
    assert response.status_code == 422
    assert "Tick at least one event to send." in text(response)


def test_an_unknown_event_is_refused(client, owner, receiver):
    response = client.post("/admin/webhooks", data=form(receiver.url, "patient.everything"))
    assert response.status_code == 422


def test_in_production_inward_addresses_are_refused(app, client, owner, monkeypatch):
    app.config["PRODUCTION"] = True
    refused = client.post("/admin/webhooks", data=form("https://127.0.0.1:8443/in"))
    assert refused.status_code == 422
    assert "inside a private network or this server" in text(refused)

    # A name that resolves inward is refused too (looked up as it is added).
    def inward(host, port, type):  # noqa: A002 (getaddrinfo's own keyword)
        return [(2, 1, 6, "", ("10.0.0.7", port))]

    monkeypatch.setattr(delivery.socket, "getaddrinfo", inward)
    named = client.post("/admin/webhooks", data=form("https://hooks.example.com/in"))
    assert named.status_code == 422
    assert "hooks.example.com is 10.0.0.7" in text(named)

    def outward(host, port, type):  # noqa: A002
        return [(2, 1, 6, "", ("93.184.215.14", port))]

    monkeypatch.setattr(delivery.socket, "getaddrinfo", outward)
    accepted = client.post("/admin/webhooks", data=form("https://hooks.example.com/in"))
    assert accepted.status_code == 201
    refused_http = client.post("/admin/webhooks", data=form("http://hooks.example.com/in"))
    assert "Use an https:// address" in text(refused_http)


def test_the_owner_edits_an_endpoint_and_opts_in_to_contact_details(app, client, owner, receiver):
    client.post("/admin/webhooks", data=form(receiver.url))
    endpoint = only_endpoint(app)
    page = client.get(f"/admin/webhooks/{endpoint.id}/edit")
    assert page.status_code == 200
    assert "name, email and phone: personal health" in " ".join(text(page).split())

    response = client.post(
        f"/admin/webhooks/{endpoint.id}/edit",
        data=form(receiver.url, "booking.cancelled", description="CRM", contact=True),
    )

    assert response.status_code == 302
    edited = only_endpoint(app)
    assert (edited.events, edited.description, edited.include_contact_details) == (
        ["booking.cancelled"],
        "CRM",
        True,
    )
    assert edited.secret == endpoint.secret
    assert "Included" in text(client.get("/admin/webhooks"))
    bad = client.post(f"/admin/webhooks/{endpoint.id}/edit", data=form("http://example.com/"))
    assert bad.status_code == 422
    assert only_endpoint(app).url == receiver.url
    assert actions(app) == ["webhook.create", "webhook.update"]


def test_turning_off_and_on_rotating_and_deleting(app, client, owner, receiver):
    client.post("/admin/webhooks", data=form(receiver.url))
    endpoint = only_endpoint(app)
    base = f"/admin/webhooks/{endpoint.id}"

    assert client.post(f"{base}/disable").status_code == 302
    assert only_endpoint(app).enabled is False
    assert "Turn on" in text(client.get("/admin/webhooks"))
    refused_test = client.post(f"{base}/test", follow_redirects=True)
    assert "turn it on to send it a test event" in text(refused_test)
    assert client.post(f"{base}/enable").status_code == 302
    assert only_endpoint(app).enabled is True

    rotated = client.post(f"{base}/rotate")
    assert rotated.status_code == 200
    assert rotated.headers["Cache-Control"] == "no-store"
    new_secret = shown_secret(text(rotated))
    after = only_endpoint(app)
    assert (after.secret, after.previous_secret) == (new_secret, endpoint.secret)
    assert "the old one signs too until" in text(client.get("/admin/webhooks"))

    deleted = client.post(f"{base}/delete", follow_redirects=True)
    assert "deleted" in text(deleted)
    with app.app_context():
        assert db.session.execute(db.select(WebhookEndpoint)).first() is None
    assert client.post(f"{base}/delete").status_code == 404
    assert actions(app) == [
        "webhook.create",
        "webhook.disable",
        "webhook.enable",
        "webhook.rotate",
        "webhook.delete",
    ]


def test_a_test_event_and_its_result_are_shown_on_the_page(app, client, owner):
    with Receiver(answers=[500]) as receiver:
        client.post("/admin/webhooks", data=form(receiver.url))
        endpoint = only_endpoint(app)
        queued = client.post(f"/admin/webhooks/{endpoint.id}/test", follow_redirects=True)
        assert "Test event queued" in text(queued)
        assert "Waiting to go" in text(queued)
        with app.app_context():
            outbox.send_due()
        failed = text(client.get("/admin/webhooks"))
        assert "webhook.test" in failed
        assert "HTTP 500" in failed
        assert "trying again" in failed
        with app.app_context():
            row = db.session.execute(
                db.select(OutboxMessage).filter_by(kind="webhook")
            ).scalar_one()
            row.next_attempt_at = row.created_at  # due again now
            db.session.commit()
            outbox.send_due()
    page = text(client.get("/admin/webhooks"))
    assert "Delivered" in page
    assert re.search(r"<td data-label=\"HTTP status\">200</td>", page)
    assert re.search(r"<td data-label=\"Attempts\">2</td>", page)
    assert len(receiver.requests) == 2


def test_deleting_an_endpoint_removes_its_history(app, client, owner, receiver):
    client.post("/admin/webhooks", data=form(receiver.url))
    endpoint = only_endpoint(app)
    client.post(f"/admin/webhooks/{endpoint.id}/test")
    with app.app_context():
        outbox.send_due()
    client.post(f"/admin/webhooks/{endpoint.id}/delete")
    with app.app_context():
        assert (
            db.session.execute(db.select(OutboxMessage).filter_by(kind="webhook")).first() is None
        )
        assert db.session.execute(db.select(WebhookAttempt)).first() is None


def test_an_endpoint_that_does_not_exist_is_a_404(client, owner):
    assert client.get("/admin/webhooks/999/edit").status_code == 404
    assert client.post("/admin/webhooks/999/test").status_code == 404
    assert client.get("/admin/webhooks/99999999999/edit").status_code == 404


def test_every_webhook_form_needs_its_csrf_token(app, client, owner, receiver):
    client.post("/admin/webhooks", data=form(receiver.url))
    endpoint = only_endpoint(app)
    app.config["WTF_CSRF_ENABLED"] = True
    for path in ("", "/disable", "/rotate", "/delete", "/test"):
        url = f"/admin/webhooks/{endpoint.id}{path}" if path else "/admin/webhooks"
        assert client.post(url, data=form(receiver.url)).status_code == 400, url
    assert only_endpoint(app).secret == endpoint.secret

    page = text(client.get("/admin/webhooks"))
    (token,) = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
    response = client.post(f"/admin/webhooks/{endpoint.id}/disable", data={"csrf_token": token})
    assert response.status_code == 302
    assert only_endpoint(app).enabled is False


def test_the_audit_log_lists_endpoint_changes_without_the_secret(app, client, owner, receiver):
    created = client.post("/admin/webhooks", data=form(receiver.url))
    secret = shown_secret(text(created))
    endpoint = only_endpoint(app)
    client.post(f"/admin/webhooks/{endpoint.id}/rotate")

    page = text(client.get("/staff/audit?action=webhook"))

    assert f'href="/admin/webhooks/{endpoint.id}/edit"' in page
    assert receiver.url in page
    assert "signing secret rotated" in page
    assert secret not in page and "whsec_" not in page
