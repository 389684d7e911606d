"""Who has looked at a patient's record; patients' own changes in the audit log."""

from __future__ import annotations

import re

from booking.extensions import db
from booking.models import AuditEntry, Booking, RecordAccess
from tests.conftest import PASSWORD


def rows_of(page: str, section_id: str) -> list[str]:
    section = page.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_every_staff_look_at_a_record_is_kept_and_shown_on_it(
    app, client, auth, make_user, make_booking
):
    make_booking()
    with app.app_context():
        booking = db.session.execute(db.select(Booking)).scalar_one()
        booking_id, patient_id = booking.id, booking.patient_id
    rita = app.test_client()
    email = make_user("reception", email="rita@clinic.test", name="Rita Desk")
    assert rita.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    assert rita.get(f"/staff/bookings/{booking_id}").status_code == 200
    assert rita.get(f"/api/v1/staff/bookings/{booking_id}").status_code == 200

    auth.login("owner")
    page = client.get(f"/staff/patients/{patient_id}").get_data(as_text=True)
    looks = rows_of(page, "looked")
    # Newest first: the owner now, then Rita's two looks at the booking.
    assert looks[0].endswith("Owner this record")
    assert looks[1].endswith("Rita Desk a booking") and looks[2].endswith("Rita Desk a booking")
    with app.app_context():
        kept = db.session.execute(
            db.select(RecordAccess.what, RecordAccess.booking_id).order_by(RecordAccess.id)
        ).all()
    assert [tuple(k) for k in kept] == [
        ("booking", booking_id),
        ("booking", booking_id),
        ("record", None),
    ]


def test_patients_own_bookings_moves_and_cancellations_are_in_the_audit_log(
    app, client, auth, free_slot, make_booking
):
    first, later = free_slot(days_ahead=3), free_slot(days_ahead=5)
    made = make_booking(first)
    token = made["manage_token"]
    moved = client.post(
        f"/api/v1/bookings/{token}/reschedule",
        json={"start": later.start.isoformat(), "practitioner": later.practitioner_id},
    )
    assert moved.status_code == 200
    assert (
        client.post(
            f"/api/v1/bookings/{token}/cancel", json={"reason": "Feeling better"}
        ).status_code
        == 200
    )
    with app.app_context():
        entries = [
            (e.action, e.actor_kind, e.user_id)
            for e in db.session.execute(
                db.select(AuditEntry)
                .where(AuditEntry.action.startswith("booking."))
                .order_by(AuditEntry.id)
            ).scalars()
        ]
    assert entries == [
        ("booking.create", "patient", None),
        ("booking.move", "patient", None),
        ("booking.cancel", "patient", None),
    ]
    auth.login("owner")
    log = client.get("/staff/audit?action=booking").get_data(as_text=True)
    assert log.count("The patient, online") == 3
    assert "Feeling better" in log
