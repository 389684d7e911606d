"""The API's contract as OpenAPI 3.1: the patient API (/api/v1) and the staff API
(/api/v1/staff), served at /api/v1/openapi.json and read by people at /api/v1/docs.

It is written here, beside the views, and held to them by the tests, so it cannot
drift: every route is documented and every documented operation is a route
(tests/api/test_openapi.py); every answer the whole test suite receives from the API is
validated against its operation's documented status and schema (tests/conftest.py);
and Schemathesis fuzzes the running app with it on both engines
(tests/test_schemathesis.py). Enumerations come from the domain's own constants.
"""

from __future__ import annotations

from functools import cache

from booking.domain import screening
from booking.domain import waitlist as waitlist_rules
from booking.domain.availability import MAX_RANGE_DAYS
from booking.domain.estimates import MAX_SESSIONS
from booking.domain.outcomes import CONTINUE, DECISIONS, REFERRALS, REFERRED
from booking.domain.statuses import STATUSES
from booking.forms.public import PHONE_PATTERN
from booking.models.booking import SOURCES
from booking.models.service import CONDITIONS, KINDS
from booking.services.bookings import MARKABLE
from booking.services.clearances import CLEARED_BY_MAX, NOTE_MAX
from booking.services.outcomes import REASON_MAX

VERSION = "1.0.0"

# Every error code the API answers with, and what it means. Clients branch on `code`;
# `message` is for people and may be reworded.
ERROR_CODES = {
    "invalid_json": "400: the body does not parse as JSON, or is not a JSON object.",
    "csrf_failed": "400: a signed-in staff call without a valid X-CSRFToken header.",
    "bad_request": "400: the request could not be read at all.",
    "unauthorized": "401: not signed in as staff.",
    "forbidden": "403: signed in, but this needs the owner.",
    "two_factor_required": "403: the clinic requires two-step sign-in and this account "
    "has not set it up yet.",
    "not_found": "404: no such resource, or a manage link that matches nothing.",
    "method_not_allowed": "405: the path exists but not with this method (see `Allow`).",
    "conflict": "409: refused because of the state things are in now.",
    "slot_taken": "409: the time is no longer free (booked, or held for someone on the waitlist).",
    "too_late": "409: inside the clinic's notice for changes; call the clinic.",
    "not_changeable": "409: the booking's status does not allow this (e.g. cancelled).",
    "course_fully_booked": "409: every planned session of the course is booked.",
    "follow_up_not_offered": "409: the clinic offers no follow-up for this service.",
    "slot_not_offered": "409: that time was not among the times offered.",
    "red_flag_waiting": "409: the patient reported a red-flag symptom that waits for a "
    "doctor's clearance.",
    "check_in_closed": "409: the before-visit questions are not open for this visit now.",
    "offer_expired": "409: no time is held for this waitlist place any more.",
    "already_waiting": "409: this patient is already on the waitlist for the service.",
    "not_waiting": "409: the waitlist place is no longer waiting (booked, left or closed).",
    "has_future_bookings": "409: the patient still has bookings to come.",
    "already_erased": "409: the patient's details were erased already.",
    "too_large": "413: the body is over 64 KiB.",
    "unsupported_media_type": "415: the body is not sent as application/json.",
    "validation_error": "422: input that breaks a rule; `fields` names each field.",
    "invalid": "422: input that cannot be used.",
    "booking_error": "422: the booking cannot be made as asked (e.g. outside the "
    "practitioner's hours or the booking horizon).",
    "red_flag": "422: a screening answer is a red-flag symptom: see a doctor first. "
    "`fields` names the symptoms reported; nothing is booked.",
    "too_deep": "422: JSON nested deeper than the API reads.",
    "rate_limited": "429: too many requests from this address or for this patient; "
    "`Retry-After` says when to try again.",
    "unavailable": "503: the database is out for a moment; `Retry-After` says when to try again.",
}

ERROR_STATUS = {
    400: "The body is not a JSON object (`invalid_json`).",
    401: "Not signed in as staff.",
    403: "Needs the owner, or two-step sign-in set up first.",
    404: "Nothing matches (an unknown id, or a manage link that matches nothing).",
    409: "Refused because of the state things are in now: see `code`.",
    413: "The body is over 64 KiB.",
    415: "The body is not `application/json`.",
    422: "Input that breaks a rule: `fields` names each field and says why.",
    429: "Too many requests: wait `Retry-After` seconds.",
    503: "The database is out for a moment: try again after `Retry-After` seconds.",
}

STRING = {"type": "string"}
TEXT = {"type": "string", "maxLength": 300}
CLEARED_BY = {"type": "string", "maxLength": CLEARED_BY_MAX, "description": "Who saw them."}
NOTE = {"type": "string", "maxLength": NOTE_MAX}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
DATE = {"type": "string", "format": "date", "examples": ["2026-12-14"]}
INSTANT = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601 with the clinic's UTC offset.",
    "examples": ["2026-12-14T10:00:00-05:00"],
}
SLUG = {
    "type": "string",
    "description": "A service's slug, as GET /api/v1/services lists them.",
    "examples": ["neck-initial"],
}
CLOCK = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "examples": ["09:30"]}
TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "description": "The private token of the patient's manage (or waitlist) link.",
    "schema": {"type": "string", "maxLength": 200},
}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict, required: tuple | list | None = None, **extra) -> dict:
    """A closed object: a field the code gives that is not documented fails the tests.
    `required` defaults to every property."""
    body = {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else list(required),
        "additionalProperties": False,
    }
    body.update(extra)
    return body


def array(items: dict, **extra) -> dict:
    return {"type": "array", "items": items, **extra}


def enum(values, **extra) -> dict:
    return {"type": "string", "enum": list(values), **extra}


def id_param(name: str, what: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"The {what}'s id.",
        "schema": {"type": "integer", "minimum": 1},
    }


def query(name: str, description: str, schema: dict | None = None, required=False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema or STRING,
    }


def json_content(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def answer(description: str, schema: dict | None, headers: dict | None = None) -> dict:
    body: dict = {"description": description}
    if schema is not None:
        body["content"] = json_content(schema)
    if headers:
        body["headers"] = headers
    return body


NOT_MODIFIED = {
    "304": {
        "description": "Not modified: the `ETag` sent in `If-None-Match` is still current.",
        "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
    }
}


STAFF_400 = (
    "The body is not a JSON object (`invalid_json`), or the `X-CSRFToken` header is "
    "missing or wrong (`csrf_failed`)."
)


def with_errors(ok: dict, errors: tuple[int, ...], *, staff: bool = False) -> dict:
    """The success answers, then the error statuses each with the error envelope."""
    responses = dict(ok)
    for status in (*errors, 503):
        headers = None
        if status in (429, 503):
            headers = {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}}
        described = STAFF_400 if staff and status == 400 else ERROR_STATUS[status]
        responses[str(status)] = answer(described, ref("Error"), headers)
    return responses


def operation(
    op_id: str,
    tag: str,
    summary: str,
    ok: dict,
    errors: tuple[int, ...],
    *,
    description: str = "",
    parameters: list | None = None,
    body: dict | None = None,
    body_optional: bool = False,
    staff: bool = False,
    write: bool = False,
) -> dict:
    """One operation; `write`: a staff POST with no body (still CSRF-checked)."""
    op: dict = {"operationId": op_id, "tags": [tag], "summary": summary}
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = {"required": not body_optional, "content": json_content(body)}
    if staff:
        op["security"] = [{"staffSession": []}]
        errors = (*errors, 401, 403)
        if write:
            errors = (*errors, 400)  # csrf_failed
    if body is not None:
        errors = (*errors, 400, 413, 415)
    op["responses"] = with_errors(ok, tuple(sorted(set(errors))), staff=staff)
    return op


# --- schemas --------------------------------------------------------------------------

MONEY = obj(
    {
        "amount": {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["85.00"]},
        "currency": {"type": "string", "examples": ["USD"]},
    }
)
NAMED = obj({"id": INTEGER, "name": STRING})
SERVICE_REF = obj({"slug": STRING, "name": STRING})


def screening_schema() -> dict:
    props = {key: BOOLEAN for key in screening.KEYS}
    props.update({key: BOOLEAN for key in screening.FOLLOW_UP_KEYS})
    lines = [f"- `{q.key}`: {q.text}" for q in (*screening.QUESTIONS, *screening.FOLLOW_UPS)]
    return obj(
        props,
        list(screening.KEYS),
        description="The red-flag screening: every question answered true or false "
        "(the cancer follow-ups only after a yes to `cancer_history`). A red flag "
        "answers 422 `red_flag` and books nothing: the patient is asked to see a doctor "
        "first.\n\n" + "\n".join(lines),
    )


def patient_in(extra: dict | None = None, required=("name", "email", "phone")) -> dict:
    props = {
        "name": {"type": "string", "minLength": 1, "maxLength": 120},
        "email": {"type": "string", "format": "email", "maxLength": 254},
        "phone": {
            "type": "string",
            "pattern": PHONE_PATTERN,
            "description": "At least 6 digits; spaces, brackets, dots, dashes, a leading +.",
            "examples": ["(207) 555-0142"],
        },
        **(extra or {}),
    }
    return obj(props, list(required))


def change_schema() -> dict:
    number = {"type": "number"}
    return nullable(
        obj(
            {
                "first": number,
                "first_session": INTEGER,
                "latest": number,
                "latest_session": INTEGER,
                "change_points": number,
                "change_percent": nullable(number),
                "meaningful_improvement": BOOLEAN,
            }
        )
    )


def decision_schema(staff: bool) -> dict:
    props = {
        "kind": enum(DECISIONS),
        "refer_to": nullable(enum(REFERRALS)),
        "decided_at": INSTANT,
    }
    if staff:
        props.update(
            id=INTEGER,
            label=STRING,
            reason=STRING,
            planned_sessions=nullable(INTEGER),
            at_session=INTEGER,
            prompted=nullable(STRING),
            decided_by=nullable(STRING),
        )
    return obj(props)


def outcome_schema(staff: bool) -> dict:
    props = {
        "status": STRING,
        "measured_by": nullable(STRING),
        "pain": change_schema(),
        "peg": change_schema(),
        "meaningful_improvement": BOOLEAN,
        "worse_than_at_start": BOOLEAN,
        "sessions_to_improvement": nullable(INTEGER),
        "summary": STRING,
        "decision": nullable(ref("StaffDecision" if staff else "Decision")),
    }
    if staff:
        props["prompt"] = nullable(
            obj(
                {
                    "level": enum(("review", "refer")),
                    "reason": enum(("half", "planned", "worse")),
                    "heading": STRING,
                    "message": STRING,
                }
            )
        )
        props["decisions"] = array(ref("StaffDecision"))
    return obj(props)


def course_schema(staff: bool, *, booking: bool = True) -> dict:
    props = {
        "condition": STRING,
        "opened_at": INSTANT,
        "planned_sessions": INTEGER,
        "planned_by_practitioner": BOOLEAN,
        "done": INTEGER,
        "booked_ahead": INTEGER,
        "missed": INTEGER,
        "to_book": INTEGER,
        "package_sessions": nullable(INTEGER),
        "package_sessions_left": nullable(INTEGER),
        "charged_so_far": MONEY,
        "remaining_estimate": MONEY,
    }
    required = list(props)
    if booking:
        props["session_number"] = nullable(INTEGER)
        props["outcome"] = ref("StaffOutcome" if staff else "Outcome")
        required += ["session_number", "outcome"]
    return obj(props, required, description="The patient's course of treatment.")


PAIN_SCORE = obj(
    {
        "session": INTEGER,
        "booking": STRING,
        "start": INSTANT,
        "pain": nullable({"type": "integer", "minimum": 0, "maximum": 10}),
        "peg": nullable({"type": "number"}),
        "entered_by": enum(("patient", "staff")),
        "entered_at": INSTANT,
    }
)
CHECK_IN_STATE = obj(
    {
        "open": BOOLEAN,
        "opens_at": INSTANT,
        "peg_due": BOOLEAN,
        "pain": nullable(INTEGER),
        "new_red_flags": nullable(array(STRING)),
    },
    description="Whether the questions before this visit are open now, and the answers.",
)


def booking_schema() -> dict:
    return obj(
        {
            "reference": STRING,
            "status": enum(STATUSES),
            "service": SERVICE_REF,
            "start": INSTANT,
            "end": INSTANT,
            "practitioner": NAMED,
            "price": MONEY,
            "change_deadline": INSTANT,
            "course": nullable(ref("Course")),
            "uses_insurance": nullable(BOOLEAN),
            "good_faith_estimate": nullable(
                obj({"version": INTEGER, "issued_at": INSTANT, "total": MONEY})
            ),
            "pain_scores": array(PAIN_SCORE),
            "check_in": CHECK_IN_STATE,
        },
        description="A booking as its patient sees it.",
    )


def extended(base: dict, extra: dict, required: tuple = (), description: str = "") -> dict:
    body = {
        **base,
        "properties": {**base["properties"], **extra},
        "required": [*base["required"], *required],
    }
    if description:
        body["description"] = description
    return body


def booked_schema() -> dict:
    return extended(
        booking_schema(),
        {
            "manage_token": STRING,
            "manage_url": {"type": "string", "format": "uri"},
            "good_faith_estimate_url": {"type": "string", "format": "uri"},
        },
        ("manage_token", "manage_url"),
        "The booking just made, with its private manage link (also emailed). Keep the "
        "token: it is the only key to the booking.",
    )


def checked_in_schema() -> dict:
    return extended(
        booking_schema(),
        {
            "red_flags": nullable(
                obj(
                    {
                        "reported": array(enum(screening.KEYS)),
                        "urgent": BOOLEAN,
                        "advice": STRING,
                        "urgent_advice": nullable(STRING),
                        "booking_kept": {"const": True},
                    }
                )
            )
        },
        ("red_flags",),
        "The booking after the answers; `red_flags` lists symptoms reported as new that "
        "wait for a doctor (the booking is kept; reception is told).",
    )


def slot_schema() -> dict:
    return obj({"start": INSTANT, "end": INSTANT, "practitioner": NAMED})


def series_session() -> dict:
    return obj(
        {
            "number": INTEGER,
            "start": INSTANT,
            "free": BOOLEAN,
            "end": INSTANT,
            "practitioner": NAMED,
            "alternatives": array(ref("Slot")),
        },
        ["number", "start", "free", "alternatives"],
    )


def offer_schema() -> dict:
    return obj(
        {
            "status": enum(waitlist_rules.OFFER_STATUSES),
            "start": INSTANT,
            "end": INSTANT,
            "practitioner": NAMED,
            "service": STRING,
            "held_until": INSTANT,
        },
        description="A time held for this waitlist place until `held_until`.",
    )


def waitlist_schema(staff: bool) -> dict:
    props = {
        "status": enum(waitlist_rules.ENTRY_STATUSES),
        "position": nullable(INTEGER),
        "service": STRING,
        "practitioner": nullable(NAMED),
        "earliest": DATE,
        "latest": DATE,
        "days": array(enum(waitlist_rules.WEEKDAY_NAMES)),
        "parts_of_day": array(enum(waitlist_rules.PARTS_OF_DAY)),
        "between": nullable(obj({"from": CLOCK, "to": CLOCK})),
        "described": STRING,
        "closes_on": DATE,
        "offer": nullable(ref("Offer")),
        "booking": nullable(STRING),
    }
    if staff:
        props.update(id=INTEGER, patient=ref("Patient"), source=enum(SOURCES))
    return obj(props)


def wish_properties() -> dict:
    return {
        "earliest": DATE,
        "latest": DATE,
        "parts_of_day": array(enum(waitlist_rules.PARTS_OF_DAY), uniqueItems=True),
        "days": array(enum(waitlist_rules.WEEKDAY_NAMES), uniqueItems=True),
        "between": obj({"from": CLOCK, "to": CLOCK}),
        "practitioner": {
            "description": "A practitioner's id, or `any` (the default).",
            "anyOf": [{"type": "integer", "minimum": 1}, {"const": "any"}],
        },
    }


def calendar_booking() -> dict:
    return obj(
        {
            "id": INTEGER,
            "reference": STRING,
            "start": INSTANT,
            "end": INSTANT,
            "status": enum(STATUSES),
            "practitioner": NAMED,
            "patient": NAMED,
            "service": SERVICE_REF,
        }
    )


def staff_booking() -> dict:
    base = calendar_booking()
    props = {
        **base["properties"],
        "patient": obj({"id": INTEGER, "name": STRING, "email": STRING, "phone": STRING}),
        "price": MONEY,
        "source": enum(SOURCES),
        "note": nullable(STRING),
        "cancel_reason": nullable(STRING),
        "created_at": INSTANT,
        "transitions": array(enum(STATUSES)),
        "course": nullable(ref("StaffCourse")),
        "pain_scores": array(PAIN_SCORE),
        "check_in": CHECK_IN_STATE,
    }
    return obj(
        props,
        description="A booking as reception sees it: contact details, source, note, the "
        "statuses it can be marked next.",
    )


def calendar_schema(extra: dict) -> dict:
    span = obj({"start": INSTANT, "end": INSTANT})
    column = obj(
        {
            "practitioner": NAMED,
            "date": DATE,
            "hours": array(span),
            "breaks": array(span),
            "time_off": array(span),
            "bookings": array(ref("CalendarBooking")),
            "held": array(obj({"start": INSTANT, "end": INSTANT, "waitlist_entry": INTEGER})),
        }
    )
    return obj(
        {
            **extra,
            "timezone": STRING,
            "columns": array(column),
            "cancelled": array(ref("CalendarBooking")),
        }
    )


def estimate_schema() -> dict:
    line = obj(
        {
            "sessions": INTEGER,
            "total": MONEY,
            "market_total": obj({"low": MONEY, "high": MONEY}),
        }
    )
    return obj(
        {
            "service": STRING,
            "condition": STRING,
            "price_per_session": MONEY,
            "first_consultation": MONEY,
            "follow_up": MONEY,
            "market_per_session": obj({"low": MONEY, "high": MONEY}),
            "sessions": {"type": "object", "additionalProperties": INTEGER},
            "totals": {"type": "object", "additionalProperties": line},
            "disclaimer": STRING,
            "insurance_note": STRING,
            "requested": line,
            "package": obj(
                {
                    "sessions": INTEGER,
                    "total": MONEY,
                    "pay_as_you_go_total": MONEY,
                    "saving": MONEY,
                }
            ),
        },
        [
            "service",
            "condition",
            "price_per_session",
            "first_consultation",
            "follow_up",
            "market_per_session",
            "sessions",
            "totals",
            "disclaimer",
            "insurance_note",
        ],
        description="What a course costs: the first consultation and follow-ups, each "
        "typical course length (`sessions` and `totals` by label: shortest, typical, "
        "longest), a requested length, and a package where the clinic sells one.",
    )


def error_schema() -> dict:
    return obj(
        {
            "error": obj(
                {
                    "code": enum(ERROR_CODES),
                    "message": STRING,
                    "fields": {"type": "object", "additionalProperties": STRING},
                },
                ["code", "message"],
            )
        },
        description="Every error answers this envelope. `fields` maps each field at "
        "fault (dotted, e.g. `patient.email`, `starts.2`) to what is wrong with it.",
    )


def schemas() -> dict:
    return {
        "Error": error_schema(),
        "Money": MONEY,
        "Service": obj(
            {
                "slug": STRING,
                "name": STRING,
                "condition": enum(CONDITIONS),
                "kind": enum(KINDS),
                "duration_minutes": INTEGER,
                "price": MONEY,
                "course": obj(
                    {"min_sessions": INTEGER, "typical_sessions": INTEGER, "max_sessions": INTEGER}
                ),
            }
        ),
        "Slot": slot_schema(),
        "Availability": obj(
            {"service": STRING, "timezone": STRING, "slots": array(ref("Slot"))},
        ),
        "Estimate": estimate_schema(),
        "Screening": screening_schema(),
        "Booking": booking_schema(),
        "BookingCreated": booked_schema(),
        "CheckedIn": checked_in_schema(),
        "Course": course_schema(staff=False),
        "StaffCourse": course_schema(staff=True),
        "Outcome": outcome_schema(staff=False),
        "StaffOutcome": outcome_schema(staff=True),
        "Decision": decision_schema(staff=False),
        "StaffDecision": decision_schema(staff=True),
        "DecisionRecorded": extended(
            decision_schema(staff=True),
            {"letter_url": {"type": "string", "description": "The printable referral letter."}},
            description="The decision; a referral comes with its letter's address.",
        ),
        "SeriesPreview": obj(
            {
                "service": SERVICE_REF,
                "every_days": INTEGER,
                "count": INTEGER,
                "most": INTEGER,
                "time": CLOCK,
                "practitioner": nullable(NAMED),
                "sessions": array(series_session()),
                "beyond_horizon": array(INSTANT),
                "course": nullable(ref("Course")),
            },
            description="The proposed rest of the course; nothing is booked.",
        ),
        "SeriesBooked": obj(
            {
                "bookings": array(
                    obj(
                        {
                            "reference": STRING,
                            "start": INSTANT,
                            "end": INSTANT,
                            "practitioner": NAMED,
                            "service": SERVICE_REF,
                            "price": MONEY,
                            "manage_token": STRING,
                            "manage_url": {"type": "string", "format": "uri"},
                        }
                    )
                ),
                "course": nullable(ref("Course")),
                "beyond_horizon": array(INSTANT),
            },
            ["bookings", "course"],
            description="Every session just booked, each with its own manage link.",
        ),
        "Offer": offer_schema(),
        "WaitlistEntry": waitlist_schema(staff=False),
        "StaffWaitlistEntry": waitlist_schema(staff=True),
        "WaitlistJoined": obj(
            {
                "token": STRING,
                "position": nullable(INTEGER),
                "url": {"type": "string", "format": "uri"},
            },
            description="The place in line and its private link (also emailed).",
        ),
        "Patient": obj({"id": INTEGER, "name": STRING, "email": STRING, "phone": STRING}),
        "CalendarBooking": calendar_booking(),
        "StaffBooking": staff_booking(),
        "CalendarDay": calendar_schema({"date": DATE}),
        "CalendarWeek": calendar_schema({"practitioner": NAMED, "from": DATE, "to": DATE}),
        "CourseOutcome": extended(
            course_schema(staff=True, booking=False),
            {
                "id": INTEGER,
                "patient": INTEGER,
                "outcome": ref("StaffOutcome"),
                "pain_scores": array(PAIN_SCORE),
            },
            ("id", "patient", "outcome", "pain_scores"),
        ),
        "PatientExport": {
            "type": "object",
            "description": "Everything held about the patient (the right of access): "
            "`format`, `exported_at`, `clinic`, `patient`, `bookings` and the rest, "
            "times in UTC.",
            "properties": {
                "format": {"const": "acupuncture-booking/patient-export/1"},
                "exported_at": {"type": "string", "format": "date-time"},
                "patient": {"type": "object"},
                "bookings": array({"type": "object"}),
            },
            "required": ["format", "exported_at", "patient", "bookings"],
        },
    }


def book_body() -> dict:
    return obj(
        {
            "service": SLUG,
            "start": INSTANT,
            "practitioner": {
                "description": "A practitioner's id; left out, anyone free at that time.",
                "type": "integer",
                "minimum": 1,
            },
            "patient": patient_in({"date_of_birth": DATE}),
            "screening": ref("Screening"),
            "disclaimer_accepted": {
                "const": True,
                "description": "The patient has read that acupuncture complements, and does "
                "not replace, their GP or doctor.",
            },
            "uses_insurance": {
                "type": "boolean",
                "description": "Where the clinic gives Good Faith Estimates: false (self-pay) "
                "needs `patient.date_of_birth`.",
            },
        },
        ["service", "start", "patient", "screening", "disclaimer_accepted"],
    )


def series_body() -> dict:
    start_item = {
        "anyOf": [
            INSTANT,
            obj({"start": INSTANT, "practitioner": {"type": "integer", "minimum": 1}}, ["start"]),
        ]
    }
    return obj(
        {
            "preview": {"type": "boolean", "description": "true: propose, book nothing."},
            "every_days": {"type": "integer", "description": "Days between sessions (7)."},
            "count": {"type": "integer", "description": "How many sessions to book."},
            "starts": array(start_item, minItems=1, maxItems=60),
            "practitioner": {
                "anyOf": [{"type": "integer", "minimum": 1}, {"const": "any"}],
                "description": "A practitioner's id, or `any`; left out, the same one.",
            },
            "time": CLOCK,
        },
        [],
    )


def check_in_body(staff: bool) -> dict:
    score = {"type": "integer", "minimum": 0, "maximum": 10}
    props = {
        "pain": score,
        "peg": obj({"pain": score, "enjoyment": score, "activity": score}),
        "new_red_flags": {
            "type": "object",
            "description": "Each screening question: is this symptom new since the last visit?",
            "additionalProperties": BOOLEAN,
        },
    }
    if staff:
        props["disability"] = {
            "type": "integer",
            "minimum": 0,
            "maximum": 100,
            "description": "A licensed NDI or Oswestry score, in percent.",
        }
    return obj(props, [])


def join_body(staff: bool) -> dict:
    props = {
        "service": SLUG,
        "patient": patient_in(),
        "screening": ref("Screening"),
        **wish_properties(),
    }
    required = ["service", "patient", "screening", "earliest", "latest"]
    if staff:
        props["disclaimer_read"] = {"const": True}
        required.append("disclaimer_read")
    else:
        props["disclaimer_accepted"] = {"const": True}
        required.append("disclaimer_accepted")
    return obj(props, required)


def staff_book_body() -> dict:
    clearance = obj(
        {"cleared_by": CLEARED_BY, "cleared_on": DATE, "note": NOTE},
        ["cleared_by", "cleared_on"],
        description="A doctor's clearance, for a patient who reported a red flag.",
    )
    return obj(
        {
            "service": SLUG,
            "start": INSTANT,
            "practitioner": {"type": "integer", "minimum": 1},
            "patient_id": {"type": "integer", "minimum": 1},
            "patient": patient_in(required=("name",)),
            "screening": ref("Screening"),
            "source": enum(("phone", "walk-in")),
            "disclaimer_read": {"const": True},
            "clearance": clearance,
        },
        ["service", "start", "screening", "disclaimer_read"],
        description="Give `patient_id` for a patient on record, or `patient` for a new one.",
    )


def decision_body() -> dict:
    body = obj(
        {
            "kind": enum(DECISIONS),
            "refer_to": enum(REFERRALS),
            "reason": {"type": "string", "maxLength": REASON_MAX},
            "planned_sessions": {"type": "integer", "minimum": 1},
        },
        ["kind"],
        description="Continuing needs the reason and the new plan; a referral says to whom.",
    )
    body["allOf"] = [
        {
            "if": {"properties": {"kind": {"const": CONTINUE}}},
            "then": {"required": ["reason", "planned_sessions"]},
        },
        {"if": {"properties": {"kind": {"const": REFERRED}}}, "then": {"required": ["refer_to"]}},
    ]
    return body


def move_body() -> dict:
    return obj({"start": INSTANT, "practitioner": {"type": "integer", "minimum": 1}}, ["start"])


def reason_body(required: bool) -> dict:
    return obj({"reason": TEXT}, ["reason"] if required else [])


# --- the paths ------------------------------------------------------------------------


def public_paths() -> dict:
    ok = answer
    return {
        "/api/v1/services": {
            "get": operation(
                "listServices",
                "Catalogue",
                "The consultations offered online, with prices and course lengths.",
                {"200": ok("The services.", array(ref("Service"))), **NOT_MODIFIED},
                (),
            )
        },
        "/api/v1/availability": {
            "get": operation(
                "freeTimes",
                "Catalogue",
                f"Free times for a service between two dates (at most {MAX_RANGE_DAYS} days).",
                {"200": ok("Free times, earliest first.", ref("Availability")), **NOT_MODIFIED},
                (422,),
                parameters=[
                    query("service", "A service's slug.", SLUG, True),
                    query("from", "First day, YYYY-MM-DD (clinic time).", DATE, True),
                    query("to", "Last day, YYYY-MM-DD (clinic time).", DATE, True),
                    query("practitioner", "A practitioner's id.", {"type": "integer"}),
                ],
            )
        },
        "/api/v1/estimate": {
            "get": operation(
                "estimateCourse",
                "Catalogue",
                "What a whole course costs: first consultation plus follow-ups.",
                {"200": ok("The estimate.", ref("Estimate")), **NOT_MODIFIED},
                (422,),
                parameters=[
                    query("service", "A service's slug.", SLUG, True),
                    query(
                        "sessions",
                        "A course length to price as well.",
                        {"type": "integer", "minimum": 1, "maximum": MAX_SESSIONS},
                    ),
                ],
            )
        },
        "/api/v1/bookings": {
            "post": operation(
                "createBooking",
                "Bookings",
                "Book a time (after the screening and the GP disclaimer).",
                {
                    "201": ok(
                        "Booked; the confirmation is emailed. `Location` is the booking.",
                        ref("BookingCreated"),
                        {"Location": {"$ref": "#/components/headers/Location"}},
                    )
                },
                (409, 422, 429),
                body=book_body(),
            )
        },
        "/api/v1/bookings/{token}": {
            "get": operation(
                "showBooking",
                "Bookings",
                "A booking, by its manage link's token.",
                {"200": ok("The booking.", ref("Booking"))},
                (404,),
                parameters=[TOKEN],
            )
        },
        "/api/v1/bookings/{token}/cancel": {
            "post": operation(
                "cancelBooking",
                "Bookings",
                "Cancel, before the clinic's notice for changes.",
                {"200": ok("Cancelled.", ref("Booking"))},
                (404, 409, 422),
                parameters=[TOKEN],
                body=reason_body(required=False),
                body_optional=True,
            )
        },
        "/api/v1/bookings/{token}/reschedule": {
            "post": operation(
                "rescheduleBooking",
                "Bookings",
                "Move to another free time, before the clinic's notice for changes.",
                {"200": ok("Moved; a new invitation is emailed.", ref("Booking"))},
                (404, 409, 422, 429),
                parameters=[TOKEN],
                body=move_body(),
            )
        },
        "/api/v1/bookings/{token}/course": {
            "post": operation(
                "bookCourse",
                "Bookings",
                "Propose (`preview`) or book the rest of the course in one go.",
                {
                    "200": ok(
                        "The proposal (`preview: true`); nothing booked.", ref("SeriesPreview")
                    ),
                    "201": ok(
                        "Every session booked, or none (a taken one is a 409 naming it).",
                        ref("SeriesBooked"),
                        {"Location": {"$ref": "#/components/headers/Location"}},
                    ),
                },
                (404, 409, 422, 429),
                description="Without `starts`, the proposed times are booked as they "
                "stand; with `starts`, exactly those.",
                parameters=[TOKEN],
                body=series_body(),
                body_optional=True,
            )
        },
        "/api/v1/bookings/{token}/check-in": {
            "post": operation(
                "checkIn",
                "Bookings",
                "Before a visit: pain today, the PEG when due, and any new red flag.",
                {"200": ok("Recorded.", ref("CheckedIn"))},
                (404, 409, 422),
                parameters=[TOKEN],
                body=check_in_body(staff=False),
            )
        },
        "/api/v1/waitlist": {
            "post": operation(
                "joinWaitlist",
                "Waitlist",
                "Join the waitlist for a service: be offered a time that frees up.",
                {
                    "201": ok(
                        "In line; the private link is emailed too.",
                        ref("WaitlistJoined"),
                        {"Location": {"$ref": "#/components/headers/Location"}},
                    )
                },
                (409, 422, 429),
                body=join_body(staff=False),
            )
        },
        "/api/v1/waitlist/{token}": {
            "get": operation(
                "showWaitlistEntry",
                "Waitlist",
                "A place on the waitlist and any time held for it.",
                {"200": ok("The place.", ref("WaitlistEntry"))},
                (404,),
                parameters=[TOKEN],
            ),
            "delete": operation(
                "leaveWaitlist",
                "Waitlist",
                "Leave the waitlist (a time held for you goes to the next person).",
                {"204": ok("Left.", None)},
                (404, 409),
                parameters=[TOKEN],
            ),
        },
        "/api/v1/waitlist/{token}/claim": {
            "post": operation(
                "claimOffer",
                "Waitlist",
                "Book the time held for you.",
                {
                    "201": ok(
                        "Booked, as POST /api/v1/bookings answers.",
                        ref("BookingCreated"),
                        {"Location": {"$ref": "#/components/headers/Location"}},
                    )
                },
                (404, 409, 422, 429),
                parameters=[TOKEN],
            )
        },
        "/api/v1/waitlist/{token}/decline": {
            "post": operation(
                "declineOffer",
                "Waitlist",
                "Let the time held for you go; you keep your place.",
                {"200": ok("Declined.", ref("WaitlistEntry"))},
                (404, 409),
                parameters=[TOKEN],
            )
        },
    }


def staff_paths() -> dict:
    ok = answer
    booking_id = [id_param("booking_id", "booking")]
    entry_id = [id_param("entry_id", "waitlist entry")]
    staff = {"staff": True}
    one_booking = {"200": ok("The booking.", ref("StaffBooking"))}
    one_entry = {"200": ok("The entry.", ref("StaffWaitlistEntry"))}
    located = {"Location": {"$ref": "#/components/headers/Location"}}
    return {
        "/api/v1/staff/csrf": {
            "get": operation(
                "csrfToken",
                "Staff",
                "The CSRF token to send as `X-CSRFToken` on every staff POST.",
                {"200": ok("The token.", obj({"csrf_token": STRING}))},
                (),
                **staff,
            )
        },
        "/api/v1/staff/calendar/day": {
            "get": operation(
                "calendarDay",
                "Staff",
                "Every practitioner's day: hours, breaks, time off, bookings, held times.",
                {"200": ok("The day.", ref("CalendarDay"))},
                (422,),
                parameters=[query("date", "YYYY-MM-DD, clinic time; today if left out.", DATE)],
                **staff,
            )
        },
        "/api/v1/staff/calendar/week": {
            "get": operation(
                "calendarWeek",
                "Staff",
                "One practitioner's week.",
                {"200": ok("The week.", ref("CalendarWeek"))},
                (404, 422),
                parameters=[
                    query("practitioner", "A practitioner's id.", {"type": "integer"}, True),
                    query("date", "A day of the week, YYYY-MM-DD; this week if left out.", DATE),
                ],
                **staff,
            )
        },
        "/api/v1/staff/patients": {
            "get": operation(
                "findPatients",
                "Staff",
                "Patients whose name, email or phone matches.",
                {"200": ok("Matches.", obj({"patients": array(ref("Patient"))}))},
                (),
                parameters=[query("q", "Part of a name, email or phone.")],
                **staff,
            )
        },
        "/api/v1/staff/patients/{patient_id}/export": {
            "get": operation(
                "exportPatient",
                "Staff",
                "The patient's whole record (the right of access); the opening is logged.",
                {"200": ok("The record.", ref("PatientExport"))},
                (404,),
                parameters=[id_param("patient_id", "patient")],
                **staff,
            )
        },
        "/api/v1/staff/patients/{patient_id}/erase": {
            "post": operation(
                "erasePatient",
                "Staff",
                "The owner erases the patient's details (bookings are kept, anonymous).",
                {
                    "200": ok(
                        "Erased.",
                        obj(
                            {
                                "erased": {"const": True},
                                "patient": INTEGER,
                                "erased_at": {"type": "string", "format": "date-time"},
                                "bookings_kept": INTEGER,
                                "audit_entries_scrubbed": INTEGER,
                            }
                        ),
                    )
                },
                (404, 409),
                parameters=[id_param("patient_id", "patient")],
                write=True,
                **staff,
            )
        },
        "/api/v1/staff/bookings": {
            "post": operation(
                "staffBook",
                "Staff",
                "A phone or walk-in booking: may fall inside the notice, never on a taken time.",
                {"201": ok("Booked.", ref("StaffBooking"), located)},
                (409, 422),
                body=staff_book_body(),
                **staff,
            )
        },
        "/api/v1/staff/bookings/{booking_id}": {
            "get": operation(
                "staffBooking",
                "Staff",
                "A booking with the patient's contact details; the opening is logged.",
                one_booking,
                (404,),
                parameters=booking_id,
                **staff,
            )
        },
        "/api/v1/staff/bookings/{booking_id}/move": {
            "post": operation(
                "staffMove",
                "Staff",
                "Move a booking to another free time (or practitioner).",
                one_booking,
                (404, 409, 422),
                parameters=booking_id,
                body=move_body(),
                **staff,
            )
        },
        "/api/v1/staff/bookings/{booking_id}/cancel": {
            "post": operation(
                "staffCancel",
                "Staff",
                "Cancel a booking, with the reason.",
                one_booking,
                (404, 409, 422),
                parameters=booking_id,
                body=reason_body(required=True),
                **staff,
            )
        },
        "/api/v1/staff/bookings/{booking_id}/status": {
            "post": operation(
                "staffStatus",
                "Staff",
                "Mark arrived, fulfilled or no-show (or undo a mistake).",
                one_booking,
                (404, 409, 422),
                parameters=booking_id,
                body=obj({"status": enum(MARKABLE)}),
                **staff,
            )
        },
        "/api/v1/staff/bookings/{booking_id}/check-in": {
            "post": operation(
                "staffCheckIn",
                "Staff",
                "Record or correct a visit's scores.",
                one_booking,
                (404, 409, 422),
                parameters=booking_id,
                body=check_in_body(staff=True),
                **staff,
            )
        },
        "/api/v1/staff/bookings/{booking_id}/clearance": {
            "post": operation(
                "staffClearance",
                "Staff",
                "A doctor has seen the patient about what they reported before this visit.",
                one_booking,
                (404, 409, 422),
                parameters=booking_id,
                body=obj(
                    {"cleared_by": CLEARED_BY, "cleared_on": DATE, "note": NOTE},
                    ["cleared_by", "cleared_on"],
                ),
                **staff,
            )
        },
        "/api/v1/staff/courses/{course_id}/outcome": {
            "get": operation(
                "courseOutcome",
                "Staff",
                "How a course is going: scores, the improvement, the prompt, the decisions.",
                {"200": ok("The course.", ref("CourseOutcome"))},
                (404,),
                parameters=[id_param("course_id", "course")],
                **staff,
            )
        },
        "/api/v1/staff/courses/{course_id}/decision": {
            "post": operation(
                "courseDecision",
                "Staff",
                "What the practitioner decided: continue, refer out or discharge.",
                {"201": ok("Recorded.", ref("DecisionRecorded"), located)},
                (404, 409, 422),
                parameters=[id_param("course_id", "course")],
                body=decision_body(),
                **staff,
            )
        },
        "/api/v1/staff/waitlist": {
            "get": operation(
                "waitlistEntries",
                "Staff",
                "The waitlist in order, narrowed by service, practitioner or day.",
                {"200": ok("The line.", obj({"entries": array(ref("StaffWaitlistEntry"))}))},
                (422,),
                parameters=[
                    query("service", "A service's id.", {"type": "integer"}),
                    query("practitioner", "A practitioner's id.", {"type": "integer"}),
                    query("date", "A day the entry would take, YYYY-MM-DD.", DATE),
                ],
                **staff,
            ),
            "post": operation(
                "waitlistJoin",
                "Staff",
                "Add a patient by phone, with the disclaimer read out.",
                {"201": ok("In line.", ref("StaffWaitlistEntry"), located)},
                (409, 422),
                body=join_body(staff=True),
                **staff,
            ),
        },
        "/api/v1/staff/waitlist/{entry_id}": {
            "get": operation(
                "waitlistEntry",
                "Staff",
                "One waitlist entry.",
                one_entry,
                (404,),
                parameters=entry_id,
                **staff,
            )
        },
        "/api/v1/staff/waitlist/{entry_id}/move-up": {
            "post": operation(
                "waitlistMoveUp",
                "Staff",
                "Move an entry one place up, or to the front, with the reason (audited).",
                one_entry,
                (404, 409, 422),
                parameters=entry_id,
                body=obj({"reason": TEXT, "to_front": BOOLEAN}, ["reason"]),
                **staff,
            )
        },
        "/api/v1/staff/waitlist/{entry_id}/remove": {
            "post": operation(
                "waitlistRemove",
                "Staff",
                "Take an entry off the waitlist, with the reason.",
                one_entry,
                (404, 409, 422),
                parameters=entry_id,
                body=reason_body(required=True),
                **staff,
            )
        },
        "/api/v1/staff/waitlist/{entry_id}/offer": {
            "post": operation(
                "waitlistOffer",
                "Staff",
                "Hold a free time for the entry and email the offer.",
                {"201": ok("Offered.", ref("StaffWaitlistEntry"), located)},
                (404, 409, 422),
                parameters=entry_id,
                body=obj({"start": INSTANT, "practitioner": {"type": "integer", "minimum": 1}}),
                **staff,
            )
        },
        "/api/v1/staff/waitlist/{entry_id}/withdraw": {
            "post": operation(
                "waitlistWithdraw",
                "Staff",
                "Take back the time held for the entry (the desk keeps it 15 minutes).",
                one_entry,
                (404, 409),
                parameters=entry_id,
                write=True,
                **staff,
            )
        },
    }


DESCRIPTION = """Book neck- and back-pain acupuncture, see what a course costs, and run
the clinic's calendar.

**The patient API** (`/api/v1`) needs no account: a booking's (or waitlist place's)
private token is its credential, so keep it secret. Answers under a token are
`Cache-Control: no-store`; the catalogue, estimates and availability carry an `ETag` and
answer `304` to `If-None-Match`. Anonymous clients are limited per address (`429` with
`Retry-After`).

**The staff API** (`/api/v1/staff`) uses the staff sign-in's session cookie (sign in at
`/login`); every POST also needs the `X-CSRFToken` header from
`GET /api/v1/staff/csrf`. Signed out, every call is `401`.

Times are ISO 8601 with the clinic's UTC offset; money is a decimal string with its
currency. Bodies are JSON (`Content-Type: application/json`): another type is `415`, a
body that is not a JSON object `400`. Every error is the envelope
`{"error": {"code", "message", "fields"?}}`; the codes:

""" + "\n".join(f"- `{code}`: {meaning}" for code, meaning in ERROR_CODES.items())


# What a client can do next with what an answer gave it (OpenAPI links): the token or
# id in a 201 opens the operations on what was made.
LINKS = (
    (
        "/api/v1/bookings",
        "post",
        "201",
        "$response.body#/manage_token",
        "token",
        ("showBooking", "cancelBooking", "rescheduleBooking", "bookCourse", "checkIn"),
    ),
    (
        "/api/v1/waitlist",
        "post",
        "201",
        "$response.body#/token",
        "token",
        ("showWaitlistEntry", "leaveWaitlist", "claimOffer", "declineOffer"),
    ),
    (
        "/api/v1/staff/bookings",
        "post",
        "201",
        "$response.body#/id",
        "booking_id",
        ("staffBooking", "staffMove", "staffCancel", "staffStatus", "staffCheckIn"),
    ),
    (
        "/api/v1/staff/bookings",
        "post",
        "201",
        "$response.body#/patient/id",
        "patient_id",
        ("exportPatient", "erasePatient"),
    ),
    (
        "/api/v1/staff/waitlist",
        "post",
        "201",
        "$response.body#/id",
        "entry_id",
        ("waitlistEntry", "waitlistMoveUp", "waitlistOffer", "waitlistRemove", "waitlistWithdraw"),
    ),
)


def with_links(paths: dict) -> dict:
    for path, method, status, value, parameter, targets in LINKS:
        links = paths[path][method]["responses"][status].setdefault("links", {})
        for target in targets:
            links[f"{target}By{parameter.title().replace('_', '')}"] = {
                "operationId": target,
                "parameters": {parameter: value},
            }
    return paths


@cache
def document() -> dict:
    """The OpenAPI 3.1 document (built once per process: it depends only on the code)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Acupuncture clinic booking API",
            "version": VERSION,
            "description": DESCRIPTION,
        },
        "tags": [
            {"name": "Catalogue", "description": "Services, free times and course costs."},
            {"name": "Bookings", "description": "A patient's bookings, by their manage link."},
            {"name": "Waitlist", "description": "Waiting for a time to free up."},
            {"name": "Staff", "description": "Reception and owners, signed in."},
        ],
        "paths": with_links({**public_paths(), **staff_paths()}),
        "components": {
            "schemas": schemas(),
            "headers": {
                "Location": {
                    "description": "The address of what was made.",
                    "schema": {"type": "string"},
                },
                "ETag": {
                    "description": "The answer's version, for `If-None-Match`.",
                    "schema": {"type": "string"},
                },
                "RetryAfter": {
                    "description": "Seconds to wait before trying again.",
                    "schema": {"type": "integer"},
                },
            },
            "securitySchemes": {
                "staffSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The staff sign-in's session cookie; POSTs also need the "
                    "X-CSRFToken header.",
                }
            },
        },
    }
