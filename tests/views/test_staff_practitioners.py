"""Reception edits practitioners' hours and time off; stranded bookings are listed, not dropped."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import AuditEntry, Booking, Practitioner, TimeOff
from booking.models.base import utcnow

NY = ZoneInfo("America/New_York")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# The week clinic.practitioner is seeded with.
NINE_TO_FIVE = {day: ("09:00", "17:00", "12:30", "13:30") for day in DAYS[:5]}


def ahead(weekday: int, min_days: int = 7) -> date:
    """The first clinic-local date on `weekday` at least `min_days` from today."""
    day = utcnow().astimezone(NY).date() + timedelta(days=min_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def hours_form(week: dict[str, tuple], stale: dict[str, tuple] | None = None) -> dict:
    """The hours form as a browser sends it: unticked days may still carry times."""
    data = {}
    for day in DAYS:
        times = week.get(day) or (stale or {}).get(day) or ("", "", "", "")
        if day in week:
            data[f"{day}_works"] = "y"
        for name, value in zip(("start", "end", "break_start", "break_end"), times, strict=True):
            data[f"{day}_{name}"] = value
    return data


def input_tag(page: str, field_id: str) -> str:
    match = re.search(rf'<input[^>]*\bid="{field_id}"[^>]*>', page)
    assert match, f"no input {field_id}"
    return match.group(0)


def slots(client, day: date, practitioner: int, service: str = "neck-initial"):
    response = client.get(
        f"/api/v1/availability?service={service}&from={day}&to={day}&practitioner={practitioner}"
    )
    assert response.status_code == 200
    return [datetime.fromisoformat(s["start"]) for s in response.get_json()["slots"]]


def audit_entries(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.execute(
                db.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            ).scalars()
        )


def stored_hours(app, practitioner_id: int) -> dict[int, tuple]:
    with app.app_context():
        practitioner = db.session.get(Practitioner, practitioner_id)
        return {
            h.weekday: (h.start_time, h.end_time, h.break_start, h.break_end)
            for h in practitioner.hours
        }


def booking_by_reference(app, reference: str) -> tuple[int, str]:
    with app.app_context():
        booking = db.session.execute(db.select(Booking).filter_by(reference=reference)).scalar_one()
        return booking.id, booking.status


# {practitioner} is clinic.practitioner's id.
STAFF_URLS = [
    ("get", "/staff/practitioners"),
    ("get", "/staff/practitioners/{practitioner}"),
    ("get", "/staff/practitioners/{practitioner}/hours"),
    ("post", "/staff/practitioners/{practitioner}/hours"),
    ("post", "/staff/practitioners/{practitioner}/time-off"),
    ("post", "/staff/practitioners/{practitioner}/time-off/1/delete"),
    ("post", "/staff/practitioners/{practitioner}/feed"),
    ("post", "/staff/practitioners/{practitioner}/feed/delete"),
]


@pytest.mark.parametrize(("method", "url"), STAFF_URLS)
def test_anonymous_visitors_are_sent_to_sign_in(app, client, clinic, method, url):
    practitioner = clinic.practitioner
    url = url.format(practitioner=practitioner.id)
    data = {"first_day": str(ahead(0)), **hours_form({"saturday": ("10:00", "14:00", "", "")})}
    response = getattr(client, method)(url, data=data if method == "post" else None)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert stored_hours(app, practitioner.id).keys() == {0, 1, 2, 3, 4}
    with app.app_context():
        assert db.session.execute(db.select(TimeOff)).first() is None
        assert db.session.get(Practitioner, practitioner.id).feed_token_hash is None


def test_list_shows_each_practitioners_week_time_off_and_feed(client, auth, clinic):
    auth.login("reception")
    client.post(
        f"/staff/practitioners/{clinic.colleague.id}/time-off",
        data={"first_day": str(ahead(1)), "reason": "Conference"},
    )
    page = client.get("/staff/practitioners").get_data(as_text=True)
    assert "Mon–Fri: 9:00 am – 5:00 pm (break 12:30 pm – 1:30 pm)" in page
    assert "Tue, Thu: 12:00 pm – 8:00 pm (break 4:00 pm – 4:30 pm)" in page
    assert "Sat: 9:00 am – 1:00 pm" in page
    assert "Mon, Wed, Fri: 8:00 am – 2:00 pm" in page
    assert "Sat: 10:00 am – 3:00 pm (break 12:00 pm – 12:30 pm)" in page
    assert "Conference" in page
    assert page.count("Calendar feed: off") == len(clinic.practitioners)
    for practitioner_id in (p.id for p in clinic.practitioners):
        assert f'href="/staff/practitioners/{practitioner_id}/hours"' in page
        assert f'href="/staff/practitioners/{practitioner_id}"' in page


def test_hours_form_shows_current_hours(client, auth, clinic):
    practitioner = clinic.practitioner
    auth.login("reception")
    page = client.get(f"/staff/practitioners/{practitioner.id}/hours").get_data(as_text=True)
    assert "checked" in input_tag(page, "monday_works")
    assert "checked" not in input_tag(page, "saturday_works")
    assert 'value="09:00"' in input_tag(page, "monday_start")
    assert 'value="13:30"' in input_tag(page, "friday_break_end")


def test_new_hours_show_in_availability_at_once(app, client, auth, clinic):
    practitioner = clinic.practitioner
    saturday, monday = ahead(5), ahead(0)
    assert slots(client, saturday, practitioner.id) == []
    assert slots(client, monday, practitioner.id)
    auth.login("reception")
    week = {**NINE_TO_FIVE, "saturday": ("10:00", "14:00", "", "")}
    del week["monday"]
    # Monday's old times are still in the inputs, but the day is unticked.
    response = client.post(
        f"/staff/practitioners/{practitioner.id}/hours", data=hours_form(week, stale=NINE_TO_FIVE)
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/practitioners/{practitioner.id}"

    starts = [s.astimezone(NY) for s in slots(client, saturday, practitioner.id)]
    assert starts[0].time().isoformat() == "10:00:00"
    assert starts[-1].time().isoformat() == "13:00:00"  # a 60-minute consultation ends by 14:00
    assert slots(client, monday, practitioner.id) == []
    assert "Sat: 10:00 am – 2:00 pm" in client.get(
        f"/staff/practitioners/{practitioner.id}"
    ).get_data(as_text=True)


def test_hours_change_is_audited_with_before_and_after(app, client, auth, clinic):
    practitioner = clinic.practitioner
    auth.login("owner")
    week = {**NINE_TO_FIVE, "friday": ("09:00", "15:00", "", "")}
    client.post(f"/staff/practitioners/{practitioner.id}/hours", data=hours_form(week))
    (entry,) = audit_entries(app, "hours.update")
    assert entry.subject_type == "practitioner" and entry.subject_id == practitioner.id
    assert entry.before["friday"] == {
        "start": "09:00",
        "end": "17:00",
        "break_start": "12:30",
        "break_end": "13:30",
    }
    assert entry.after["friday"] == {
        "start": "09:00",
        "end": "15:00",
        "break_start": None,
        "break_end": None,
    }
    assert entry.before["saturday"] is None and entry.after["saturday"] is None
    assert entry.after["monday"] == entry.before["monday"]
    with app.app_context():
        assert db.session.get(AuditEntry, entry.id).user.role == "owner"


def test_saving_unchanged_hours_writes_no_audit_entry(app, client, auth, clinic):
    practitioner = clinic.practitioner
    auth.login("reception")
    response = client.post(
        f"/staff/practitioners/{practitioner.id}/hours", data=hours_form(NINE_TO_FIVE)
    )
    assert response.status_code == 302
    assert audit_entries(app, "hours.update") == []


def test_invalid_hours_show_a_message_per_day_and_change_nothing(app, client, auth, clinic):
    practitioner = clinic.practitioner
    auth.login("reception")
    before = stored_hours(app, practitioner.id)
    week = {
        "monday": ("17:00", "09:00", "", ""),
        "tuesday": ("09:00", "17:00", "08:00", "09:30"),
        "wednesday": ("", "17:00", "", ""),
        "thursday": ("09:00", "25:99", "", ""),
        "friday": ("09:00", "17:00", "12:00", ""),
        "saturday": ("10:00", "14:00", "", ""),  # valid, but must not be saved alone
    }
    response = client.post(f"/staff/practitioners/{practitioner.id}/hours", data=hours_form(week))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in (
        "Monday: the day must end after it starts.",
        "Tuesday: the break must start after 09:00 and end before 17:00.",
        "Wednesday: enter the start time, or untick the day.",
        "Enter a time like 09:00.",
        "Friday: give both ends of the break, or neither.",
    ):
        assert message in page
    assert 'value="25:99"' in page  # what was typed is kept to correct
    assert stored_hours(app, practitioner.id) == before
    assert audit_entries(app, "hours.update") == []
    assert slots(client, ahead(5), practitioner.id) == []


def test_time_off_for_a_whole_day_hides_that_days_slots(app, client, auth, clinic):
    practitioner = clinic.practitioner
    monday = ahead(0)
    assert slots(client, monday, practitioner.id)
    auth.login("reception")
    response = client.post(
        f"/staff/practitioners/{practitioner.id}/time-off",
        data={"first_day": str(monday), "reason": "Course"},
    )
    assert response.status_code == 302
    assert slots(client, monday, practitioner.id) == []
    assert slots(client, monday, clinic.specialist.id), "other practitioners stay bookable"
    assert slots(client, monday + timedelta(days=1), practitioner.id)
    page = client.get(f"/staff/practitioners/{practitioner.id}").get_data(as_text=True)
    assert "(whole day): Course" in page


def test_time_off_for_part_of_a_day_is_clinic_time_and_hides_only_those_slots(
    app, client, auth, clinic
):
    practitioner = clinic.practitioner
    tuesday = ahead(1)
    auth.login("reception")
    client.post(
        f"/staff/practitioners/{practitioner.id}/time-off",
        data={"first_day": str(tuesday), "start": "10:00", "end": "12:00"},
    )
    with app.app_context():
        off = db.session.execute(db.select(TimeOff)).scalar_one()
        assert off.start_at == datetime.combine(tuesday, time(10), tzinfo=NY).astimezone(UTC)
        assert (off.end_at - off.start_at) == timedelta(hours=2)
    local_starts = [s.astimezone(NY) for s in slots(client, tuesday, practitioner.id)]
    assert local_starts[0].strftime("%H:%M") == "09:00"  # 9-10 still fits before the time off
    for start in local_starts:
        end = start + timedelta(minutes=60)
        assert end.strftime("%H:%M") <= "10:00" or start.strftime("%H:%M") >= "12:00"


def test_time_off_over_several_days_covers_each_whole_day(client, auth, clinic):
    practitioner = clinic.practitioner
    monday = ahead(0)
    auth.login("reception")
    client.post(
        f"/staff/practitioners/{practitioner.id}/time-off",
        data={"first_day": str(monday), "last_day": str(monday + timedelta(days=2))},
    )
    for offset in range(3):
        assert slots(client, monday + timedelta(days=offset), practitioner.id) == []
    assert slots(client, monday + timedelta(days=3), practitioner.id)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"first_day": ""}, "Enter the date of the time off."),
        ({"first_day": "2026-02-30"}, "Enter the date like 2026-12-01."),
        ({"start": "12:00", "end": "10:00"}, "The time off must end after it starts."),
        ({"start": "12:00"}, "Give both times for part of a day, or neither for the whole day."),
        ({"last_day": "+1", "start": "09:00", "end": "10:00"}, "Leave the times empty"),
        ({"last_day": "-1"}, "The last day must be on or after the first."),
        ({"first_day": "2020-01-06"}, "That time has already passed."),
    ],
)
def test_invalid_time_off_shows_a_message_and_adds_nothing(
    app, client, auth, form, message, clinic
):
    practitioner = clinic.practitioner
    monday = ahead(0)
    data = {"first_day": str(monday), **form}
    if data.get("last_day") in ("+1", "-1"):
        data["last_day"] = str(monday + timedelta(days=int(data["last_day"])))
    auth.login("reception")
    response = client.post(f"/staff/practitioners/{practitioner.id}/time-off", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(TimeOff)).first() is None
    assert audit_entries(app, "time_off.add") == []


def test_time_off_is_audited_and_removing_it_frees_the_slots(app, client, auth, clinic):
    practitioner = clinic.practitioner
    monday = ahead(0)
    auth.login("reception")
    client.post(f"/staff/practitioners/{practitioner.id}/time-off", data={"first_day": str(monday)})
    (added,) = audit_entries(app, "time_off.add")
    assert added.subject_id == practitioner.id
    assert datetime.fromisoformat(added.after["start"]).astimezone(NY).date() == monday
    with app.app_context():
        off_id = db.session.execute(db.select(TimeOff.id)).scalar_one()

    response = client.post(f"/staff/practitioners/{practitioner.id}/time-off/{off_id}/delete")
    assert response.status_code == 302
    assert slots(client, monday, practitioner.id)
    (removed,) = audit_entries(app, "time_off.delete")
    assert removed.before == added.after and removed.after is None


def test_time_off_of_another_practitioner_cannot_be_removed_through_this_one(
    app, client, auth, clinic
):
    practitioner = clinic.practitioner
    auth.login("reception")
    client.post(
        f"/staff/practitioners/{clinic.colleague.id}/time-off", data={"first_day": str(ahead(1))}
    )
    with app.app_context():
        off_id = db.session.execute(db.select(TimeOff.id)).scalar_one()
    client.post(f"/staff/practitioners/{practitioner.id}/time-off/{off_id}/delete")
    with app.app_context():
        assert db.session.get(TimeOff, off_id) is not None
    assert audit_entries(app, "time_off.delete") == []


def test_booking_inside_new_time_off_needs_rescheduling_and_stays_booked(
    app, client, auth, free_slot, make_booking, clinic
):
    practitioner = clinic.practitioner
    slot = free_slot(days_ahead=3, practitioner_id=practitioner.id)
    reference = make_booking(slot, name="Ann Lee")["reference"]
    booking_id, _ = booking_by_reference(app, reference)
    auth.login("reception")
    page = client.get(f"/staff/practitioners/{practitioner.id}").get_data(as_text=True)
    assert "Needs rescheduling" in page
    assert f'href="/staff/bookings/{booking_id}"' not in page

    response = client.post(
        f"/staff/practitioners/{practitioner.id}/time-off",
        data={"first_day": str(slot.start.astimezone(NY).date())},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "1 booking no longer fits" in page
    section = page.split('id="needs-rescheduling"')[1].split("</section>")[0]
    assert "Ann Lee" in section and "in time off" in section
    assert f'href="/staff/bookings/{booking_id}"' in section
    assert f'href="/staff/bookings/{booking_id}/move"' in section
    assert booking_by_reference(app, reference) == (booking_id, "booked")
    listing = client.get("/staff/practitioners").get_data(as_text=True)
    assert "1 booking needs rescheduling" in listing


def test_booking_outside_new_hours_needs_rescheduling(
    app, client, auth, free_slot, make_booking, clinic
):
    practitioner = clinic.practitioner
    slot = free_slot(days_ahead=3, practitioner_id=practitioner.id)
    reference = make_booking(slot)["reference"]
    booking_id, _ = booking_by_reference(app, reference)
    day = DAYS[slot.start.astimezone(NY).weekday()]
    auth.login("reception")
    week = {k: v for k, v in NINE_TO_FIVE.items() if k != day}
    page = client.post(
        f"/staff/practitioners/{practitioner.id}/hours",
        data=hours_form(week),
        follow_redirects=True,
    ).get_data(as_text=True)
    section = page.split('id="needs-rescheduling"')[1].split("</section>")[0]
    assert f'href="/staff/bookings/{booking_id}/move"' in section
    assert "outside working hours" in section
    assert booking_by_reference(app, reference) == (booking_id, "booked")


def test_unknown_practitioner_is_404(client, auth):
    auth.login("reception")
    assert client.get("/staff/practitioners/99").status_code == 404
    assert client.get("/staff/practitioners/99/hours").status_code == 404


def test_a_ticked_day_sent_without_times_is_refused_not_filled_from_saved_hours(
    app, client, auth, clinic
):
    practitioner = clinic.practitioner
    auth.login("reception")
    before = stored_hours(app, practitioner.id)
    data = hours_form(NINE_TO_FIVE)
    del data["monday_start"], data["monday_end"]
    response = client.post(f"/staff/practitioners/{practitioner.id}/hours", data=data)
    assert response.status_code == 422
    assert "Monday: enter the start time, or untick the day." in response.get_data(as_text=True)
    assert stored_hours(app, practitioner.id) == before
