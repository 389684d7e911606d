"""Owners add, edit, retire and restore practitioners; retiring never drops a booking."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import selectinload

from booking.extensions import db
from booking.models import AuditEntry, Booking, Practitioner, Service
from booking.models.base import utcnow
from tests.audit import changes

NY = ZoneInfo("America/New_York")
ALL_FOUR = ["neck-initial", "neck-follow-up", "back-initial", "back-follow-up"]


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def ahead(weekday: int, min_days: int = 21) -> date:
    """The first clinic-local date on `weekday` at least `min_days` from today."""
    day = utcnow().astimezone(NY).date() + timedelta(days=min_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def service_ids(app, slugs: list[str]) -> list[str]:
    with app.app_context():
        rows = db.session.execute(db.select(Service.slug, Service.id)).all()
        by_slug = dict(rows)
        return [str(by_slug[slug]) for slug in slugs]


def details(app, slugs: list[str] | None = None, **overrides) -> dict:
    return {
        "name": "Hana Sato",
        "title": "Licensed acupuncturist",
        "bio": "Treats office workers' neck pain.",
        "services": service_ids(
            app, ["neck-initial", "neck-follow-up"] if slugs is None else slugs
        ),
    } | overrides


def stored(app, practitioner_id: int) -> Practitioner:
    """The practitioner as stored now, with their services, usable outside the app."""
    with app.app_context():
        found = db.session.execute(
            db.select(Practitioner)
            .where(Practitioner.id == practitioner_id)
            .options(selectinload(Practitioner.services))
        ).scalar_one()
        db.session.expunge_all()
        return found


def offered_practitioners(client, slug: str = "neck-initial", days: int = 14) -> set[int]:
    first = utcnow().astimezone(NY).date() + timedelta(days=1)
    response = client.get(
        f"/api/v1/availability?service={slug}&from={first}&to={first + timedelta(days=days)}"
    )
    assert response.status_code == 200
    return {slot["practitioner"]["id"] for slot in response.get_json()["slots"]}


def audit_entries(app, prefix: str = "practitioner.") -> list[AuditEntry]:
    with app.app_context():
        entries = list(
            db.session.execute(
                changes().where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id)
            ).scalars()
        )
        db.session.expunge_all()
        return entries


def booking_id(app, reference: str) -> int:
    with app.app_context():
        return db.session.execute(db.select(Booking.id).filter_by(reference=reference)).scalar_one()


# Who may use the pages; {specialist} is the specialist's id.

EVERY_URL = [
    ("get", "/admin/practitioners"),
    ("post", "/admin/practitioners"),
    ("get", "/admin/practitioners/{specialist}"),
    ("post", "/admin/practitioners/{specialist}"),
    ("post", "/admin/practitioners/{specialist}/retire"),
    ("post", "/admin/practitioners/{specialist}/restore"),
]


def assert_nothing_changed(app, clinic) -> None:
    specialist = stored(app, clinic.specialist.id)
    assert (specialist.name, specialist.active) == (clinic.specialist.name, True)
    with app.app_context():
        assert (
            db.session.execute(db.select(Practitioner).filter_by(name="Hana Sato")).first() is None
        )
    assert audit_entries(app) == []


@pytest.mark.parametrize(("method", "url"), EVERY_URL)
def test_anonymous_visitors_are_sent_to_sign_in(app, client, clinic, method, url):
    url = url.format(specialist=clinic.specialist.id)
    response = getattr(client, method)(url, data=details(app) if method == "post" else None)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert_nothing_changed(app, clinic)


@pytest.mark.parametrize(("method", "url"), EVERY_URL)
def test_reception_is_refused(app, client, auth, clinic, method, url):
    auth.login("reception")
    url = url.format(specialist=clinic.specialist.id)
    response = getattr(client, method)(url, data=details(app) if method == "post" else None)
    assert response.status_code == 403
    assert_nothing_changed(app, clinic)


@pytest.mark.parametrize(("method", "url"), EVERY_URL)
def test_owner_can_use_every_page(app, client, auth, clinic, method, url):
    auth.login("owner")
    # A new practitioner, or the specialist with one consultation fewer.
    editing = url.endswith("{specialist}")
    data = details(app, name=clinic.specialist.name if editing else "Hana Sato")
    url = url.format(specialist=clinic.specialist.id)
    response = getattr(client, method)(url, data=data if method == "post" else None)
    assert response.status_code == (200 if method == "get" else 302)


def test_an_unknown_practitioner_is_404(client, auth):
    auth.login("owner")
    assert client.get("/admin/practitioners/99").status_code == 404
    assert client.post("/admin/practitioners/99/retire").status_code == 404


# The list


def test_list_shows_active_and_retired_with_links_to_their_schedule(app, client, auth, clinic):
    auth.login("owner")
    response = client.post(f"/admin/practitioners/{clinic.specialist.id}/retire")
    retiring = clinic.specialist.name
    assert f"{retiring} is retired" in text(client.get(response.headers["Location"]))
    page = text(client.get("/admin/practitioners"))
    active, retired = page.split("<h2>Retired</h2>")
    assert clinic.practitioner.name in active and clinic.colleague.name in active
    assert retiring not in active
    assert "Mon–Fri: 9:00 am – 5:00 pm (break 12:30 pm – 1:30 pm)" in active
    for practitioner_id in (clinic.practitioner.id, clinic.colleague.id):
        assert f'href="/staff/practitioners/{practitioner_id}/hours"' in active
        assert f'href="/staff/practitioners/{practitioner_id}"' in active
    assert retiring in retired
    assert f'action="/admin/practitioners/{clinic.specialist.id}/restore"' in retired


# Adding and editing


def test_a_new_practitioner_starts_without_hours_and_links_to_set_them(app, client, auth, clinic):
    auth.login("owner")
    response = client.post("/admin/practitioners", data=details(app))
    with app.app_context():
        hana = db.session.execute(db.select(Practitioner).filter_by(name="Hana Sato")).scalar_one()
        assert (hana.title, hana.active, hana.hours) == ("Licensed acupuncturist", True, [])
        assert [s.slug for s in hana.services] == ["neck-initial", "neck-follow-up"]
        hana_id = hana.id
    assert response.headers["Location"] == f"/admin/practitioners/{hana_id}"
    page = text(client.get(response.headers["Location"]))
    assert "Patients cannot book them until their weekly hours are set." in page
    assert f'href="/staff/practitioners/{hana_id}/hours">Set weekly hours</a>' in page
    assert hana_id not in offered_practitioners(client)
    # Reception sees Hana at once, ready for hours.
    assert f'href="/staff/practitioners/{hana_id}/hours"' in text(
        client.get("/staff/practitioners")
    )
    [entry] = audit_entries(app)
    assert (entry.action, entry.subject_id) == ("practitioner.create", hana_id)
    assert entry.after["services"] == [
        clinic.service("neck-initial").name,
        clinic.service("neck-follow-up").name,
    ]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": " "}, "name", "Enter the practitioner's name."),
        # {taken} is a name already in use, typed in lower case.
        ({"name": "{taken}"}, "name", "There is already a practitioner called {taken}."),
        ({"name": "x" * 121}, "name", "Keep the name under 120 characters."),
        ({"bio": "x" * 2001}, "bio", "Keep the bio under 2,000 characters."),
        ({"services": ["999"]}, "services", "is not a valid choice"),
    ],
)
def test_mistakes_are_explained_and_nothing_is_added(
    app, client, auth, clinic, fields, field, message
):
    auth.login("owner")
    taken = clinic.practitioner.name.lower()
    message = message.format(taken=taken)
    fields = {k: v.format(taken=taken) if isinstance(v, str) else v for k, v in fields.items()}
    response = client.post("/admin/practitioners", data=details(app, **fields))
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', text(response))
    with app.app_context():
        assert len(db.session.execute(db.select(Practitioner)).all()) == len(clinic.practitioners)
    assert audit_entries(app) == []


def test_edit_form_shows_the_current_details(app, client, auth, clinic):
    auth.login("owner")
    page = text(client.get(f"/admin/practitioners/{clinic.specialist.id}"))
    assert f'value="{clinic.specialist.name}"' in page
    assert "Treats neck pain, whiplash and tension headaches" in page
    ticked = [
        re.search(r'value="(\d+)"', tag).group(1)
        for tag in re.findall(r'<input[^>]*name="services"[^>]*>', page)
        if "checked" in tag
    ]
    assert sorted(ticked) == sorted(service_ids(app, sorted(clinic.specialist.services)))


def test_owner_changes_details_and_consultations_and_patients_see_it_at_once(
    app, client, auth, clinic
):
    specialist = clinic.specialist
    renamed = f"{specialist.name}-Diaz"
    assert specialist.id in offered_practitioners(client, "back-follow-up")
    auth.login("owner")
    response = client.post(
        f"/admin/practitioners/{specialist.id}",
        data=details(app, ["neck-initial", "neck-follow-up"], name=renamed, bio=""),
    )
    assert response.status_code == 302
    assert f"Saved {renamed}'s details." in text(client.get(response.headers["Location"]))
    now = stored(app, specialist.id)
    assert (now.name, now.bio) == (renamed, "")
    assert specialist.id not in offered_practitioners(client, "back-follow-up")
    assert specialist.id in offered_practitioners(client, "neck-initial")
    [entry] = audit_entries(app)
    assert entry.action == "practitioner.update"
    assert (entry.before["name"], entry.after["name"]) == (specialist.name, renamed)
    assert len(entry.before["services"]) == len(specialist.services)
    assert len(entry.after["services"]) == 2


def test_saving_without_changes_says_so(app, client, auth, clinic):
    auth.login("owner")
    specialist = clinic.specialist
    unchanged = details(app, sorted(specialist.services), name=specialist.name)
    unchanged["bio"] = stored(app, specialist.id).bio
    response = client.post(f"/admin/practitioners/{specialist.id}", data=unchanged)
    assert "No changes to save." in text(client.get(response.headers["Location"]))
    assert audit_entries(app) == []


def test_an_offered_consultation_keeps_someone_to_give_it(app, client, auth, clinic):
    auth.login("owner")
    # Two give the first back consultation; the colleague stops, so one is left.
    last, colleague = clinic.practitioner, clinic.colleague
    without_it = ["neck-initial", "neck-follow-up", "back-follow-up"]
    stops = details(app, without_it, name=colleague.name)
    assert client.post(f"/admin/practitioners/{colleague.id}", data=stops).status_code == 302
    response = client.post(
        f"/admin/practitioners/{last.id}", data=details(app, without_it, name=last.name)
    )
    assert response.status_code == 422
    refusal = f"{last.name} is the only practitioner giving {clinic.service('back-initial').name}"
    assert re.search(rf'id="services-error">{re.escape(refusal)}', text(response))
    assert len(stored(app, last.id).services) == len(clinic.services)
    retire = client.post(f"/admin/practitioners/{last.id}/retire")
    assert retire.status_code == 409
    assert refusal in text(retire)
    assert stored(app, last.id).active


# Retiring


def test_retiring_is_refused_while_bookings_lie_ahead_then_allowed_once_they_are_cancelled(
    app, client, auth, clinic, make_booking
):
    leaving = clinic.practitioner
    first = make_booking(practitioner=leaving.id, days_ahead=2)["reference"]
    second = make_booking(practitioner=leaving.id, days_ahead=6)["reference"]
    first_id, second_id = booking_id(app, first), booking_id(app, second)
    auth.login("owner")

    page = text(client.get(f"/admin/practitioners/{leaving.id}"))
    assert f"{leaving.name} has 2 upcoming bookings." in page
    assert f"Retire {leaving.name}</button>" not in page
    refused = client.post(f"/admin/practitioners/{leaving.id}/retire")
    assert refused.status_code == 409
    refusal = text(refused)
    assert f"{leaving.name} still has 2 upcoming bookings. Move or cancel each one first" in refusal
    for booking in (first_id, second_id):
        assert f'href="/staff/bookings/{booking}"' in refusal
        assert f'href="/staff/bookings/{booking}/move"' in refusal
    assert refusal.index(f"/staff/bookings/{first_id}") < refusal.index(
        f"/staff/bookings/{second_id}"
    )
    assert stored(app, leaving.id).active
    assert leaving.id in offered_practitioners(client)
    assert audit_entries(app) == []

    for booking in (first_id, second_id):
        client.post(
            f"/staff/bookings/{booking}/cancel", data={"reason": f"{leaving.name} is leaving"}
        )
    assert f"Retire {leaving.name}</button>" in text(
        client.get(f"/admin/practitioners/{leaving.id}")
    )
    response = client.post(f"/admin/practitioners/{leaving.id}/retire")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/practitioners"
    assert f"{leaving.name} is retired" in text(client.get("/admin/practitioners"))

    assert not stored(app, leaving.id).active
    assert leaving.id not in offered_practitioners(client)
    assert offered_practitioners(client) == {clinic.colleague.id, clinic.specialist.id}
    # Out of the calendars...
    monday = ahead(0)
    assert f"Book {leaving.name} at" not in text(client.get(f"/staff/?date={monday}"))
    assert leaving.name not in text(client.get("/staff/practitioners"))
    # ...but nothing was dropped: the bookings are still there, cancelled by reception.
    with app.app_context():
        statuses = db.session.execute(
            db.select(Booking.status).where(Booking.id.in_([first_id, second_id]))
        ).scalars()
        assert sorted(statuses) == ["cancelled", "cancelled"]
    assert client.get(f"/staff/bookings/{first_id}").status_code == 200
    [entry] = audit_entries(app)
    assert (entry.action, entry.subject_id) == ("practitioner.retire", leaving.id)
    assert (entry.before["active"], entry.after["active"]) == (True, False)


def test_a_retired_practitioner_cannot_be_booked_by_patients(
    app, client, auth, clinic, free_slot, booking_payload
):
    slot = free_slot(days_ahead=3, practitioner_id=clinic.specialist.id)
    auth.login("owner")
    assert client.post(f"/admin/practitioners/{clinic.specialist.id}/retire").status_code == 302
    response = client.post("/api/v1/bookings", json=booking_payload(slot))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "practitioner": "No such practitioner gives this service."
    }
    with app.app_context():
        assert db.session.execute(db.select(Booking)).first() is None


def test_a_restored_practitioner_is_offered_again_in_their_old_hours(app, client, auth, clinic):
    auth.login("owner")
    client.post(f"/admin/practitioners/{clinic.specialist.id}/retire")
    assert clinic.specialist.id not in offered_practitioners(client)
    response = client.post(f"/admin/practitioners/{clinic.specialist.id}/restore")
    assert response.status_code == 302
    assert f"{clinic.specialist.name} is back" in text(client.get(response.headers["Location"]))
    assert clinic.specialist.id in offered_practitioners(client)
    assert [e.action for e in audit_entries(app)] == [
        "practitioner.retire",
        "practitioner.restore",
    ]
    again = client.post(f"/admin/practitioners/{clinic.specialist.id}/restore")
    assert f"{clinic.specialist.name} was already active." in text(
        client.get(again.headers["Location"])
    )
    assert len(audit_entries(app)) == 2


def test_the_audit_log_links_practitioner_changes_to_the_practitioner(app, client, auth, clinic):
    auth.login("owner")
    client.post(f"/admin/practitioners/{clinic.specialist.id}/retire")
    log = text(client.get("/staff/audit"))
    assert f"{clinic.specialist.name} retired" in log
    assert f'href="/staff/practitioners/{clinic.specialist.id}"' in log
