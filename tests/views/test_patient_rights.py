"""A patient's rights: staff export the whole record, the owner erases it, retention purges.

End to end through the pages, the staff API and the CLI, on whichever engine the suite
runs on.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from booking.extensions import db
from booking.models import AuditEntry, Booking, ClinicSettings, Patient, RecordAccess, User
from booking.models.base import utcnow
from booking.services import reports
from booking.services.bookings import cancel_booking, set_note, set_status
from booking.views.helpers import to_local
from tests.conftest import NO_FLAGS
from tests.database import every_stored_value

ANN = {"name": "Ann Lee", "email": "ann.lee@example.com", "phone": "207 555 0100"}
DESK = "desk@clinic.test"
NOTE = "Says her neck is much better since the third visit"
REASON = "Ann is in hospital with her back"


def desk_user() -> User:
    return db.session.execute(db.select(User).filter_by(email=DESK)).scalar_one()


def into_the_past(app, booking_id: int, days: int) -> None:
    """Move a booking `days` back (tests cannot wait); its record is as old as it."""
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        shift = timedelta(days=days)
        booking.start_at -= shift
        booking.end_at -= shift
        booking.blocked_until -= shift
        booking.created_at -= shift
        booking.patient.created_at = min(booking.patient.created_at, booking.created_at)
        db.session.commit()


@pytest.fixture
def ann(app, make_booking, make_user):
    """Ann Lee with a visit done (with a note) and a cancelled booking, nothing to come."""
    make_user("reception", email=DESK)
    done = make_booking(days_ahead=2, **ANN)
    cancelled = make_booking(days_ahead=5, **ANN)
    with app.app_context():
        desk = desk_user()
        first = db.session.execute(
            db.select(Booking).filter_by(reference=done["reference"].replace("-", ""))
        ).scalar_one()
        second = db.session.execute(
            db.select(Booking).filter_by(reference=cancelled["reference"].replace("-", ""))
        ).scalar_one()
        cancel_booking(second, reason=REASON, actor=desk)
        ids = (first.id, second.id)
        patient_id = first.patient_id
    into_the_past(app, ids[0], 30)
    into_the_past(app, ids[1], 30)
    with app.app_context():
        desk = desk_user()
        first = db.session.get(Booking, ids[0])
        set_status(first, "fulfilled", actor=desk)
        set_note(first, NOTE, actor=desk)
    return {"id": patient_id, "bookings": ids, "tokens": (done["manage_token"],)}


def report_now(app):
    with app.app_context():
        today = to_local(utcnow()).date()
        return reports.clinic_report(today - timedelta(days=90), today + timedelta(days=30))


def test_staff_export_the_whole_record_as_a_page_and_as_json(app, client, auth, ann):
    auth.login("reception")
    page = client.get(f"/staff/patients/{ann['id']}/export")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for expected in (
        "Everything held about Ann Lee",
        ANN["email"],
        ANN["phone"],
        NOTE,
        REASON,
        "Status history",
        "fulfilled",
        "cancelled",
        "Safety questions answered",
        "GP disclaimer versions accepted",
        "Download as a file (JSON)",
    ):
        assert expected in text, expected

    download = client.get(f"/staff/patients/{ann['id']}/export.json")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment; filename=")
    data = json.loads(download.get_data(as_text=True))
    assert data["patient"]["name"] == "Ann Lee" and data["patient"]["email"] == ANN["email"]
    done, cancelled = data["bookings"]
    assert [step["status"] for step in done["status_history"]] == ["booked", "fulfilled"]
    assert done["status_history"][0]["by"] == "the patient, online"
    assert done["note"] == NOTE
    assert [step["status"] for step in cancelled["status_history"]] == ["booked", "cancelled"]
    assert cancelled["cancel_reason"] == REASON
    assert len(done["screening"]) == 6 and {a["answer"] for a in done["screening"]} == {"no"}
    assert done["disclaimer"]["version"] == data["disclaimers_accepted"][0]["version"]
    assert [e["kind"] for e in done["emails"]] == ["confirmation", "clinic_booking"]
    assert done["emails"][0]["to"] == ANN["email"]
    assert [c["condition"] for c in data["courses"]] == ["neck"]
    assert data["courses"][0]["bookings"] == [done["reference"], cancelled["reference"]]
    actions = [entry["action"] for entry in data["audit"]]
    assert {"booking.create", "booking.cancel", "booking.status", "booking.note"} <= set(actions)

    # Both exports, and the page's own look, are on the record's access list.
    with app.app_context():
        looks = db.session.execute(
            db.select(RecordAccess.what).filter_by(patient_id=ann["id"])
        ).scalars()
        assert list(looks).count("export") == 2
    looked = client.get(f"/staff/patients/{ann['id']}").get_data(as_text=True)
    assert "an export" in looked


def test_the_staff_api_exports_the_same_record(app, client, auth, ann):
    auth.login("reception")
    response = client.get(f"/api/v1/staff/patients/{ann['id']}/export")
    assert response.status_code == 200
    data = response.get_json()
    assert data["format"].startswith("acupuncture-booking/patient-export/")
    assert data["patient"]["phone"] == ANN["phone"] and len(data["bookings"]) == 2
    assert client.get("/api/v1/staff/patients/999999/export").get_json()["error"]["code"] == (
        "not_found"
    )
    auth.logout()
    assert client.get(f"/api/v1/staff/patients/{ann['id']}/export").status_code == 401


def test_the_owner_erases_a_patient_and_the_reports_add_up_the_same(app, client, auth, ann):
    before = report_now(app)
    auth.login("owner")
    form = client.get(f"/staff/patients/{ann['id']}/erase").get_data(as_text=True)
    assert "What goes" in form and "2 bookings" in form

    unconfirmed = client.post(f"/staff/patients/{ann['id']}/erase", data={})
    assert unconfirmed.status_code == 422
    assert "Tick the box to confirm" in unconfirmed.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Patient, ann["id"]).erased_at is None

    done = client.post(f"/staff/patients/{ann['id']}/erase", data={"confirm": "y"})
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "2 bookings stay on record without a name" in page and "Details erased" in page

    # Nothing that was erased is anywhere in the database, the audit log included.
    stored = every_stored_value(app)
    for erased in ("Ann Lee", ANN["email"], ANN["phone"], "2075550100", NOTE, REASON):
        assert erased not in stored, erased
    with app.app_context():
        patient = db.session.get(Patient, ann["id"])
        assert (patient.name, patient.email, patient.phone) == ("Erased patient", "", "")
        rows = db.session.execute(db.select(Booking).order_by(Booking.start_at)).scalars().all()
        assert [b.status for b in rows] == ["fulfilled", "cancelled"]
        assert all(b.screening == {} and b.note == "" and b.client_address is None for b in rows)
        entry = db.session.execute(
            db.select(AuditEntry).filter_by(action="patient.erase")
        ).scalar_one()
        assert entry.user.role == "owner" and entry.before is None
        assert entry.after["erased"] == "request" and entry.after["bookings_kept"] == 2
    assert report_now(app) == before

    # The patient's own link no longer opens anything, and search no longer finds them.
    assert client.get(f"/manage/{ann['tokens'][0]}").status_code == 404
    assert "Erased patient" not in client.get("/staff/patients?q=erased").get_data(as_text=True)
    again = client.post(f"/staff/patients/{ann['id']}/erase", data={"confirm": "y"})
    assert "were erased on" in again.get_data(as_text=True)


def test_erasure_waits_for_the_last_booking_to_pass(app, client, auth, ann, make_booking):
    make_booking(days_ahead=3, **ANN)
    auth.login("owner")
    page = " ".join(client.get(f"/staff/patients/{ann['id']}/erase").get_data(as_text=True).split())
    assert "has 1 upcoming booking. Cancel it first" in page
    refused = client.post(f"/staff/patients/{ann['id']}/erase", data={"confirm": "y"})
    assert refused.status_code == 409
    assert "Cancel it first" in refused.get_data(as_text=True)
    api = client.post(
        f"/api/v1/staff/patients/{ann['id']}/erase",
        headers={"X-CSRFToken": client.get("/api/v1/staff/csrf").get_json()["csrf_token"]},
    )
    assert api.status_code == 409
    assert api.get_json()["error"]["code"] == "has_future_bookings"
    with app.app_context():
        assert db.session.get(Patient, ann["id"]).name == "Ann Lee"
        assert not db.session.execute(
            db.select(AuditEntry).filter_by(action="patient.erase")
        ).first()


def test_only_the_owner_may_erase(app, client, auth, ann):
    auth.login("reception")
    assert client.get(f"/staff/patients/{ann['id']}/erase").status_code == 403
    token = client.get("/api/v1/staff/csrf").get_json()["csrf_token"]
    response = client.post(
        f"/api/v1/staff/patients/{ann['id']}/erase", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 403
    assert "Erase details" not in client.get(f"/staff/patients/{ann['id']}").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Patient, ann["id"]).erased_at is None


def test_the_owner_erases_through_the_staff_api(app, client, auth, ann):
    before = report_now(app)
    auth.login("owner")
    token = client.get("/api/v1/staff/csrf").get_json()["csrf_token"]
    response = client.post(
        f"/api/v1/staff/patients/{ann['id']}/erase", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["bookings_kept"] == 2
    assert report_now(app) == before
    exported = client.get(f"/api/v1/staff/patients/{ann['id']}/export").get_json()
    assert exported["patient"]["name"] == "Erased patient"
    assert exported["patient"]["erased_at"]
    assert [b["status"] for b in exported["bookings"]] == ["fulfilled", "cancelled"]
    assert all(b["note"] == "" and b["screening"] == [] for b in exported["bookings"])
    again = client.post(f"/api/v1/staff/patients/{ann['id']}/erase", headers={"X-CSRFToken": token})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_erased"


def test_unsent_emails_of_an_erased_patient_are_stopped(app, client, auth, ann, mail_server):
    from booking.services import outbox

    before = report_now(app)
    auth.login("owner")
    assert (
        client.post(f"/staff/patients/{ann['id']}/erase", data={"confirm": "y"}).status_code == 302
    )
    with app.app_context():
        outbox.send_due()
    assert mail_server.to(ANN["email"]) == []
    assert report_now(app) == before


def set_retention(app, years):
    with app.app_context():
        db.session.execute(db.select(ClinicSettings)).scalar_one().retention_years = years
        db.session.commit()


def test_purge_expired_removes_only_patients_past_the_retention_period(app, ann, make_booking):
    recent = make_booking(days_ahead=2, name="Ben Recent", email="ben@example.com")
    into_the_past(app, ann["bookings"][0], 8 * 366)
    into_the_past(app, ann["bookings"][1], 8 * 366)
    runner = app.test_cli_runner()

    unset = runner.invoke(args=["purge-expired"])
    assert unset.exit_code == 0 and "Retention is not set" in unset.output

    set_retention(app, 7)
    dry = runner.invoke(args=["purge-expired", "--dry-run"])
    assert "Would remove the details of 1 patient(s)" in dry.output
    with app.app_context():
        assert db.session.get(Patient, ann["id"]).erased_at is None

    result = runner.invoke(args=["purge-expired"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "Removed the details of 1 patient(s) whose last booking was more than 7 year(s) ago; "
        "2 booking(s) kept without a name."
    )
    with app.app_context():
        assert db.session.get(Patient, ann["id"]).name == "Erased patient"
        ben = db.session.execute(db.select(Patient).filter_by(email="ben@example.com")).scalar_one()
        assert ben.erased_at is None and recent["reference"]
        entry = db.session.execute(
            db.select(AuditEntry).filter_by(action="patient.erase")
        ).scalar_one()
        assert entry.actor_kind == "system" and entry.after["erased"] == "retention"
    assert "Ann Lee" not in every_stored_value(app)
    assert "0 patient(s)" in runner.invoke(args=["purge-expired"]).output


def test_a_patient_back_within_the_period_is_kept(app, ann, make_booking):
    into_the_past(app, ann["bookings"][0], 8 * 366)
    into_the_past(app, ann["bookings"][1], 8 * 366)
    make_booking(days_ahead=4, **ANN)  # came back: a booking still to come
    set_retention(app, 7)
    result = app.test_cli_runner().invoke(args=["purge-expired"])
    assert "Removed the details of 0 patient(s)" in result.output
    with app.app_context():
        assert db.session.get(Patient, ann["id"]).erased_at is None


def test_the_owner_sets_the_retention_period(app, client, auth):
    from tests.views.test_admin_settings import current_text, settings_form

    text = current_text(app)
    auth.login("owner")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Remove patient details this many years after the last visit" in page
    bad = client.post("/admin/settings", data=settings_form(disclaimer=text, retention_years="0"))
    assert bad.status_code == 422
    assert "from 1 to 100" in bad.get_data(as_text=True)
    saved = client.post("/admin/settings", data=settings_form(disclaimer=text, retention_years="7"))
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.execute(db.select(ClinicSettings)).scalar_one().retention_years == 7
        entry = db.session.execute(
            db.select(AuditEntry).filter_by(action="settings.update")
        ).scalar_one()
        assert entry.after == {"retention_years": 7}
    client.post("/admin/settings", data=settings_form(disclaimer=text, retention_years=""))
    with app.app_context():
        assert db.session.execute(db.select(ClinicSettings)).scalar_one().retention_years is None


def test_emails_written_as_files_go_with_the_patient(app, client, auth, ann, tmp_path):
    from booking.services import outbox

    app.config["SMTP_HOST"] = ""
    app.instance_path = str(tmp_path)
    with app.app_context():
        outbox.send_due()
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert files and any(ANN["email"] in f.read_text() for f in files)
    auth.login("owner")
    assert (
        client.post(f"/staff/patients/{ann['id']}/erase", data={"confirm": "y"}).status_code == 302
    )
    assert list((tmp_path / "outbox").glob("*.eml")) == []


def test_nothing_erased_is_left_in_the_sqlite_files(app, client, auth, ann):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite:///"):
        pytest.skip("the SQLite file and its write-ahead log")
    auth.login("owner")
    assert (
        client.post(f"/staff/patients/{ann['id']}/erase", data={"confirm": "y"}).status_code == 302
    )
    path = uri.removeprefix("sqlite:///")
    raw = b"".join(
        Path(name).read_bytes() for name in (path, f"{path}-wal") if os.path.exists(name)
    )
    for erased in ("Ann Lee", ANN["email"], NOTE, REASON):
        assert erased.encode() not in raw, erased


def test_an_erased_patients_bookings_stay_as_they_are(app, client, auth, ann, free_slot):
    from booking.errors import ClinicError
    from booking.services.bookings import reschedule_booking

    auth.login("owner")
    client.post(f"/staff/patients/{ann['id']}/erase", data={"confirm": "y"})
    later = free_slot(days_ahead=3)
    with app.app_context():
        desk = desk_user()
        done, cancelled = (db.session.get(Booking, i) for i in ann["bookings"])
        for attempt in (
            lambda: reschedule_booking(
                done, later.start, practitioner_id=later.practitioner_id, actor=desk
            ),
            lambda: set_note(done, "Back again", actor=desk),
            lambda: cancel_booking(done, reason="Ann rang", actor=desk),
        ):
            with pytest.raises(ClinicError, match="details were erased"):
                attempt()
        statuses = [b.status for b in db.session.execute(db.select(Booking)).scalars()]
        assert sorted(statuses) == ["cancelled", "fulfilled"]
    # Nor can a new booking be made for the erased record.
    token = client.get("/api/v1/staff/csrf").get_json()["csrf_token"]
    response = client.post(
        "/api/v1/staff/bookings",
        headers={"X-CSRFToken": token},
        json={
            "service": "neck-initial",
            "start": later.start.isoformat(),
            "practitioner": later.practitioner_id,
            "patient": {"id": ann["id"]},
            "source": "phone",
            "screening": dict(NO_FLAGS),
            "disclaimer_read": True,
        },
    )
    assert response.status_code in (404, 422), response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Booking.id))).scalar() == 2


def test_a_void_reason_that_names_patients_goes_with_the_erasure(
    app, client, auth, ann, make_booking
):
    from booking.services.void import Selection, select, void_bookings

    make_booking(days_ahead=6, **ANN)  # a test booking, voided with another patient's
    make_booking(days_ahead=7, name="Ben Other", email="ben@example.com", phone="207 555 0199")
    with app.app_context():
        desk = desk_user()
        chosen = [b.id for b in select(Selection(day=None, since=None, email=ANN["email"]))]
        chosen += [b.id for b in select(Selection(email="ben@example.com"))]
        void_bookings(chosen, reason="Fake bookings by Ann Lee and Ben Other", actor=desk)

    auth.login("reception")
    exported = client.get(f"/api/v1/staff/patients/{ann['id']}/export").get_json()
    [void] = [e for e in exported["audit"] if e["action"] == "booking.void"]
    assert len(void["before"]["bookings"]) == 1  # only Ann's own reference
    auth.logout()

    auth.login("owner")
    assert (
        client.post(f"/staff/patients/{ann['id']}/erase", data={"confirm": "y"}).status_code == 302
    )
    with app.app_context():
        [entry] = db.session.execute(
            db.select(AuditEntry).filter_by(action="booking.void")
        ).scalars()
        assert entry.summary == "2 bookings voided as entered in error (reason [erased])"
    assert "Ann Lee" not in every_stored_value(app)
