"""Good Faith Estimates: asked on the booking form, issued for self-pay courses, frozen,
issued again when the plan changes, listed for staff and owners."""

from __future__ import annotations

from datetime import date

import pytest

from booking.domain import screening
from booking.extensions import db
from booking.models import Booking, ClinicSettings, Course, GoodFaithEstimate, Patient, Service
from tests.views.test_public import book_url, details_form

NECK_TYPICAL = "$620.00"  # 1 x $95 + 7 x $75


def estimates(app) -> list[GoodFaithEstimate]:
    with app.app_context():
        return list(
            db.session.execute(
                db.select(GoodFaithEstimate).order_by(GoodFaithEstimate.version)
            ).scalars()
        )


def only_booking(app) -> Booking:
    with app.app_context():
        return db.session.execute(db.select(Booking)).scalar_one()


def book_self_pay(client, free_slot, **overrides):
    slot = free_slot()
    form = details_form(**{"insurance": "no", "date_of_birth": "1980-04-23", **overrides})
    response = client.post(book_url(slot), data=form)
    return response


def test_the_booking_form_asks_about_insurance_in_a_us_clinic(client, free_slot):
    page = client.get(book_url(free_slot())).get_data(as_text=True)
    assert "Will you use health insurance for this course?" in page
    assert "Date of birth" in page


def test_a_self_pay_booking_issues_the_estimate_of_the_whole_course(app, client, free_slot):
    response = book_self_pay(client, free_slot)
    assert response.status_code == 302
    manage = response.headers["Location"]
    (issued,) = estimates(app)
    assert issued.version == 1 and issued.reason == "booked"
    assert issued.total_cents == 62_000
    page = client.get(manage).get_data(as_text=True)
    assert "Your Good Faith Estimate" in page and NECK_TYPICAL in page
    estimate = client.get(manage + "/estimate").get_data(as_text=True)
    for expected in (
        "Ann Lee",
        "1980-04-23",
        "NPI: 1234567893",
        "TIN: 12-3456789",
        "97810",
        "M54.2",
        NECK_TYPICAL,
        "not a contract",
        "$400 or more",
        "www.cms.gov/nosurprises",
        'media="print"',
    ):
        assert expected in estimate, expected
    with app.app_context():
        booking = db.session.execute(db.select(Booking)).scalar_one()
        assert booking.uses_insurance is False
        assert booking.patient.date_of_birth == date(1980, 4, 23)


def test_self_pay_without_a_date_of_birth_is_asked_for_it_and_nothing_is_stored(
    app, client, free_slot
):
    response = book_self_pay(client, free_slot, date_of_birth="")
    assert response.status_code == 422
    assert "Give the date of birth: the Good Faith Estimate needs it." in response.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Booking.id))).scalar() == 0
    assert estimates(app) == []


def test_an_insured_patient_gets_no_estimate_but_can_ask_for_one(app, client, free_slot):
    response = client.post(book_url(free_slot()), data=details_form(insurance="yes"))
    manage = response.headers["Location"]
    assert estimates(app) == []
    assert "Get a Good Faith Estimate" in client.get(manage).get_data(as_text=True)
    asked = client.get(manage + "/estimate").get_data(as_text=True)
    assert "It needs your date of birth." in asked
    refused = client.post(manage + "/estimate", data={"date_of_birth": "2999-01-01"})
    assert refused.status_code == 422
    assert (
        client.post(manage + "/estimate", data={"date_of_birth": "1975-02-03"}).status_code == 302
    )
    (issued,) = estimates(app)
    assert issued.reason == "patient" and issued.content["patient"]["date_of_birth"] == "1975-02-03"
    assert only_booking(app).uses_insurance is False


def test_an_issued_estimate_is_frozen_and_a_new_plan_issues_the_next_version(
    app, client, free_slot, auth
):
    manage = book_self_pay(client, free_slot).headers["Location"]
    with app.app_context():
        follow_up = db.session.execute(
            db.select(Service).filter_by(slug="neck-follow-up")
        ).scalar_one()
        follow_up.price_cents = 8_000  # prices change; the issued estimate does not
        db.session.commit()
        course_id = db.session.execute(db.select(Course.id)).scalar_one()
    assert NECK_TYPICAL in client.get(manage + "/estimate").get_data(as_text=True)
    auth.login("reception")
    client.post(f"/staff/courses/{course_id}/plan", data={"planned_sessions": "10"})
    first, second = estimates(app)
    assert (first.version, first.total_cents) == (1, 62_000)
    assert (second.version, second.reason) == (2, "plan_changed")
    assert second.total_cents == 9_500 + 9 * 8_000
    page = client.get(manage + "/estimate").get_data(as_text=True)
    assert "Version 2" in page and "$815.00" in page
    with app.app_context():
        patient_id = db.session.execute(db.select(Patient.id)).scalar_one()
    staff_page = client.get(f"/staff/patients/{patient_id}").get_data(as_text=True)
    assert "Version 2" in staff_page and "Version 1" in staff_page
    assert "Issued again: the course plan changed" in staff_page
    old = client.get(f"/staff/estimates/{first.id}").get_data(as_text=True)
    assert NECK_TYPICAL in old and "Version 1" in old


def test_owners_see_self_pay_bookings_without_an_estimate_and_reception_issues_one(
    app, client, free_slot, auth, make_booking, clinic
):
    # Reception took a self-pay booking by phone without the date of birth.
    slot = free_slot()
    auth.login("reception")
    response = client.post(
        f"/staff/bookings/new?practitioner={slot.practitioner_id}&start={slot.start.isoformat()}",
        data={
            "service": "neck-initial",
            "source": "phone",
            "name": "Bo Chen",
            "phone": "2075550101",
            "insurance": "no",
            "disclaimer_read": "y",
            **{key: "no" for key in details_form() if key in ALL_KEYS},
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert estimates(app) == []
    auth.logout()
    auth.login("owner")
    lacking = client.get("/admin/estimates").get_data(as_text=True)
    assert "Bo Chen" in lacking
    with app.app_context():
        course_id = db.session.execute(db.select(Course.id)).scalar_one()
    issued = client.post(
        f"/staff/courses/{course_id}/estimate", data={"date_of_birth": "1990-07-01"}
    )
    assert issued.status_code == 302
    (estimate,) = estimates(app)
    assert estimate.reason == "reception"
    assert "Bo Chen" not in client.get("/admin/estimates").get_data(as_text=True)


ALL_KEYS = screening.KEYS


def erase_the_patient(app, make_user) -> None:
    """The patient's booking cancelled, then their details erased at their request."""
    from booking.models import User
    from booking.services.privacy import erase_patient

    with app.app_context():
        booking = db.session.execute(db.select(Booking)).scalar_one()
        booking.status = "cancelled"
        db.session.commit()
        owner = db.session.execute(db.select(User).filter_by(email=make_user("owner"))).scalar_one()
        erase_patient(booking.patient, actor=owner)


def test_the_api_takes_insurance_and_a_date_of_birth(app, client, booking_payload):
    body = booking_payload(uses_insurance=False)
    refused = client.post("/api/v1/bookings", json=body)
    assert refused.status_code == 422
    assert "patient.date_of_birth" in refused.get_json()["error"]["fields"]
    body["patient"]["date_of_birth"] = "1980-04-23"
    made = client.post("/api/v1/bookings", json=body)
    assert made.status_code == 201
    assert made.get_json()["good_faith_estimate_url"].endswith("/estimate")
    assert len(estimates(app)) == 1
    assert (
        client.post("/api/v1/bookings", json=booking_payload(uses_insurance="no")).status_code
        == 422
    )


def test_off_outside_the_us_nothing_is_asked(app, client, free_slot):
    with app.app_context():
        settings = db.session.execute(db.select(ClinicSettings)).scalar_one()
        settings.good_faith_estimates = False
        db.session.commit()
    page = client.get(book_url(free_slot())).get_data(as_text=True)
    assert "health insurance" not in page
    manage = client.post(book_url(free_slot()), data=details_form()).headers["Location"]
    assert client.get(manage + "/estimate").status_code == 404
    assert "Good Faith Estimate" not in client.get(manage).get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("npi", "1234567890", "check digit"),
        ("tin", "12-34", "A TIN is 9 digits"),
    ],
)
def test_the_owner_sets_npi_and_tin_checked(client, auth, field, value, message):
    from tests.views.test_admin_settings import settings_form

    auth.login("owner")
    response = client.post("/admin/settings", data=settings_form(**{field: value}))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_erasure_takes_the_date_of_birth_and_the_name_off_the_estimates(
    app, client, free_slot, make_user
):
    book_self_pay(client, free_slot)
    erase_the_patient(app, make_user)
    with app.app_context():
        patient = db.session.execute(db.select(Patient)).scalar_one()
        assert patient.date_of_birth is None
    (estimate,) = estimates(app)
    assert estimate.content["patient"]["date_of_birth"] is None
    assert "Ann Lee" not in str(estimate.content)
    assert estimate.total_cents == 62_000  # the amounts stay on record


def test_the_confirmation_email_links_the_estimate(app, client, free_slot):
    from tests.mail import rendered

    manage = book_self_pay(client, free_slot).headers["Location"]
    with app.app_context():
        message = rendered("confirmation")
    assert "YOUR GOOD FAITH ESTIMATE" in message
    assert f"http://clinic.test{manage}/estimate" in message


def test_merging_two_records_keeps_every_estimate_in_one_course(
    app, client, booking_payload, free_slot, auth
):
    for name, days in (("Ann Lee", 2), ("Ann M. Lee", 9)):
        body = booking_payload(free_slot(days_ahead=days), uses_insurance=False)
        body["patient"] = {**body["patient"], "name": name, "date_of_birth": "1980-04-23"}
        assert client.post("/api/v1/bookings", json=body).status_code == 201
    assert [e.version for e in estimates(app)] == [1, 1]
    with app.app_context():
        first, second = db.session.execute(db.select(Patient.id).order_by(Patient.id)).scalars()
    auth.login("reception")
    response = client.post(f"/staff/patients/{first}/merge", data={"other": second})
    assert response.status_code == 302
    merged = estimates(app)
    assert len({e.course_id for e in merged}) == 1
    # Both records' estimates stay, renumbered; the merged course is estimated again.
    assert [(e.version, e.content["version"]) for e in merged] == [(1, 1), (2, 2), (3, 3)]
    assert merged[-1].reason == "merged"
    assert merged[-1].content["patient"]["name"] == "Ann Lee"
    with app.app_context():
        assert db.session.get(Patient, first).date_of_birth == date(1980, 4, 23)


def test_the_booking_in_the_api_carries_its_estimate(client, booking_payload):
    body = booking_payload(uses_insurance=False)
    body["patient"]["date_of_birth"] = "1980-04-23"
    token = client.post("/api/v1/bookings", json=body).get_json()["manage_token"]
    shown = client.get(f"/api/v1/bookings/{token}").get_json()
    assert shown["uses_insurance"] is False
    assert shown["good_faith_estimate"]["version"] == 1
    assert shown["good_faith_estimate"]["total"] == {"amount": "620.00", "currency": "USD"}


def test_booking_the_rest_of_the_course_issues_the_next_version(app, client, free_slot):
    manage = book_self_pay(client, free_slot).headers["Location"]
    token = manage.rsplit("/", 1)[1]
    assert client.post(f"/api/v1/bookings/{token}/course", json={"count": 3}).status_code == 201
    first, second = estimates(app)
    assert second.reason == "sessions_booked" and second.version == 2
    assert len(second.content["scheduled"]) == 4 and len(first.content["scheduled"]) == 1
    assert "about once a week" in second.content["frequency"]


def test_a_date_of_birth_on_file_is_used_and_never_changed_online(app, client, free_slot):
    book_self_pay(client, free_slot)  # neck, 1980-04-23 on file
    slot = free_slot("back-initial", days_ahead=9)
    response = client.post(book_url(slot, "back-initial"), data=details_form(insurance="yes"))
    manage = response.headers["Location"]
    page = client.get(manage + "/estimate").get_data(as_text=True)
    assert "Date of birth" not in page  # not asked again
    assert (
        client.post(manage + "/estimate", data={"date_of_birth": "1999-09-09"}).status_code == 302
    )
    back = estimates(app)[-1]
    assert back.content["patient"]["date_of_birth"] == "1980-04-23"
    with app.app_context():
        assert db.session.execute(db.select(Patient.date_of_birth)).scalar_one() == date(
            1980, 4, 23
        )


def test_no_estimate_is_issued_for_an_erased_patient(app, client, free_slot, auth, make_user):
    book_self_pay(client, free_slot)
    erase_the_patient(app, make_user)
    with app.app_context():
        course_id = db.session.execute(db.select(Course.id)).scalar_one()
    auth.login("reception")
    client.post(f"/staff/courses/{course_id}/estimate", data={"date_of_birth": "1980-04-23"})
    assert len(estimates(app)) == 1
    with app.app_context():
        assert db.session.execute(db.select(Patient.date_of_birth)).scalar_one() is None
