"""The owner's clinic settings and the versioned disclaimer."""

import re

import pytest

from booking.extensions import db
from booking.models import Booking, ClinicSettings, Disclaimer
from tests.audit import changes

NEW_TEXT = (
    "Acupuncture sits alongside your doctor's care and never takes its place. Please keep "
    "seeing your GP or doctor about your pain."
)


def settings_form(**overrides):
    data = {
        "name": "Harbourside Acupuncture",
        "address": "24 Harbour Street, Suite 3, Portland, ME 04101",
        "phone": "(207) 555-0142",
        "email": "hello@harbourside-acupuncture.example",
        "timezone": "America/New_York",
        "currency": "USD",
        "min_notice_minutes": "120",
        "horizon_days": "60",
        "slot_step_minutes": "15",
        "cancellation_notice_hours": "24",
        "price_min": "50",
        "price_max": "150",
        "bookings_per_address_hour": "10",
        "future_bookings_per_patient": "3",
        "course_bookings_per_patient": "12",
        "waitlist_hold_minutes": "120",
        "waitlist_weeks": "8",
        "good_faith_estimates": "y",
        "emails_per_recipient_day": "6",
        "disclaimer": None,
    }
    data.update(overrides)
    return data


def current_text(app):
    with app.app_context():
        return (
            db.session.execute(db.select(Disclaimer.text).order_by(Disclaimer.version.desc()))
            .scalars()
            .first()
        )


@pytest.mark.parametrize("url", ["/admin/", "/admin/settings"])
def test_owner_area_is_for_owners_only(client, auth, url):
    assert client.get(url).status_code == 302
    auth.login("reception")
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login("owner")
    assert client.get(url).status_code == 200


def test_owner_changes_booking_rules_and_they_apply_at_once(app, client, auth):
    auth.login("owner")
    form = settings_form(disclaimer=current_text(app), horizon_days="14", min_notice_minutes="0")
    response = client.post("/admin/settings", data=form)
    assert response.status_code == 302
    with app.app_context():
        settings = db.session.execute(db.select(ClinicSettings)).scalar_one()
        assert settings.horizon_days == 14
        assert settings.min_notice_minutes == 0
        entry = db.session.execute(changes()).scalar_one()
        assert entry.action == "settings.update"
        assert entry.before == {"min_notice_minutes": 120, "horizon_days": 60}
        assert entry.after == {"min_notice_minutes": 0, "horizon_days": 14}
    page = client.get("/services/neck-initial/times?from=2030-01-01")
    assert page.status_code == 200


def test_editing_the_disclaimer_makes_a_new_version_that_bookings_record(
    app, client, auth, make_booking
):
    first = make_booking()
    auth.login("owner")
    client.post("/admin/settings", data=settings_form(disclaimer=NEW_TEXT))
    with app.app_context():
        versions = dict(db.session.execute(db.select(Disclaimer.version, Disclaimer.text)).all())
    assert versions[2] == NEW_TEXT
    assert "complementary" in versions[1]
    estimate = client.get("/api/v1/estimate?service=neck-initial").get_json()
    assert estimate["disclaimer"] == NEW_TEXT
    assert NEW_TEXT.replace("'", "&#39;") in client.get("/services/neck-initial").get_data(
        as_text=True
    )
    second = make_booking(patient={"name": "Bo", "email": "bo@x.org", "phone": "2075550100"})
    with app.app_context():
        recorded = dict(
            db.session.execute(db.select(Booking.reference, Booking.disclaimer_version)).all()
        )
    assert recorded == {first["reference"]: 1, second["reference"]: 2}


def test_saving_unchanged_text_makes_no_new_version(app, client, auth):
    auth.login("owner")
    client.post("/admin/settings", data=settings_form(disclaimer=current_text(app)))
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Disclaimer.version))).scalar() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"price_min": "150", "price_max": "50"}, "highest price must be above the lowest"),
        ({"price_min": "fifty"}, "Give an amount such as 50"),
        ({"timezone": "Mars/Olympus"}, "Not a valid choice"),
        ({"horizon_days": "0"}, "between 1 and 365"),
        ({"slot_step_minutes": "7"}, "Not a valid choice"),
        ({"disclaimer": "short"}, "40 to 2,000 characters"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_bad_settings_are_explained_and_nothing_changes(app, client, auth, overrides, message):
    auth.login("owner")
    form = settings_form(disclaimer=current_text(app))
    form.update(overrides)
    response = client.post("/admin/settings", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        settings = db.session.execute(db.select(ClinicSettings)).scalar_one()
        assert (settings.price_min_cents, settings.price_max_cents) == (5000, 15000)
        assert settings.horizon_days == 60
        assert db.session.execute(changes()).first() is None


def test_narrowing_the_bounds_warns_about_services_now_outside(app, client, auth, clinic):
    auth.login("owner")
    response = client.post(
        "/admin/settings",
        data=settings_form(disclaimer=current_text(app), price_min="80", price_max="150"),
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    follow_up = clinic.service("neck-follow-up").name
    assert f"{follow_up} costs $75.00, outside the new bounds" in page


def test_the_owner_requires_two_step_sign_in_once_they_use_it_themselves(app, client, auth):
    from tests.views.test_two_factor import enrol

    auth.login("owner")
    form = settings_form(disclaimer=current_text(app), require_two_factor="y")
    refused = client.post("/admin/settings", data=form)
    assert refused.status_code == 422
    assert "Set up two-step sign-in on your own account page first" in refused.get_data(
        as_text=True
    )

    enrol(client)
    response = client.post("/admin/settings", data=form)

    assert response.status_code == 302
    with app.app_context():
        assert db.session.execute(db.select(ClinicSettings)).scalar_one().require_two_factor
        entry = db.session.execute(changes().filter_by(action="settings.update")).scalar_one()
        assert (entry.before, entry.after) == (
            {"require_two_factor": False},
            {"require_two_factor": True},
        )
    page = client.get("/admin/settings").get_data(as_text=True)
    assert re.search(r'<input[^>]* checked[^>]* id="require_two_factor"', page)
