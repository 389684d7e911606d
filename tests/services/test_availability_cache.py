"""Cached availability answers never outlive a change, whichever worker made it."""

from __future__ import annotations

from datetime import time

from booking import create_app
from booking.extensions import db
from booking.models import ScheduleVersion, WorkingHours
from booking.views.helpers import to_local


def month_query(app, slot):
    with app.app_context():
        day = to_local(slot.start).date()
    query = f"service=neck-initial&from={day}&to={day}&practitioner={slot.practitioner_id}"
    return f"/api/v1/availability?{query}"


def starts(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return {s["start"] for s in response.get_json()["slots"]}


def test_a_booking_made_by_another_worker_disappears_from_a_cached_answer(
    app, client, clinic, free_slot, booking_payload
):
    slot = free_slot(practitioner_id=clinic.practitioner.id)
    url = month_query(app, slot)
    before = starts(client, url)
    assert starts(client, url) == before  # served again, from the cache
    # A second app on the same database stands in for another gunicorn worker.
    other_worker = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    )
    response = other_worker.test_client().post("/api/v1/bookings", json=booking_payload(slot))
    assert response.status_code == 201
    after = starts(client, url)
    assert response.get_json()["start"] in before
    assert response.get_json()["start"] not in after
    with other_worker.app_context():
        db.engine.dispose()


def test_hours_changed_with_a_bulk_statement_show_at_once(app, client, clinic, free_slot):
    slot = free_slot(practitioner_id=clinic.practitioner.id)
    url = month_query(app, slot)
    assert starts(client, url)
    with app.app_context():
        weekday = to_local(slot.start).weekday()
        db.session.execute(
            db.update(WorkingHours)
            .where(
                WorkingHours.practitioner_id == slot.practitioner_id,
                WorkingHours.weekday == weekday,
            )
            .values(start_time=time(9), end_time=time(10), break_start=None, break_end=None)
        )
        db.session.commit()
    remaining = starts(client, url)
    assert len(remaining) == 1  # only 09:00 fits a 60-minute consultation now


def test_changes_outside_the_schedule_do_not_bump_the_version(app, client, auth):
    with app.app_context():
        before = db.session.execute(db.select(ScheduleVersion.version)).scalar()
    auth.login()  # a sign-in writes the user's last_login_at, nothing about slots
    with app.app_context():
        after = db.session.execute(db.select(ScheduleVersion.version)).scalar()
    assert after == before
