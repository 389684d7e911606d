"""Reception corrects a patient's details, and merges or tells apart possible duplicates."""

from __future__ import annotations

from booking.extensions import db
from booking.models import AuditEntry, Booking, Patient
from tests.views.test_booking_limits import API, body, far_apart_slots


def patients(app) -> list[tuple]:
    with app.app_context():
        return [
            (p.id, p.name, p.email, p.phone, p.possible_duplicate)
            for p in db.session.execute(db.select(Patient).order_by(Patient.id)).scalars()
        ]


def test_an_online_booking_under_other_details_is_kept_apart_and_merged_by_reception(
    app, client, auth
):
    first, second = far_apart_slots(app, 2)
    ann = {"name": "Ann Lee", "email": "ann@example.com", "phone": "207 555 0100"}
    assert client.post(API, json=body(first, 1, **ann)).status_code == 201
    other = {"name": "Annie Lee", "email": "ANN@example.com", "phone": "207 555 0100"}
    assert client.post(API, json=body(second, 2, **other)).status_code == 201
    (ann_id, *ann_row), (annie_id, *annie_row) = patients(app)
    # The record on file is untouched; the new one is marked for reception.
    assert ann_row == ["Ann Lee", "ann@example.com", "207 555 0100", False]
    assert annie_row == ["Annie Lee", "ann@example.com", "207 555 0100", True]

    auth.login("reception")
    page = client.get(f"/staff/patients/{annie_id}").get_data(as_text=True)
    assert "Possible duplicate." in page and "Merge into this record" in page
    merged = client.post(f"/staff/patients/{ann_id}/merge", data={"other": annie_id})
    assert merged.status_code == 302
    assert "1 booking moved" in client.get(merged.headers["Location"]).get_data(as_text=True)
    assert [row[0] for row in patients(app)] == [ann_id]
    with app.app_context():
        owners = set(db.session.execute(db.select(Booking.patient_id)).scalars())
        [entry] = db.session.execute(
            db.select(AuditEntry).filter_by(action="patient.merge")
        ).scalars()
    assert owners == {ann_id}
    assert entry.subject_id == ann_id and entry.before["merged_from"] == annie_id
    assert client.get(f"/staff/patients/{annie_id}").status_code == 404


def test_only_a_listed_duplicate_can_be_merged(app, client, auth, make_booking):
    make_booking(email="one@example.com", phone="207 555 0001", name="One")
    make_booking(days_ahead=4, email="two@example.com", phone="207 555 0002", name="Two")
    (one, *_), (two, *_) = patients(app)
    auth.login("reception")
    refused = client.post(f"/staff/patients/{one}/merge", data={"other": two})
    assert "Choose one of the possible duplicates" in client.get(
        refused.headers["Location"]
    ).get_data(as_text=True)
    assert len(patients(app)) == 2


def test_a_different_person_clears_the_mark_and_is_audited(app, client, auth):
    first, second = far_apart_slots(app, 2)
    client.post(API, json=body(first, 1, name="Sam Roe", email="fam@example.com"))
    client.post(API, json=body(second, 2, name="Alex Roe", email="fam@example.com"))
    (_, *_), (alex, *alex_row) = patients(app)
    assert alex_row[-1] is True
    auth.login("reception")
    client.post(f"/staff/patients/{alex}/not-duplicate")
    assert patients(app)[1][-1] is False
    with app.app_context():
        assert db.session.execute(
            db.select(AuditEntry).filter_by(action="patient.not_duplicate", subject_id=alex)
        ).scalar_one()


def test_reception_corrects_details_and_the_audit_log_keeps_before_and_after(
    app, client, auth, make_booking
):
    make_booking()
    [(patient_id, *_)] = patients(app)
    auth.login("reception")
    url = f"/staff/patients/{patient_id}/edit"
    assert 'value="ann@example.com"' in client.get(url).get_data(as_text=True)
    bad = client.post(
        url, data={"name": "Ann Lee", "email": "not an email", "phone": "207 555 0100"}
    )
    assert bad.status_code == 422
    saved = client.post(
        url, data={"name": "Ann Lee", "email": "Ann.Lee@Example.com", "phone": "207 555 0199"}
    )
    assert saved.status_code == 302
    assert patients(app)[0][1:4] == ("Ann Lee", "ann.lee@example.com", "207 555 0199")
    with app.app_context():
        [entry] = db.session.execute(
            db.select(AuditEntry).filter_by(action="patient.update")
        ).scalars()
    assert entry.before == {"email": "ann@example.com", "phone": "207 555 0100"}
    assert entry.after == {"email": "ann.lee@example.com", "phone": "207 555 0199"}
    same = client.post(
        url, data={"name": "Ann Lee", "email": "ann.lee@example.com", "phone": "207 555 0199"}
    )
    assert "Nothing was changed." in client.get(same.headers["Location"]).get_data(as_text=True)
