"""Owners set prices, course plans and packages, add and retire services, and read price history."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from booking.extensions import db
from booking.models import Booking, PriceChange, Service
from tests.audit import changes

BOUNDS = "Prices must be between $50.00 and $150.00 (set in Clinic settings)."


def service_id(app, slug: str = "neck-initial") -> int:
    with app.app_context():
        return db.session.execute(db.select(Service.id).filter_by(slug=slug)).scalar_one()


def form_for(client, url: str) -> dict[str, list[str]]:
    """The edit form as the browser would send it back unchanged."""
    page = client.get(url).get_data(as_text=True)
    data: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        values = data.setdefault(name.group(1), [])
        if kind and kind.group(1) in ("radio", "checkbox") and " checked" not in tag:
            continue
        values.append(html.unescape(value.group(1)) if value else "")
    description = re.search(r'<textarea[^>]*name="description"[^>]*>(.*?)</textarea>', page, re.S)
    if description:
        data["description"] = [html.unescape(description.group(1)).strip()]
    return data


def edit(client, app, slug: str = "neck-initial", **changes):
    url = f"/admin/services/{service_id(app, slug)}"
    data = form_for(client, url) | changes
    return client.post(url, data=data)


@pytest.fixture
def new_service(clinic) -> dict:
    """The form for a new service, given by the practitioner who gives everything."""
    return {
        "name": "Back pain: short follow-up",
        "slug": "back-short",
        "condition": "back",
        "kind": "follow-up",
        "description": "A 30-minute session for patients well into a course.",
        "duration_minutes": "30",
        "buffer_minutes": "10",
        "price_cents": "60",
        "practitioner_ids": [str(clinic.practitioner.id)],
    }


def api_service(client, slug: str) -> dict | None:
    return next((s for s in client.get("/api/v1/services").get_json() if s["slug"] == slug), None)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# Who may come in

# {service} is neck-initial's id.
GET_URLS = [
    "/admin/services",
    "/admin/services/new",
    "/admin/services/{service}",
    "/admin/services/{service}/prices",
]
POST_URLS = [
    "/admin/services/new",
    "/admin/services/{service}",
    "/admin/services/{service}/retire",
    "/admin/services/{service}/restore",
]


EVERY_URL = [("get", url) for url in GET_URLS] + [("post", url) for url in POST_URLS]


@pytest.mark.parametrize(("method", "url"), EVERY_URL)
def test_anonymous_visitors_are_sent_to_sign_in(client, clinic, method, url):
    response = getattr(client, method)(url.format(service=clinic.service().id))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(("method", "url"), EVERY_URL)
def test_reception_is_refused(app, client, auth, clinic, method, url):
    auth.login("reception")
    response = getattr(client, method)(url.format(service=clinic.service().id))
    assert response.status_code == 403
    with app.app_context():
        assert db.session.execute(changes()).first() is None


@pytest.mark.parametrize("url", GET_URLS)
def test_owner_opens_every_page(client, auth, clinic, url):
    auth.login("owner")
    assert client.get(url.format(service=clinic.service().id)).status_code == 200


def test_an_unknown_service_is_404(client, auth):
    auth.login("owner")
    assert client.get("/admin/services/999").status_code == 404
    assert client.get("/admin/services/999/prices").status_code == 404
    assert client.post("/admin/services/999/retire").status_code == 404


# The list


def test_owner_sees_each_service_with_price_length_and_who_gives_it(app, client, auth, clinic):
    auth.login("owner")
    item_id = service_id(app, "neck-initial")

    page = text(client.get("/admin/services"))

    neck, back = clinic.service("neck-initial"), clinic.service("back-initial")
    row = re.search(rf"<tr>\s*<th scope=\"row\">\s*{re.escape(neck.name)}.*?</tr>", page, re.S)
    assert row, page
    row = re.sub(r"\s+", " ", row.group(0))
    assert "$95.00" in row
    assert "60 min + 15 min buffer" in row
    for practitioner in clinic.practitioners:
        assert practitioner.name in row
    assert f'href="/admin/services/{item_id}"' in row
    assert f'href="/admin/services/{item_id}/prices"' in row
    back_initial = re.search(rf"{re.escape(back.name)}.*?</tr>", page, re.S).group(0)
    assert clinic.specialist.name not in back_initial


def test_retired_services_are_listed_after_those_offered(app, client, auth, clinic):
    auth.login("owner")
    client.post(f"/admin/services/{service_id(app, 'neck-initial')}/retire")

    page = text(client.get("/admin/services"))

    names = re.findall(r'<th scope="row">\s*([^<\n]+)', page)
    assert names[-1].strip() == clinic.service("neck-initial").name
    assert "Retired" in page


# Prices


def test_a_price_outside_the_bounds_is_refused_and_nothing_changes(app, client, auth):
    auth.login("owner")

    response = edit(client, app, price_cents="160", description="Changed too")

    assert response.status_code == 422
    assert BOUNDS in text(response)
    assert 'value="160"' in text(response)  # what was typed stays for correcting
    assert api_service(client, "neck-initial")["price"]["amount"] == "95.00"
    with app.app_context():
        item = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        assert item.description != "Changed too"
        assert db.session.execute(db.select(PriceChange)).first() is None
        assert db.session.execute(changes()).first() is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the price per session, e.g. 95 or 95.50."),
        ("ninety", "Enter the price per session as an amount, e.g. 95 or 95.50."),
        ("-90", "Enter the price per session as an amount, e.g. 95 or 95.50."),
        ("49.99", BOUNDS),
        # Never quietly rounded: 95.555 is not saved as $95.56 without a word.
        ("95.555", "Prices are to the cent: did you mean 95.55 or 95.56?"),
    ],
)
def test_a_price_that_is_not_money_is_explained(app, client, auth, typed, message):
    auth.login("owner")
    response = edit(client, app, price_cents=typed)
    assert response.status_code == 422
    assert message in text(response)


def test_a_new_price_is_recorded_with_who_when_old_and_new(app, client, auth):
    email = auth.login("owner")

    response = edit(client, app, price_cents="90.50")

    assert response.status_code == 302
    assert "$90.50 a session from now on" in text(client.get(response.headers["Location"]))
    history = text(client.get(f"/admin/services/{service_id(app)}/prices"))
    assert "$95.00</del> → <ins>$90.50" in history
    assert "Owner" in history  # the owner's name
    assert "New York time" in history
    with app.app_context():
        [change] = db.session.execute(db.select(PriceChange)).scalars()
        assert (change.user.email, change.old_cents, change.new_cents) == (email, 9500, 9050)
        [entry] = db.session.execute(changes().filter_by(action="service.price")).scalars()
        assert entry.user.email == email
        assert (entry.before, entry.after) == ({"price": "95.00"}, {"price": "90.50"})
        # Nothing else changed, so no "service.update" entry.
        assert db.session.execute(changes().filter_by(action="service.update")).first() is None


def test_a_new_price_applies_at_once_but_a_booking_already_made_keeps_its_price(
    app, client, auth, make_booking
):
    made = make_booking()
    assert made["price"]["amount"] == "95.00"
    auth.login("owner")

    assert edit(client, app, price_cents="110").status_code == 302

    estimate = client.get("/api/v1/estimate?service=neck-initial").get_json()
    assert estimate["price_per_session"]["amount"] == "110.00"
    assert estimate["totals"]["typical"]["total"]["amount"] == "635.00"  # 110 + 7 x 75
    assert api_service(client, "neck-initial")["price"]["amount"] == "110.00"
    assert "<strong>$110.00</strong> a session" in text(client.get("/services/neck-initial"))
    token = made["manage_token"]
    assert client.get(f"/api/v1/bookings/{token}").get_json()["price"]["amount"] == "95.00"
    manage = text(client.get(f"/manage/{token}"))
    assert "$95.00 a session" in manage and "$110.00" not in manage
    with app.app_context():
        booking = db.session.execute(db.select(Booking)).scalar_one()
        assert booking.price_cents == 9500


def test_no_price_history_yet_says_so(app, client, auth):
    auth.login("owner")
    page = text(client.get(f"/admin/services/{service_id(app)}/prices"))
    assert "The price has not changed since the service was added." in page
    assert "Now <strong>$95.00</strong> a session" in page


# Details and who gives it


def test_owner_changes_the_details_and_who_gives_it(app, client, auth, free_slot, clinic):
    auth.login("owner")

    response = edit(
        client,
        app,
        "back-follow-up",
        name="Back pain: review session",
        duration_minutes="50",
        buffer_minutes="10",
        practitioner_ids=[str(clinic.practitioner.id)],
    )

    assert response.status_code == 302
    listed = api_service(client, "back-follow-up")
    assert listed["name"] == "Back pain: review session" and listed["duration_minutes"] == 50
    slot = free_slot("back-follow-up")
    assert slot.end - slot.start == timedelta(minutes=50)
    found = client.get(
        f"/api/v1/availability?service=back-follow-up&from={slot.start.date()}"
        f"&to={slot.start.date()}&practitioner={clinic.specialist.id}"
    )
    assert found.status_code == 422  # the specialist no longer gives it
    with app.app_context():
        [entry] = db.session.execute(changes().filter_by(action="service.update")).scalars()
        assert entry.after["practitioners"] == clinic.practitioner.name
        assert entry.after["duration_minutes"] == 50


def test_an_offered_service_needs_someone_to_give_it(app, client, auth):
    auth.login("owner")
    response = edit(client, app, practitioner_ids=[])
    assert response.status_code == 422
    assert "Tick at least one practitioner" in text(response)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": " "}, "name", "Enter the name patients see."),
        ({"duration_minutes": "0"}, "duration_minutes", "between 1 and 480 minutes"),
        ({"duration_minutes": "1.5"}, "duration_minutes", "whole minutes"),
        ({"buffer_minutes": "121"}, "buffer_minutes", "between 0 and 120 minutes"),
        ({"condition": "knee"}, "condition", "Not a valid choice"),
        ({"practitioner_ids": ["99"]}, "practitioner_ids", "not a valid choice"),
    ],
)
def test_other_mistakes_are_explained_without_saving(app, client, auth, fields, field, message):
    auth.login("owner")
    response = edit(client, app, **fields)
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', text(response))
    with app.app_context():
        assert db.session.execute(changes()).first() is None


def test_saving_without_changes_says_so(app, client, auth):
    auth.login("owner")
    response = edit(client, app)
    assert response.status_code == 302
    assert "No changes to save." in text(client.get(response.headers["Location"]))


# New services


def test_owner_adds_a_service_patients_can_book_at_once(app, client, auth, new_service):
    auth.login("owner")

    response = client.post("/admin/services/new", data=new_service)

    assert response.status_code == 302, text(response)
    listed = api_service(client, "back-short")
    assert listed["price"]["amount"] == "60.00"
    # Its condition's plan, which already had a follow-up: the estimate is unchanged.
    assert listed["course"] == {"min_sessions": 8, "typical_sessions": 10, "max_sessions": 12}
    estimate = client.get("/api/v1/estimate?service=back-short").get_json()
    assert estimate["totals"]["typical"]["total"]["amount"] == "770.00"
    assert "Back pain: short follow-up" in text(client.get("/"))
    assert client.get("/services/back-short").status_code == 200
    with app.app_context():
        [entry] = db.session.execute(changes().filter_by(action="service.create")).scalars()
        assert entry.after["price"] == "60.00"


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Back Short", "Use lowercase letters, digits and single hyphens only"),
        ("back_short", "Use lowercase letters, digits and single hyphens only"),
        ("back-", "Use lowercase letters, digits and single hyphens only"),
        ("", "Enter the web address name"),
        ("neck-initial", "Another service already uses neck-initial; choose another."),
    ],
)
def test_a_bad_or_taken_slug_is_explained(app, client, auth, clinic, new_service, slug, message):
    auth.login("owner")

    response = client.post("/admin/services/new", data=new_service | {"slug": slug})

    assert response.status_code == 422
    assert re.search(rf'id="slug-error">[^<]*{re.escape(message)}', text(response))
    assert 'value="Back pain: short follow-up"' in text(response)  # the rest is kept
    with app.app_context():
        assert len(db.session.execute(db.select(Service)).all()) == len(clinic.services)


def test_a_taken_slug_is_explained_even_on_an_empty_form(client, auth):
    auth.login("owner")
    response = client.post("/admin/services/new", data={"slug": "neck-initial"})
    page = text(response)
    assert response.status_code == 422
    assert "Another service already uses neck-initial" in page
    assert "Enter the name patients see." in page


def test_a_new_service_reports_every_mistake_at_once(app, client, auth, new_service):
    auth.login("owner")

    response = client.post(
        "/admin/services/new",
        data=new_service
        | {
            "slug": "Bad",
            "price_cents": "20",
            "duration_minutes": "0",
            "buffer_minutes": "121",
        },
    )

    page = text(response)
    assert response.status_code == 422
    for field in ("slug", "price_cents", "duration_minutes", "buffer_minutes"):
        assert f'href="#{field}"' in page  # listed in the summary at the top
    assert BOUNDS in page


# Retiring


def test_retiring_hides_a_service_from_patients_but_keeps_its_bookings(
    app, client, auth, clinic, make_booking
):
    made = make_booking()
    auth.login("owner")
    item = service_id(app)

    response = client.post(f"/admin/services/{item}/retire")

    assert response.status_code == 302
    assert "The booking already made stays booked." in text(
        client.get(response.headers["Location"])
    )
    assert api_service(client, "neck-initial") is None
    assert clinic.service("neck-initial").name not in text(client.get("/"))
    assert client.get("/services/neck-initial").status_code == 404
    estimate = client.get("/api/v1/estimate?service=neck-initial")
    assert estimate.status_code == 422
    kept = client.get(f"/api/v1/bookings/{made['manage_token']}").get_json()
    assert kept["status"] == "booked" and kept["price"]["amount"] == "95.00"
    assert client.get(f"/manage/{made['manage_token']}").status_code == 200
    with app.app_context():
        [entry] = db.session.execute(changes().filter_by(action="service.retire")).scalars()
        assert entry.subject_id == item


def test_a_retired_service_can_be_offered_again(app, client, auth, clinic):
    auth.login("owner")
    back = clinic.service("back-follow-up")
    item = back.id
    client.post(f"/admin/services/{item}/retire")
    assert f"Offer {back.name} again" in text(client.get(f"/admin/services/{item}"))

    response = client.post(f"/admin/services/{item}/restore")

    assert response.status_code == 302
    assert api_service(client, "back-follow-up") is not None
    assert back.name in text(client.get("/"))
