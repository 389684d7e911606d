"""Edge input at every URL that reads a date, an id or text: a 4xx (or the page's own
fallback with its message), never a 500, and nothing stored.

The inputs are the ones that once gave 500s: dates in year 1 or 9999, ids beyond the
columns, NUL and other control characters (PostgreSQL refuses a NUL outright; SQLite
stored it), CR/LF in names that reach email headers, and JSON nested 1,000 deep.
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest
from icalendar import Calendar
from sqlalchemy import text as sql

from booking.extensions import db
from booking.models import Booking
from booking.models.base import MAX_ID
from booking.views.params import IdConverter
from tests.conftest import NO_FLAGS
from tests.database import POSTGRES_URL
from tests.mail import rendered

BAD_DATES = ["0001-01-01", "9999-12-31"]
BAD_STARTS = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:00-05:00"]
OUT_OF_YEARS = "Choose dates from 2000 to 2099"
# Just past PostgreSQL's integer column, and past SQLite's (and Python's C long).
HUGE_IDS = [MAX_ID + 1, 2**64]
# Never allowed anywhere a person types (tests/domain/test_text.py has every kind).
CONTROLS = ["\x00", "\x1b"]
# Also refused in one-line values: what would end an email header or a calendar line.
LINE_BREAKS = ["\r\n", "\u2028"]
ONE_LINE = "Remove the line breaks and other control characters."
LINES = "Remove the control characters"
DEEP_BODIES = [
    "[" * 1000 + "]" * 1000,
    '{"a":' * 1000 + "1" + "}" * 1000,
    # Parsed without trouble, but deeper than any body the APIs take.
    json.dumps({"patient": json.loads('{"a":' * 11 + "1" + "}" * 11)}),
]
TOO_DEEP = "nested too deeply"


@dataclass
class Scene:
    """A patient's booking, the owner signed in, and a free time to book."""

    token: str
    booking_id: int
    practitioner_id: int
    service_id: int
    start: str  # a free time, ISO 8601
    start_practitioner: int

    def book_url(self, start: str | None = None) -> str:
        query = urlencode({"start": start or self.start, "practitioner": self.start_practitioner})
        return f"/book/neck-initial?{query}"

    def staff_new_url(self, start: str | None = None, practitioner: object = None) -> str:
        query = urlencode(
            {"start": start or self.start, "practitioner": practitioner or self.start_practitioner}
        )
        return f"/staff/bookings/new?{query}"


@pytest.fixture
def scene(app, auth, clinic, make_booking, free_slot) -> Scene:
    booked = make_booking(practitioner=clinic.practitioner, days_ahead=2)
    with app.app_context():
        booking_id = db.session.execute(
            db.select(Booking.id).filter_by(reference=booked["reference"])
        ).scalar_one()
    slot = free_slot(days_ahead=5)
    auth.login("owner")
    return Scene(
        token=booked["manage_token"],
        booking_id=booking_id,
        practitioner_id=clinic.practitioner.id,
        service_id=clinic.service("neck-initial").id,
        start=slot.start.isoformat(),
        start_practitioner=slot.practitioner_id,
    )


def stored(app) -> dict[str, list]:
    """Every row of every table but the signed-in session's (its last use moves) and the
    record of who opened what (a page shown after a refusal is a look, not a change)."""
    with app.app_context():
        db.session.expire_all()
        return {
            table.name: sorted(map(repr, db.session.execute(table.select()).all()))
            for table in db.metadata.sorted_tables
            if table.name not in ("staff_session", "record_access")
        }


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def message_of(response) -> str:
    """What the person is told: the JSON error's message and fields, or the page's text."""
    if response.is_json:
        error = response.get_json()["error"]
        return " ".join([error["message"], *error.get("fields", {}).values()])
    return page_text(response)


def check(client, app, method, url, *, status, message=None, **request):
    """The request is refused with `status` (a fallback page after redirects for 200) and
    `message`, and nothing is stored."""
    before = stored(app)
    response = client.open(url, method=method, follow_redirects=status == 200, **request)
    assert response.status_code == status, (url, response.status_code, page_text(response)[:400])
    if message:
        assert message in message_of(response), (url, message_of(response)[:600])
    assert stored(app) == before, f"{method} {url} stored something"
    return response


def booking_body(scene: Scene, **changes) -> dict:
    body = {
        "service": "neck-initial",
        "start": scene.start,
        "practitioner": scene.start_practitioner,
        "patient": {"name": "Ann Lee", "email": "ann@example.com", "phone": "207 555 0100"},
        "screening": dict(NO_FLAGS),
        "disclaimer_accepted": True,
    }
    body.update(changes)
    return body


def staff_body(scene: Scene, **changes) -> dict:
    body = {
        "service": "neck-initial",
        "start": scene.start,
        "practitioner": scene.start_practitioner,
        "patient": {"name": "Wanda Walkin", "phone": "207 555 0188"},
        "source": "phone",
        "screening": dict(NO_FLAGS),
        "disclaimer_read": True,
    }
    body.update(changes)
    return body


def details_form(**changes) -> dict:
    form = {
        "name": "Ann Lee",
        "email": "ann@example.com",
        "phone": "207 555 0100",
        "disclaimer": "y",
        **{key: "no" for key in NO_FLAGS},
    }
    form.update(changes)
    return form


def staff_form(**changes) -> dict:
    form = {
        "service": "neck-initial",
        "source": "walk-in",
        "name": "Wanda Walkin",
        "phone": "207 555 0188",
        "email": "",
        "disclaimer_read": "y",
        **{key: "no" for key in NO_FLAGS},
    }
    form.update(changes)
    return form


def service_form(scene: Scene, **changes) -> dict:
    form = {
        "name": "Back pain: short follow-up",
        "slug": "back-short",
        "condition": "back",
        "kind": "follow-up",
        "description": "A 30-minute session for patients well into a course.",
        "duration_minutes": "30",
        "buffer_minutes": "10",
        "price_cents": "60",
        "course_min": "4",
        "course_typical": "6",
        "course_max": "8",
        "package_kind": "none",
        "practitioner_ids": [str(scene.practitioner_id)],
    }
    form.update(changes)
    return form


def settings_form(**changes) -> dict:
    form = {
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
        "disclaimer": "Acupuncture complements, and does not replace, seeing your GP or doctor.",
    }
    form.update(changes)
    return form


def practitioner_form(scene: Scene, **changes) -> dict:
    form = {
        "name": "Pat Newcomer",
        "title": "Licensed acupuncturist",
        "bio": "Ten years in practice.",
        "services": [str(scene.service_id)],
    }
    form.update(changes)
    return form


# Dates in year 1 and 9999
#
# Each case: (method, url, request keywords, expected status, message); `d` is the bad
# date and `t` the bad start time. 200 means the page's own fallback, after redirects.

DATE_CASES = {
    "api availability": lambda s, d, t: (
        "GET",
        f"/api/v1/availability?service=neck-initial&from={d}&to={d}",
        {},
        422,
        OUT_OF_YEARS,
    ),
    "api book": lambda s, d, t: (
        "POST",
        "/api/v1/bookings",
        {"json": booking_body(s, start=t)},
        422,
        OUT_OF_YEARS,
    ),
    "api reschedule": lambda s, d, t: (
        "POST",
        f"/api/v1/bookings/{s.token}/reschedule",
        {"json": {"start": t}},
        422,
        OUT_OF_YEARS,
    ),
    "staff api day": lambda s, d, t: (
        "GET",
        f"/api/v1/staff/calendar/day?date={d}",
        {},
        422,
        OUT_OF_YEARS,
    ),
    "staff api week": lambda s, d, t: (
        "GET",
        f"/api/v1/staff/calendar/week?practitioner={s.practitioner_id}&date={d}",
        {},
        422,
        OUT_OF_YEARS,
    ),
    "staff api book": lambda s, d, t: (
        "POST",
        "/api/v1/staff/bookings",
        {"json": staff_body(s, start=t)},
        422,
        OUT_OF_YEARS,
    ),
    "staff api move": lambda s, d, t: (
        "POST",
        f"/api/v1/staff/bookings/{s.booking_id}/move",
        {"json": {"start": t}},
        422,
        OUT_OF_YEARS,
    ),
    "staff move": lambda s, d, t: (
        "POST",
        f"/staff/bookings/{s.booking_id}/move",
        {"data": {"start": t, "practitioner": str(s.practitioner_id)}},
        422,
        "Choose one of the free times shown.",
    ),
    "time off first day": lambda s, d, t: (
        "POST",
        f"/staff/practitioners/{s.practitioner_id}/time-off",
        {"data": {"first_day": d}},
        422,
        OUT_OF_YEARS,
    ),
    "time off last day": lambda s, d, t: (
        "POST",
        f"/staff/practitioners/{s.practitioner_id}/time-off",
        {"data": {"first_day": "2026-12-01", "last_day": d}},
        422,
        OUT_OF_YEARS,
    ),
    "reports": lambda s, d, t: ("GET", f"/admin/reports?from={d}&to={d}", {}, 400, OUT_OF_YEARS),
    "report csv": lambda s, d, t: (
        "GET",
        f"/admin/reports/revenue.csv?from={d}&to={d}",
        {},
        400,
        OUT_OF_YEARS,
    ),
    # Pages that already fall back for a date they cannot use, saying so.
    "times": lambda s, d, t: (
        "GET",
        f"/services/neck-initial/times?from={d}",
        {},
        200,
        "not recognised",
    ),
    "reschedule times": lambda s, d, t: (
        "GET",
        f"/manage/{s.token}/reschedule?from={d}",
        {},
        200,
        "not recognised",
    ),
    "details page": lambda s, d, t: ("GET", s.book_url(t), {}, 200, "Please choose a time first."),
    "details form": lambda s, d, t: (
        "POST",
        s.book_url(t),
        {"data": details_form()},
        200,
        "Please choose a time first.",
    ),
    "reschedule confirm page": lambda s, d, t: (
        "GET",
        f"/manage/{s.token}/reschedule/confirm?{urlencode({'start': t})}",
        {},
        200,
        "Please choose a new time.",
    ),
    "reschedule confirm": lambda s, d, t: (
        "POST",
        f"/manage/{s.token}/reschedule/confirm?{urlencode({'start': t})}",
        {},
        200,
        "Please choose a new time.",
    ),
    "staff day": lambda s, d, t: ("GET", f"/staff/?date={d}", {}, 200, "not recognised"),
    "staff week": lambda s, d, t: (
        "GET",
        f"/staff/week?practitioner={s.practitioner_id}&date={d}",
        {},
        200,
        "not recognised",
    ),
    "staff move page": lambda s, d, t: (
        "GET",
        f"/staff/bookings/{s.booking_id}/move?date={d}",
        {},
        200,
        "not recognised",
    ),
    "audit log": lambda s, d, t: ("GET", f"/staff/audit?date={d}", {}, 200, "not recognised"),
    "staff new booking": lambda s, d, t: (
        "GET",
        s.staff_new_url(t),
        {},
        200,
        "Choose a free time in the calendar first.",
    ),
}


@pytest.mark.parametrize(("bad_date", "bad_start"), list(zip(BAD_DATES, BAD_STARTS, strict=True)))
@pytest.mark.parametrize("case", DATE_CASES)
def test_dates_outside_the_calendar_years_are_refused(
    app, client, scene, case, bad_date, bad_start
):
    method, url, request, status, message = DATE_CASES[case](scene, bad_date, bad_start)
    check(client, app, method, url, status=status, message=message, **request)


# Ids beyond the columns


def id_rules(app) -> list:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(c, IdConverter) for c in rule._converters.values())
    ]


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_every_url_with_an_id_answers_a_huge_one_not_found(app, client, scene, huge):
    rules = id_rules(app)
    assert len(rules) >= 25, "every <id:...> route should be checked"
    for rule in rules:
        url = re.sub(r"<id:\w+>", str(huge), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            check(client, app, method, url, status=404)


ID_CASES = {
    "staff week": lambda s, n: ("GET", f"/staff/week?practitioner={n}", {}, 404, None),
    "staff api week": lambda s, n: (
        "GET",
        f"/api/v1/staff/calendar/week?practitioner={n}",
        {},
        422,
        "practitioner id",
    ),
    "api availability": lambda s, n: (
        "GET",
        f"/api/v1/availability?service=neck-initial&from=2026-12-01&to=2026-12-01&practitioner={n}",
        {},
        422,
        "practitioner id",
    ),
    "api book": lambda s, n: (
        "POST",
        "/api/v1/bookings",
        {"json": booking_body(s, practitioner=n)},
        422,
        "practitioner id",
    ),
    "api reschedule": lambda s, n: (
        "POST",
        f"/api/v1/bookings/{s.token}/reschedule",
        {"json": {"start": s.start, "practitioner": n}},
        422,
        "practitioner id",
    ),
    "staff api book patient": lambda s, n: (
        "POST",
        "/api/v1/staff/bookings",
        {"json": staff_body(s, patient_id=n)},
        422,
        "existing patient's id",
    ),
    "staff api book practitioner": lambda s, n: (
        "POST",
        "/api/v1/staff/bookings",
        {"json": staff_body(s, practitioner=n)},
        422,
        "practitioner id",
    ),
    "staff api move": lambda s, n: (
        "POST",
        f"/api/v1/staff/bookings/{s.booking_id}/move",
        {"json": {"start": s.start, "practitioner": n}},
        422,
        "practitioner id",
    ),
    "staff book patient": lambda s, n: (
        "POST",
        s.staff_new_url(),
        {"data": staff_form(patient_id=str(n))},
        422,
        "No such record.",
    ),
    "staff move": lambda s, n: (
        "POST",
        f"/staff/bookings/{s.booking_id}/move",
        {"data": {"start": s.start, "practitioner": str(n)}},
        422,
        "Choose one of the free times shown.",
    ),
    "staff new booking page": lambda s, n: (
        "GET",
        s.staff_new_url(practitioner=n),
        {},
        200,
        "Choose a free time in the calendar first.",
    ),
    "new service givers": lambda s, n: (
        "POST",
        "/admin/services/new",
        {"data": service_form(s, practitioner_ids=[str(n)])},
        422,
        None,
    ),
    "new service minutes": lambda s, n: (
        "POST",
        "/admin/services/new",
        {"data": service_form(s, duration_minutes=str(n))},
        422,
        None,
    ),
    "new practitioner services": lambda s, n: (
        "POST",
        "/admin/practitioners",
        {"data": practitioner_form(s, services=[str(n)])},
        422,
        None,
    ),
    "estimate sessions": lambda s, n: (
        "GET",
        f"/api/v1/estimate?service=neck-initial&sessions={n}",
        {},
        422,
        "whole number of sessions",
    ),
    # A practitioner the page does not know: everyone's times; a page far past the end.
    "times": lambda s, n: ("GET", f"/services/neck-initial/times?practitioner={n}", {}, 200, None),
    "audit page": lambda s, n: ("GET", f"/staff/audit?page={n}", {}, 200, None),
}


@pytest.mark.parametrize("huge", HUGE_IDS)
@pytest.mark.parametrize("case", ID_CASES)
def test_huge_ids_in_queries_and_bodies_are_refused(app, client, scene, case, huge):
    method, url, request, status, message = ID_CASES[case](scene, huge)
    check(client, app, method, url, status=status, message=message, **request)


# Control characters in what people type


def named(value: str) -> str:
    return f"Ann{value}Lee"


ONE_LINE_CASES = {
    "api patient name": lambda s, v: (
        "/api/v1/bookings",
        {"json": booking_body(s, patient={**booking_body(s)["patient"], "name": named(v)})},
        "patient.name",
    ),
    "api patient email": lambda s, v: (
        "/api/v1/bookings",
        {
            "json": booking_body(
                s, patient={**booking_body(s)["patient"], "email": f"ann{v}@example.com"}
            )
        },
        "patient.email",
    ),
    "details form name": lambda s, v: (s.book_url(), {"data": details_form(name=named(v))}, None),
    "staff api patient name": lambda s, v: (
        "/api/v1/staff/bookings",
        {"json": staff_body(s, patient={"name": named(v), "phone": "207 555 0188"})},
        "patient.name",
    ),
    "staff form name": lambda s, v: (s.staff_new_url(), {"data": staff_form(name=named(v))}, None),
    "new practitioner name": lambda s, v: (
        "/admin/practitioners",
        {"data": practitioner_form(s, name=named(v))},
        None,
    ),
    "practitioner title": lambda s, v: (
        f"/admin/practitioners/{s.practitioner_id}",
        {"data": practitioner_form(s, title=named(v))},
        None,
    ),
    "new service name": lambda s, v: (
        "/admin/services/new",
        {"data": service_form(s, name=named(v))},
        None,
    ),
    "clinic name": lambda s, v: ("/admin/settings", {"data": settings_form(name=named(v))}, None),
    "clinic address": lambda s, v: (
        "/admin/settings",
        {"data": settings_form(address=named(v))},
        None,
    ),
    "clinic phone": lambda s, v: (
        "/admin/settings",
        {"data": settings_form(phone=f"207{v}555 0142")},
        None,
    ),
    "account name": lambda s, v: (
        "/admin/accounts",
        {
            "data": {
                "name": named(v),
                "email": "new@clinic.test",
                "role": "reception",
                "generate": "y",
            }
        },
        None,
    ),
    "time off reason": lambda s, v: (
        f"/staff/practitioners/{s.practitioner_id}/time-off",
        {"data": {"first_day": "2026-12-21", "reason": named(v)}},
        None,
    ),
}


@pytest.mark.parametrize("value", CONTROLS + LINE_BREAKS, ids=repr)
@pytest.mark.parametrize("case", ONE_LINE_CASES)
def test_one_line_fields_refuse_control_characters_and_line_breaks(app, client, scene, case, value):
    url, request, field = ONE_LINE_CASES[case](scene, value)
    response = check(client, app, "POST", url, status=422, message=ONE_LINE, **request)
    if field:
        assert response.get_json()["error"]["fields"][field] == ONE_LINE


MULTI_LINE_CASES = {
    "api cancel reason": lambda s, v: (
        f"/api/v1/bookings/{s.token}/cancel",
        {"json": {"reason": f"Feeling{v}better"}},
        422,
        "Give the reason as text",
    ),
    "staff api cancel reason": lambda s, v: (
        f"/api/v1/staff/bookings/{s.booking_id}/cancel",
        {"json": {"reason": f"Patient{v}phoned"}},
        422,
        "Give the reason as text",
    ),
    "cancel form reason": lambda s, v: (
        f"/manage/{s.token}/cancel",
        {"data": {"reason": f"Feeling{v}better"}},
        422,
        LINES,
    ),
    "practitioner bio": lambda s, v: (
        f"/admin/practitioners/{s.practitioner_id}",
        {"data": practitioner_form(s, bio=f"Ten years{v}in practice.")},
        422,
        LINES,
    ),
    "service description": lambda s, v: (
        "/admin/services/new",
        {"data": service_form(s, description=f"A short{v}session.")},
        422,
        LINES,
    ),
    "disclaimer": lambda s, v: (
        "/admin/settings",
        {"data": settings_form(disclaimer=settings_form()["disclaimer"] + v)},
        422,
        LINES,
    ),
    # Reception's note and cancel forms go back to the booking, saying why.
    "staff note": lambda s, v: (
        f"/staff/bookings/{s.booking_id}/note",
        {"data": {"note": f"Called{v}twice"}},
        200,
        LINES,
    ),
    "staff cancel reason": lambda s, v: (
        f"/staff/bookings/{s.booking_id}/cancel",
        {"data": {"reason": f"Patient{v}phoned"}},
        200,
        LINES,
    ),
}


@pytest.mark.parametrize("value", CONTROLS, ids=repr)
@pytest.mark.parametrize("case", MULTI_LINE_CASES)
def test_multi_line_fields_refuse_control_characters(app, client, scene, case, value):
    url, request, status, message = MULTI_LINE_CASES[case](scene, value)
    check(client, app, "POST", url, status=status, message=message, **request)


def test_multi_line_fields_keep_their_line_breaks(app, client, scene):
    response = client.post(
        f"/staff/bookings/{scene.booking_id}/note", data={"note": "Called twice\r\nno answer"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Booking, scene.booking_id).note == "Called twice\r\nno answer"


TEXT_IN_URLS = {
    "service page": ("/services/neck{}initial", 404),
    "times": ("/services/neck{}initial/times", 404),
    "details": ("/book/neck{}initial", 404),
    "manage": ("/manage/abc{}def", 404),
    "manage calendar": ("/manage/abc{}def/calendar.ics", 404),
    "api booking": ("/api/v1/bookings/abc{}def", 404),
    "feed": ("/feeds/abc{}def.ics", 410),  # a link that works no more, like any unknown one
    "report csv": ("/admin/reports/revenue{}.csv", 404),
    "api availability": (
        "/api/v1/availability?service=neck{}initial&from=2026-12-01&to=2026-12-01",
        422,
    ),
    "api estimate": ("/api/v1/estimate?service=neck{}initial", 422),
    "audit area": ("/staff/audit?action=booking{}", 200),
    "times practitioner": ("/services/neck-initial/times?practitioner=1{}", 200),
}


@pytest.mark.parametrize("value", ["\x00", "\x01", "\r\n"], ids=repr)
@pytest.mark.parametrize("case", TEXT_IN_URLS)
def test_control_characters_in_urls_are_refused(app, client, scene, case, value):
    url, status = TEXT_IN_URLS[case]
    check(client, app, "GET", url.format(quote(value)), status=status)


def test_a_service_with_a_nul_in_its_name_is_unknown(app, client, scene):
    check(
        client,
        app,
        "POST",
        "/api/v1/bookings",
        json=booking_body(scene, service="neck\x00initial"),
        status=422,
        message="Unknown service",
    )


@pytest.mark.parametrize("value", ["\x00", "\x01", "\r\n"], ids=repr)
def test_searches_ignore_control_characters(app, client, scene, value):
    query = quote(f"Ann{value}")
    found = check(client, app, "GET", f"/api/v1/staff/patients?q={query}", status=200)
    assert [p["name"] for p in found.get_json()["patients"]] == ["Ann Lee"]
    page = check(client, app, "GET", f"/staff/patients?q={query}", status=200)
    assert "Ann Lee" in page_text(page)
    check(client, app, "GET", scene.staff_new_url() + f"&q={query}", status=200, message="Ann Lee")


@pytest.mark.parametrize("value", ["\x00", "\r\n"], ids=repr)
def test_sign_in_with_a_control_character_is_refused_not_looked_up(app, client, auth, value):
    response = check(
        client,
        app,
        "POST",
        "/login",
        data={"email": f"owner{value}@clinic.test", "password": "whatever it is"},
        status=200,
        message=ONE_LINE,
    )
    assert "Sign out" not in page_text(response)


# Bodies nested too deep

DEEP_URLS = {
    "api book": lambda s: "/api/v1/bookings",
    "api cancel": lambda s: f"/api/v1/bookings/{s.token}/cancel",
    "api reschedule": lambda s: f"/api/v1/bookings/{s.token}/reschedule",
    "staff api book": lambda s: "/api/v1/staff/bookings",
    "staff api move": lambda s: f"/api/v1/staff/bookings/{s.booking_id}/move",
    "staff api cancel": lambda s: f"/api/v1/staff/bookings/{s.booking_id}/cancel",
    "staff api status": lambda s: f"/api/v1/staff/bookings/{s.booking_id}/status",
}


@pytest.mark.parametrize("body", DEEP_BODIES, ids=["array", "object", "eleven levels"])
@pytest.mark.parametrize("case", DEEP_URLS)
def test_bodies_nested_too_deep_are_refused(app, client, scene, case, body):
    response = check(
        client,
        app,
        "POST",
        DEEP_URLS[case](scene),
        data=body,
        content_type="application/json",
        status=422,
        message=TOO_DEEP,
    )
    assert response.get_json()["error"]["code"] == "too_deep"


# Rows saved before these rules: nothing written from them breaks a header or a line


@pytest.fixture
def old_rows(app, scene):
    """The booking's patient, practitioner and clinic as rows could hold them before."""
    # PostgreSQL never stored a NUL; SQLite did.
    nul = "" if POSTGRES_URL else "\x00"
    with app.app_context():
        booking = db.session.get(Booking, scene.booking_id)
        booking.patient.name = f"Ann{nul}\x01\r\nBcc: victim@evil.example"
        booking.practitioner.name = f"Dr{nul} \x1bWho\r\nX-Injected: yes"
        booking.service.name = f"Neck{nul}\x7f\nconsultation"
        db.session.execute(
            sql("UPDATE clinic_settings SET name = :name, address = :address"),
            {"name": f"Harbourside{nul}\r\nBcc: all@evil.example", "address": "24\x01 Harbour\nSt"},
        )
        db.session.commit()
    return scene


CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def assert_clean_calendar(body: bytes) -> None:
    # Lines end in CRLF; no other control character anywhere, and no line a name began.
    lines = body.decode().split("\r\n")
    assert not [line for line in lines if CONTROL_CHARACTER.search(line) or "\n" in line]
    assert not [line for line in lines if line.startswith(("Bcc", "X-Injected"))]
    Calendar.from_ical(body)


def test_emails_from_old_rows_keep_their_headers(app, client, old_rows):
    response = client.post(f"/api/v1/bookings/{old_rows.token}/cancel", json={})
    assert response.status_code == 200
    with app.app_context():
        raw = rendered("cancellation")
    message = email.message_from_string(raw, policy=email.policy.default)
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert [a.addr_spec for a in message["To"].addresses] == ["ann@example.com"]
    for header in ("To", "From", "Subject", "Reply-To"):
        assert not CONTROL_CHARACTER.search(str(message[header])), header
        assert "\n" not in str(message[header]) and "\r" not in str(message[header])
    attachment = next(part for part in message.iter_attachments())
    assert_clean_calendar(attachment.get_content().encode())


def test_calendar_files_from_old_rows_hold_no_control_characters(app, client, old_rows):
    response = client.get(f"/manage/{old_rows.token}/calendar.ics")
    assert response.status_code == 200
    assert_clean_calendar(response.data)
    made = client.post(f"/staff/practitioners/{old_rows.practitioner_id}/feed")
    token = re.search(r"/feeds/([A-Za-z0-9_\-]+)\.ics", made.get_data(as_text=True)).group(1)
    feed = client.get(f"/feeds/{token}.ics")
    assert feed.status_code == 200
    assert_clean_calendar(feed.data)
