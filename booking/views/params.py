"""Reading dates, times, ids and JSON bodies from requests, with messages for people.

Every problem is a ValidationError whose `fields` name what to correct. Dates and
times outside the calendar's years (domain/clock.FIRST_DAY..LAST_DAY), ids beyond
the columns (MAX_ID) and bodies nested deeper than MAX_JSON_DEPTH are refused here,
before anything does arithmetic with them or asks the database.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from flask import request
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from booking.domain import screening
from booking.domain import waitlist as waitlist_rules
from booking.domain.availability import MAX_RANGE_DAYS
from booking.domain.clock import outside_calendar
from booking.domain.good_faith import date_of_birth_problem
from booking.domain.series import EVERY_DAYS
from booking.domain.text import has_control
from booking.errors import ClinicError, ValidationError
from booking.forms.public import PatientForm
from booking.models import Service
from booking.models.base import MAX_ID, utcnow
from booking.services import availability, good_faith, waitlist
from booking.services.bookings import BookingError, RedFlag
from booking.services.catalogue import offered_service
from booking.services.clearances import ClearanceNote
from booking.services.outcomes import Answers
from booking.services.series import SAME

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OFFSET_AS_SPACE = re.compile(r" (\d{2}:\d{2})$")
# The bodies both APIs take are two levels deep; ten leaves room and stops a body of
# thousands of nested brackets before it reaches the parser's recursion limit.
MAX_JSON_DEPTH = 10
START_MESSAGE = "Give the start time in ISO 8601 with a UTC offset."
SINCE_MESSAGE = (
    "Give _since as an instant in ISO 8601 with a UTC offset, e.g. 2026-12-01T09:00:00Z."
)


class IdConverter(IntegerConverter):
    """`<id:name>` in a route: a positive id no larger than MAX_ID, else 404."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)


class ParamError(ValidationError):
    """A date, time or id in a URL or body that cannot be read."""


def parse_date(text: str | None, name: str = "date") -> date:
    if not text or not DATE_RE.match(text):
        raise ParamError(f"Give {name} as YYYY-MM-DD.")
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise ParamError(f"{text} is not a real date.") from exc
    if problem := outside_calendar(day):
        raise ParamError(problem)
    return day


def date_range(args) -> tuple[dict[str, date], dict[str, str]]:
    """?from= and ?to=: clinic-local dates, both included, at most MAX_RANGE_DAYS apart.

    Returns the dates read and the field errors, so callers can report every problem.
    """
    dates, fields = {}, {}
    for name in ("from", "to"):
        try:
            dates[name] = parse_date(args.get(name), f"'{name}'")
        except ParamError as error:
            fields[name] = error.message
    if not fields and dates["to"] < dates["from"]:
        fields["to"] = "'to' must be on or after 'from'."
    if not fields and dates["to"] - dates["from"] >= timedelta(days=MAX_RANGE_DAYS):
        fields["to"] = f"Ask for at most {MAX_RANGE_DAYS} days at a time."
    return dates, fields


def parse_start(text: object) -> datetime:
    """An ISO 8601 time that carries a UTC offset, returned in UTC."""
    return parse_instant(
        text,
        START_MESSAGE,
        "The start time needs a UTC offset, e.g. 2026-12-01T09:00:00-05:00.",
    )


def parse_instant(text: object, unreadable: str, no_offset: str) -> datetime:
    """An ISO 8601 time with a UTC offset, in UTC; the messages say what to give."""
    if not isinstance(text, str) or not text or len(text) > 40:
        raise ParamError(unreadable)
    try:
        # An unencoded "+" in a query string arrives as a space.
        text = OFFSET_AS_SPACE.sub(r"+\1", text.strip())
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ParamError(unreadable) from exc
    if moment.tzinfo is None:
        raise ParamError(no_offset)
    if problem := outside_calendar(moment.date()):
        raise ParamError(problem)
    # Inside the calendar's years the conversion cannot overflow.
    return moment.astimezone(UTC)


def parse_since(text: str | None) -> datetime | None:
    """?_since= of the SMART Scheduling Links files: an instant, or None when not asked.

    Anything else is a 400 (a query to correct, not a form to fill in again).
    """
    if text is None:
        return None
    try:
        return parse_instant(text, SINCE_MESSAGE, SINCE_MESSAGE)
    except ParamError as error:
        raise ParamError(
            error.message, {"_since": error.message}, code="invalid_since", status=400
        ) from error


def parse_id(text: object) -> int | None:
    """A positive integer id, None for empty or 'any'."""
    if text in (None, "", "any"):
        return None
    if isinstance(text, bool):
        raise ParamError("Give a practitioner id.")
    if isinstance(text, int):
        value = text
    elif isinstance(text, str) and text.isascii() and text.isdigit() and len(text) < 10:
        value = int(text)
    else:
        raise ParamError("Give a practitioner id.")
    if not 0 < value <= MAX_ID:
        raise ParamError("Give a practitioner id.")
    return value


# JSON bodies of the two APIs


def invalid(fields: dict[str, str]) -> ValidationError:
    return ValidationError("Some of the details need correcting.", fields)


def find_service(slug: object, field: str = "service") -> Service:
    service = offered_service(slug) if isinstance(slug, str) else None
    if service is None:
        raise invalid({field: "Unknown service. GET /api/v1/services lists them."})
    return service


def check_practitioner(service: Service, value: object) -> int | None:
    try:
        practitioner_id = parse_id(value)
    except ParamError as error:
        raise invalid({"practitioner": error.message}) from error
    if practitioner_id is not None and practitioner_id not in {
        p.id for p in availability.practitioners_for(service)
    }:
        raise invalid({"practitioner": "No such practitioner gives this service."})
    return practitioner_id


def new_time(service: Service, body: dict) -> tuple:
    """The start and (optional) practitioner of a move, from its JSON body."""
    try:
        start = parse_start(body.get("start"))
    except ParamError as error:
        raise invalid({"start": error.message}) from error
    return start, check_practitioner(service, body.get("practitioner"))


def too_deep(value: object, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects nest more than `limit` levels deep (without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in item)
    return False


def nested_too_deeply() -> BookingError:
    return BookingError(
        f"The request body is nested too deeply: at most {MAX_JSON_DEPTH} levels.",
        code="too_deep",
    )


class InvalidJson(ClinicError):
    """A body that is not JSON, or not the JSON object every call takes."""

    code = "invalid_json"
    status = 400


class NotJson(ClinicError):
    code = "unsupported_media_type"
    status = 415


def json_body(*, optional: bool = False) -> dict:
    """The request's JSON object; with `optional`, an empty body reads as {}.

    Another content type is 415, a body that does not parse or is not an object 400.
    """
    if optional and not request.get_data(cache=True):
        return {}
    if not request.is_json:
        raise NotJson("Send the body as JSON, with Content-Type: application/json.")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # deeper than the parser itself goes
        raise nested_too_deeply() from None
    if body is None and request.get_data(cache=True).strip() != b"null":
        raise InvalidJson("The request body is not valid JSON.")
    if too_deep(body):
        raise nested_too_deeply()
    if not isinstance(body, dict):
        raise InvalidJson("The request body must be a JSON object.")
    return body


def reason_text(body: dict, *, required: bool) -> str:
    """A cancellation's reason from a JSON body: text of at most 300 characters."""
    reason = body.get("reason", "")
    if (
        not isinstance(reason, str)
        or len(reason) > 300
        or has_control(reason, lines=True)
        or (required and not reason.strip())
    ):
        raise invalid({"reason": "Give the reason as text of at most 300 characters."})
    return reason.strip()


def patient_fields(patient: object) -> tuple[dict, dict]:
    if not isinstance(patient, dict):
        return {}, {"patient": "Give the patient's name, email and phone."}
    values, fields = {}, {}
    for key in ("name", "email", "phone"):
        value = patient.get(key, "")
        if not isinstance(value, str):
            fields[f"patient.{key}"] = "Must be text."
        values[key] = value if isinstance(value, str) else ""
    form = PatientForm(formdata=MultiDict(values))
    if not form.validate():
        for key, messages in form.errors.items():
            fields.setdefault(f"patient.{key}", messages[0])
    return {key: form[key].data for key in values}, fields


def screening_answers(answers: object) -> tuple[dict, dict]:
    """Every question true or false; after a yes to cancer, its follow-ups may be given
    (left out, a yes to cancer counts as a red flag, as it always did)."""
    if not isinstance(answers, dict):
        return {}, {"screening": "Answer each screening question with true or false."}
    values, fields = {}, {}
    for key in screening.KEYS:
        if isinstance(answers.get(key), bool):
            values[key] = answers[key]
        else:
            fields[f"screening.{key}"] = "Answer true or false."
    for key in screening.FOLLOW_UP_KEYS:
        if key not in answers:
            continue
        if isinstance(answers[key], bool):
            values[key] = answers[key]
        else:
            fields[f"screening.{key}"] = "Answer true or false, or leave it out."
    return values, fields


def screened_answers(answers: object, *, cleared: bool = False) -> tuple[dict, dict]:
    """The screening answers and field errors; a red flag raises before anything else,
    unless reception brings a doctor's clearance (`cleared`).

    Safety first: someone who should see a doctor is told so before being asked to
    fix a typo anywhere else in the request.
    """
    values, fields = screening_answers(answers)
    if not fields and not cleared:
        result = screening.screen(values)
        if not result.clear:
            raise RedFlag(result)
    return values, fields


def clearance_note(value: object) -> tuple[ClearanceNote | None, dict]:
    """Reception's `clearance`: {"cleared_by", "cleared_on" (a date), "note"?}."""
    if value is None:
        return None, {}
    if not isinstance(value, dict):
        return None, {"clearance": "Give the clearance as an object: cleared_by, cleared_on."}
    fields = {}
    cleared_by, note = value.get("cleared_by", ""), value.get("note", "")
    if not isinstance(cleared_by, str):
        fields["clearance.cleared_by"] = "Must be text."
    if not isinstance(note, str):
        fields["clearance.note"] = "Must be text."
    try:
        given = value.get("cleared_on")
        cleared_on = parse_date(
            given if isinstance(given, str) else None, "the day the doctor saw them"
        )
    except ParamError as error:
        fields["clearance.cleared_on"] = error.message
        cleared_on = None
    if fields:
        return None, fields
    return ClearanceNote(cleared_by, cleared_on, note), {}


CHECK_IN_KEYS = frozenset({"pain", "peg", "new_red_flags"})
PEG_NAMES = ("pain", "enjoyment", "activity")


def check_in_answers(body: dict, *, staff: bool = False) -> Answers:
    """POST .../check-in: {"pain": 0-10, "peg": {"pain", "enjoyment", "activity"},
    "new_red_flags": {every screening key: bool}}; staff may add "disability" (0-100).
    Values are checked by the service; unknown keys and wrong shapes here."""
    allowed = CHECK_IN_KEYS | ({"disability"} if staff else set())
    fields = {key: "Not a field of a check-in." for key in sorted(set(body) - allowed)}
    peg = body.get("peg")
    if peg is not None:
        if not isinstance(peg, dict):
            fields["peg"] = "Give the PEG as {pain, enjoyment, activity}, each 0 to 10."
        else:
            for key in sorted(set(peg) - set(PEG_NAMES)):
                fields[f"peg.{key}"] = "Not a PEG question."
            for key in PEG_NAMES:
                if key not in peg:
                    fields[f"peg.{key}"] = "Answer all three, each 0 to 10."
    flags = body.get("new_red_flags")
    if flags is not None and not isinstance(flags, dict):
        fields["new_red_flags"] = "Answer each screening question with true or false."
    if fields:
        raise invalid(fields)
    return Answers(
        pain=body.get("pain"),
        peg=tuple(peg[key] for key in PEG_NAMES) if isinstance(peg, dict) else None,
        new_red_flags=flags,
        disability=body.get("disability"),
    )


# Booking the rest of a course: POST /api/v1/bookings/TOKEN/course

MAX_STARTS = 60
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_time_of_day(text: object) -> time:
    """A wall-clock time as HH:MM (24-hour)."""
    match = TIME_RE.match(text) if isinstance(text, str) else None
    if not match:
        raise ParamError("Give the time of day as HH:MM, e.g. 09:30.")
    return time(int(match[1]), int(match[2]))


def whole_number(value: object) -> int | None:
    """An integer from JSON (never true or false), else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def series_body(body: dict) -> tuple[dict, dict]:
    """The series a client asks for, and field errors: every_days, count, starts, time,
    preview (the practitioner is read against the service by the view)."""
    values: dict = {
        "every_days": EVERY_DAYS,
        "count": None,
        "starts": None,
        "at": None,
        "offered_with": {},
    }
    fields: dict = {}
    if "every_days" in body:
        values["every_days"] = whole_number(body["every_days"])
        if values["every_days"] is None:
            fields["every_days"] = "Give the days between sessions as a whole number, e.g. 7."
    if body.get("count") is not None:
        values["count"] = whole_number(body["count"])
        if values["count"] is None:
            fields["count"] = "Give the number of sessions as a whole number."
    if body.get("time") is not None:
        try:
            values["at"] = parse_time_of_day(body["time"])
        except ParamError as error:
            fields["time"] = error.message
    preview = body.get("preview", False)
    if not isinstance(preview, bool):
        fields["preview"] = "Give preview as true or false."
    values["preview"] = preview is True
    if body.get("starts") is not None:
        values["starts"] = _starts(body["starts"], fields, values["offered_with"])
    return values, fields


def _starts(starts: object, fields: dict, offered_with: dict) -> list[datetime]:
    """Each start as an ISO time, or {"start": ISO, "practitioner": id} to book that time
    with that practitioner only (as a preview offered it)."""
    if not isinstance(starts, list) or not 1 <= len(starts) <= MAX_STARTS:
        fields["starts"] = f"Give starts as a list of 1 to {MAX_STARTS} times."
        return []
    parsed = []
    for index, item in enumerate(starts):
        text, who = item, None
        if isinstance(item, dict):
            text, who = item.get("start"), item.get("practitioner")
        try:
            start = parse_start(text)
            practitioner = parse_id(who)
        except ParamError as error:
            fields[f"starts.{index}"] = error.message
            continue
        parsed.append(start)
        if practitioner is not None:
            offered_with[start] = practitioner
    return parsed


def series_choice(args) -> tuple[dict, list[str]]:
    """The series a page asks for (?every=&count=&practitioner=&time=), as keyword
    arguments for `services.series.rest_of_course`, and what could not be read."""
    choice: dict = {"practitioner_id": SAME}
    problems = []
    for name, key in (("every", "every_days"), ("count", "count")):
        text = args.get(name, "")
        if text:
            if text.isascii() and text.isdigit() and len(text) < 4:
                choice[key] = int(text)
            else:
                problems.append(f"“{name}” should be a whole number.")
    practitioner = args.get("practitioner", "same")
    if practitioner == "any":
        choice["practitioner_id"] = None
    elif practitioner not in ("", "same"):
        try:
            choice["practitioner_id"] = parse_id(practitioner)
        except ParamError as error:
            problems.append(error.message)
    if args.get("time"):
        try:
            choice["at"] = parse_time_of_day(args["time"])
        except ParamError as error:
            problems.append(error.message)
    return choice, problems


def chosen_starts(form) -> tuple[list[datetime], dict[datetime, int]]:
    """The times ticked on a series page (`start` boxes, and one `start-N` choice for each
    taken session, empty to leave it out), and the practitioner each was shown with (the
    page's `with` fields, "ISO|id"). Raises ParamError for one that cannot be read."""
    texts = form.getlist("start") + [
        value for key, value in form.items() if key.startswith("start-") and value
    ]
    starts = [parse_start(text) for text in texts[: MAX_STARTS + 1]]
    offered_with = {}
    for pair in form.getlist("with")[: 4 * MAX_STARTS]:
        text, _, who = pair.rpartition("|")
        start, practitioner = parse_start(text), parse_id(who)
        if practitioner is not None:
            offered_with[start] = practitioner
    return starts, offered_with


def insurance_fields(body: dict) -> tuple[dict, dict]:
    """`uses_insurance` and a self-pay patient's `patient.date_of_birth`, where the clinic
    gives Good Faith Estimates: the keyword arguments for BookingRequest, and field errors."""
    values: dict = {}
    fields: dict = {}
    uses = body.get("uses_insurance")
    if uses is None:
        return values, fields
    if not isinstance(uses, bool):
        return values, {"uses_insurance": "Give uses_insurance as true or false."}
    if not good_faith.applies():
        return values, fields
    values["uses_insurance"] = uses
    if uses:
        return values, fields
    patient = body.get("patient") if isinstance(body.get("patient"), dict) else {}
    text = patient.get("date_of_birth")
    born = None
    if isinstance(text, str) and DATE_RE.match(text):
        # Not parse_date: a date of birth is often before the calendar's first year.
        try:
            born = date.fromisoformat(text)
        except ValueError:
            born = None
    if problem := date_of_birth_problem(born, utcnow().date()):
        fields["patient.date_of_birth"] = (
            problem if text is None else "Give the date of birth as YYYY-MM-DD, in the past."
        )
    values["date_of_birth"] = born
    return values, fields


def waitlist_body(body: dict) -> tuple[dict, dict]:
    """A waitlist join's wish from its JSON body, and field errors: `earliest` and
    `latest` (dates), optional `parts_of_day` (["morning", "afternoon", "evening"]),
    `days` (["monday", ...]) and `between` ({"from": "HH:MM", "to": "HH:MM"})."""
    values: dict = {}
    fields: dict = {}
    for name in ("earliest", "latest"):
        text = body.get(name)
        try:
            values[name] = parse_date(text if isinstance(text, str) else None, name)
        except ParamError as error:
            fields[name] = error.message
    parts = body.get("parts_of_day", [])
    if parts is None:
        parts = []
    if not isinstance(parts, list) or any(
        not isinstance(p, str) or p not in waitlist_rules.PARTS_OF_DAY for p in parts
    ):
        fields["parts_of_day"] = "Give a list of: morning, afternoon, evening."
    else:
        values["parts"] = frozenset(parts)
    days = body.get("days", [])
    if days is None:
        days = []
    names = waitlist_rules.WEEKDAY_NAMES
    if not isinstance(days, list) or any(
        not isinstance(d, str) or d.lower() not in names for d in days
    ):
        fields["days"] = 'Give a list of weekday names, e.g. ["monday", "thursday"].'
    else:
        values["days"] = frozenset(names.index(d.lower()) for d in days)
    between = body.get("between")
    if between is not None:
        if not isinstance(between, dict):
            fields["between"] = 'Give the time range as {"from": "HH:MM", "to": "HH:MM"}.'
        else:
            try:
                values["between"] = (
                    parse_time_of_day(between.get("from")),
                    parse_time_of_day(between.get("to")),
                )
            except ParamError as error:
                fields["between"] = error.message
    return values, fields


def join_request(
    body: dict, *, staff: bool = False, client: str | None = None
) -> waitlist.JoinRequest:
    """A join from its JSON body, or a 422 naming each field (a red flag first)."""
    service = find_service(body.get("service"))
    answers, fields = screened_answers(body.get("screening"))
    patient, patient_errors = patient_fields(body.get("patient"))
    fields.update(patient_errors)
    wish, wish_errors = waitlist_body(body)
    fields.update(wish_errors)
    if staff:
        if body.get("disclaimer_read") is not True:
            fields["disclaimer_read"] = "Read the GP disclaimer to the patient, then confirm."
    elif body.get("disclaimer_accepted") is not True:
        fields["disclaimer_accepted"] = (
            "Please confirm you understand acupuncture complements, and does not replace, "
            "seeing your GP or doctor."
        )
    if fields:
        raise invalid(fields)
    practitioner = body.get("practitioner")
    practitioner_id = (
        None if practitioner in (None, "any") else check_practitioner(service, practitioner)
    )
    return waitlist.JoinRequest(
        service=service,
        practitioner_id=practitioner_id,
        answers=answers,
        client_address=None if staff else client,
        **wish,
        **patient,
    )
