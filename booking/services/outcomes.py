"""Is the course working? The answers before each visit, the course's trend, the prompt to
review it or refer out, and the practitioner's decision.

The arithmetic is the pure `domain.outcomes`; this module loads the rows, checks what a
patient or staff sent, and changes them through `command`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from booking.domain import outcomes, screening
from booking.domain.course import Session, tally
from booking.domain.outcomes import (
    CONTINUE,
    DECISIONS,
    DISABILITY_MEASURES,
    DISABILITY_RANGE,
    PEG_KEYS,
    REFERRALS,
    REFERRED,
    CourseOutcome,
    Decision,
    Prompt,
    Score,
    Trend,
)
from booking.domain.statuses import ARRIVED, BOOKED, CANCELLED, FULFILLED, VOIDED_STATUSES
from booking.domain.text import has_control
from booking.errors import Conflict, ValidationError
from booking.extensions import db
from booking.models import Booking, CheckIn, Course, CourseDecision, CoursePlan, Service, User
from booking.models.base import utcnow
from booking.services import audit, clearances, courses, emails
from booking.services.clinic import get_settings
from booking.services.commands import command

# A patient answers from this long before the visit until it ends.
OPENS_BEFORE = timedelta(hours=72)
REASON_MAX = 2000


class CheckInClosed(Conflict):
    code = "check_in_closed"


@dataclass(frozen=True)
class Answers:
    """What a patient or staff sent before (or at) a visit; None: not given this time."""

    pain: int | None = None
    peg: tuple[int, int, int] | None = None
    new_red_flags: Mapping[str, bool] | None = None
    disability: int | None = None


def check_in_of(booking: Booking) -> CheckIn | None:
    return db.session.execute(
        db.select(CheckIn).where(CheckIn.booking_id == booking.id)
    ).scalar_one_or_none()


def session_of(booking: Booking, view: courses.CourseView | None = None) -> int | None:
    """The booking's number in its course (the first consultation is 1), if it has one."""
    view = view if view is not None else courses.view_for_booking(booking)
    if view is None:
        return 1 if booking.service.kind == "initial" else None
    return view.progress.number_of(booking.id)


def peg_due(booking: Booking, view: courses.CourseView | None = None) -> bool:
    return outcomes.peg_due(session_of(booking, view))


def disability_measure(condition: str) -> str | None:
    """The licensed disability index staff record for this condition, if the owner has one."""
    settings = get_settings()
    licensed = {"ndi": settings.ndi_licensed, "odi": settings.odi_licensed}
    fitting = [key for key, (_, fits) in DISABILITY_MEASURES.items() if fits == condition]
    return next((key for key in fitting if licensed[key]), None)


def opens_at(booking: Booking) -> datetime:
    return booking.start_at - OPENS_BEFORE


def patient_can_answer(booking: Booking, now: datetime) -> bool:
    """A patient answers for a visit that is booked (or under way) and near."""
    return (
        booking.status in (BOOKED, ARRIVED)
        and booking.patient.erased_at is None
        and opens_at(booking) <= now < booking.end_at
    )


def _flag_problems(flags: Mapping[str, bool]) -> dict[str, str]:
    unknown = sorted(set(flags) - set(screening.KEYS))
    fields = {f"new_red_flags.{key}": "Not a screening question." for key in unknown}
    for key in screening.KEYS:
        if not isinstance(flags.get(key), bool):
            fields.setdefault(f"new_red_flags.{key}", "Answer true or false.")
    return fields


def _disability_problem(value: object, *, staff: bool, measure: str | None) -> str | None:
    low, high = DISABILITY_RANGE
    if not staff or measure is None:
        return "No licensed disability index is recorded here."
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return f"Give the score in percent, from {low} to {high}."
    return None


def _problems(answers: Answers, *, staff: bool, measure: str | None) -> dict[str, str]:
    fields: dict[str, str] = {}
    if answers.pain is not None and (problem := outcomes.scale_problem(answers.pain, "Pain")):
        fields["pain"] = problem
    for key, value in zip(PEG_KEYS, answers.peg or (), strict=False):
        if problem := outcomes.scale_problem(value, "Each answer"):
            fields[f"peg.{key.removeprefix('peg_')}"] = problem
    if answers.new_red_flags is not None:
        fields.update(_flag_problems(answers.new_red_flags))
    if answers.disability is not None and (
        problem := _disability_problem(answers.disability, staff=staff, measure=measure)
    ):
        fields["disability"] = problem
    given = (answers.pain, answers.peg, answers.new_red_flags, answers.disability)
    if not fields and all(value is None for value in given):
        fields["pain"] = "Give the pain score (or the PEG, or the safety answers)."
    return fields


def _check_open(booking: Booking, *, staff: bool, now: datetime) -> None:
    if booking.status in (CANCELLED, *VOIDED_STATUSES):
        raise CheckInClosed("This booking is cancelled: there is nothing to answer for.")
    if booking.patient.erased_at is not None:
        raise CheckInClosed("This patient's details were erased.")
    if not staff and not patient_can_answer(booking, now):
        raise CheckInClosed(
            "The questions before this visit open three days before it and close when it "
            f"ends. For anything now, please call the clinic on {get_settings().phone}."
        )


def _apply(row: CheckIn, answers: Answers, measure: str | None, cleared: set[str]) -> None:
    """Set what was given; a red flag once reported stays (a clearance answers it), and
    one a doctor has cleared since the last visit is not reported again."""
    if answers.pain is not None:
        row.pain = answers.pain
    if answers.peg is not None:
        row.peg_pain, row.peg_enjoyment, row.peg_activity = answers.peg
    if answers.disability is not None:
        row.disability, row.disability_measure = answers.disability, measure
    if answers.new_red_flags is not None:
        reported = {key for key in screening.KEYS if answers.new_red_flags[key]} - cleared
        kept = set(row.new_red_flags or []) | reported
        row.new_red_flags = [key for key in screening.KEYS if key in kept]


def record(
    booking: Booking,
    answers: Answers,
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> CheckIn:
    """Store the answers for one visit: by the patient before it (from their link), or by
    staff at any time. Only what is given changes; a red flag reported stays reported
    until a doctor's clearance is recorded (nothing here takes one back). A newly
    reported red flag tells reception by email and marks the visit on the day's list."""
    now = now or utcnow()
    staff = actor is not None
    measure = disability_measure(booking.service.condition)
    fields = _problems(answers, staff=staff, measure=measure)
    if answers.peg is not None and len(answers.peg) != len(PEG_KEYS):
        fields["peg"] = "Answer all three questions."
    if fields:
        raise ValidationError(" ".join(dict.fromkeys(fields.values())), fields)
    with command(
        "check_in.record", booking, actor=actor, by_patient=not staff, tracks=None
    ) as change:
        _check_open(booking, staff=staff, now=now)
        row = check_in_of(booking)
        if row is None:
            row = CheckIn(booking_id=booking.id)
            db.session.add(row)
        else:
            change.before = audit.snapshot(row)
        change.track(row)
        before_flags = set(row.new_red_flags or [])
        _apply(row, answers, measure, clearances.cleared_since_last_visit(booking))
        row.entered_by_id = actor.id if staff else None
        row.entered_at = now
        change.summary = "scores recorded by staff" if staff else "answers before the visit"
        if set(row.new_red_flags or []) - before_flags:
            change.send(emails.check_in_flagged, booking, now=now)
    return row


# --- the course's trend and prompt -----------------------------------------------------


@dataclass(frozen=True)
class ScoreRow:
    """One session's scores, as the course's table lists them."""

    booking: Booking
    session: int
    check_in: CheckIn


@dataclass(frozen=True)
class OutcomeView:
    course: courses.CourseView
    rows: tuple[ScoreRow, ...]
    trend: Trend
    prompt: Prompt | None
    decisions: tuple[CourseDecision, ...]

    @property
    def decision(self) -> CourseDecision | None:
        return self.decisions[-1] if self.decisions else None

    @property
    def concluded(self) -> bool:
        return self.decision is not None and self.decision.kind != CONTINUE

    @property
    def status(self) -> str:
        """improving, not_improving, worse, no_scores, too_few_scores (one so far),
        referred or discharged."""
        if self.concluded:
            return "referred" if self.decision.kind == REFERRED else "discharged"
        if self.trend.main is None:
            return "too_few_scores" if self.trend.scores else "no_scores"
        if self.trend.improved:
            return "improving"
        return "worse" if self.trend.worse else "not_improving"


def decisions_of(course: Course) -> list[CourseDecision]:
    return list(
        db.session.execute(
            db.select(CourseDecision)
            .where(CourseDecision.course_id == course.id)
            .order_by(CourseDecision.decided_at, CourseDecision.id)
        ).scalars()
    )


def _score(row: ScoreRow) -> Score:
    c = row.check_in
    return Score(row.session, row.booking.start_at, c.pain, c.peg_total, c.disability)


def _decision(row: CourseDecision) -> Decision:
    return Decision(row.kind, row.at_session, row.decided_at, row.refer_to)


def outcome(view: courses.CourseView) -> OutcomeView:
    """The course's scores, trend, prompt and decisions."""
    bookings = {b.id: b for b in courses.bookings_of(view.course)}
    check_ins = (
        db.session.execute(db.select(CheckIn).where(CheckIn.booking_id.in_(bookings))).scalars()
        if bookings
        else []
    )
    rows = sorted(
        (
            ScoreRow(bookings[c.booking_id], number, c)
            for c in check_ins
            if (number := view.progress.number_of(c.booking_id)) is not None
        ),
        key=lambda r: r.session,
    )
    t = outcomes.trend(_score(r) for r in rows)
    decided = decisions_of(view.course)
    due = outcomes.prompt(
        t, view.progress.done, view.progress.planned, [_decision(d) for d in decided]
    )
    return OutcomeView(view, tuple(rows), t, due, tuple(decided))


def as_decided(view: OutcomeView, decision: CourseDecision) -> OutcomeView:
    """The course as it stood when the decision was made: the sessions attended by then
    and their scores, so a letter written from it reads the same later."""
    rows = tuple(
        r
        for r in view.rows
        if r.booking.status in (ARRIVED, FULFILLED) and r.booking.start_at <= decision.decided_at
    )
    made = tuple(d for d in view.decisions if d.decided_at <= decision.decided_at)
    return OutcomeView(view.course, rows, outcomes.trend(_score(r) for r in rows), None, made)


def outcome_for_booking(booking: Booking) -> OutcomeView | None:
    view = courses.view_for_booking(booking)
    return outcome(view) if view else None


# --- the practitioner's decision -------------------------------------------------------


@dataclass(frozen=True)
class DecisionRequest:
    kind: str
    refer_to: str | None = None
    reason: str = ""
    planned_sessions: int | None = None


def _decision_problems(asked: DecisionRequest, done: int) -> dict[str, str]:
    fields: dict[str, str] = {}
    if asked.kind not in DECISIONS:
        fields["decision"] = "Choose continue, refer out or discharge."
        return fields
    if done < 1:
        fields["decision"] = "Record a decision once the first session is done."
        return fields
    reason = asked.reason.strip()
    if len(reason) > REASON_MAX:
        fields["reason"] = f"Please keep the note under {REASON_MAX} characters."
    elif has_control(reason, lines=True):
        fields["reason"] = "The note holds a character that cannot be stored."
    if asked.kind == REFERRED and asked.refer_to not in REFERRALS:
        fields["refer_to"] = "Choose who the patient is referred to."
    if asked.kind == CONTINUE:
        if not reason:
            fields["reason"] = "Say why the course continues."
        low = max(done + 1, 1)
        planned = asked.planned_sessions
        if isinstance(planned, bool) or not isinstance(planned, int) or not low <= planned <= 60:
            fields["planned_sessions"] = (
                f"Give the new plan: {low} to 60 sessions in all, the first included."
            )
    return fields


def decide(
    course: Course, asked: DecisionRequest, *, actor: User, now: datetime | None = None
) -> CourseDecision:
    """Record what the practitioner decided; continuing sets the new plan in the same
    change (and so issues the next Good Faith Estimate where one is kept)."""
    now = now or utcnow()
    if course.patient.erased_at is not None:
        raise CheckInClosed("This patient's details were erased: the course stays as it is.")
    view = courses.view(course, now)
    fields = _decision_problems(asked, view.progress.done)
    if fields:
        raise ValidationError(" ".join(dict.fromkeys(fields.values())), fields)
    current = outcome(view)
    with command("course.decide", course, actor=actor, tracks=None) as change:
        row = CourseDecision(
            course_id=course.id,
            kind=asked.kind,
            refer_to=asked.refer_to if asked.kind == REFERRED else None,
            reason=asked.reason.strip(),
            planned_sessions=asked.planned_sessions if asked.kind == CONTINUE else None,
            at_session=view.progress.done,
            prompted=current.prompt.level if current.prompt else None,
            decided_by_id=actor.id,
            decided_at=now,
        )
        db.session.add(row)
        change.track(row)
        change.summary = row.label
        if asked.kind == CONTINUE:
            courses.set_planned(course, asked.planned_sessions, actor=actor)
    return row


# --- the reception's list and the owner's figures --------------------------------------


def flagged_between(start: datetime, end: datetime) -> list[tuple[Booking, list[str]]]:
    """Visits in the hours given of patients with a red flag reported before a visit
    (this one or an earlier one) that no doctor has cleared yet, each with the flags."""
    visits = list(
        db.session.execute(
            db.select(Booking)
            .where(
                Booking.start_at >= start,
                Booking.start_at < end,
                Booking.status.in_((BOOKED, ARRIVED, FULFILLED)),
            )
            .order_by(Booking.start_at, Booking.id)
        ).scalars()
    )
    patients = {b.patient_id for b in visits}
    reported: dict[int, set[str]] = {}
    if patients:
        for patient_id, flags in db.session.execute(
            db.select(Booking.patient_id, CheckIn.new_red_flags)
            .join(CheckIn, CheckIn.booking_id == Booking.id)
            .where(Booking.patient_id.in_(patients), CheckIn.new_red_flags.is_not(None))
        ):
            if flags:
                reported.setdefault(patient_id, set()).update(flags)
    return [
        (b, [key for key in screening.KEYS if key in reported[b.patient_id]])
        for b in visits
        if b.patient_id in reported
    ]


def course_outcomes(start: datetime, end: datetime, now: datetime) -> list[CourseOutcome]:
    """Every course with a session (not cancelled or voided) starting in the hours given,
    as the owner's outcome figures count it: columns only, in four queries whatever the
    number of courses."""
    in_range = (
        db.select(Booking.course_id)
        .where(
            Booking.start_at >= start,
            Booking.start_at < end,
            Booking.course_id.is_not(None),
            Booking.status.not_in((CANCELLED, *VOIDED_STATUSES)),
        )
        .distinct()
        .scalar_subquery()
    )
    chosen = db.session.execute(
        db.select(Course.id, Course.condition, Course.planned_sessions).where(
            Course.id.in_(in_range)
        )
    ).all()
    if not chosen:
        return []
    plans = {p.condition: p for p in db.session.execute(db.select(CoursePlan)).scalars()}
    sessions: dict[int, list] = {row.id: [] for row in chosen}
    scores: dict[int, tuple] = {}
    for row in db.session.execute(
        db.select(
            Booking.course_id,
            Booking.id,
            Booking.status,
            Booking.start_at,
            Booking.price_cents,
            Service.kind,
            CheckIn.pain,
            CheckIn.peg_pain + CheckIn.peg_enjoyment + CheckIn.peg_activity,
            CheckIn.disability,
            CheckIn.id,
        )
        .join(Service, Service.id == Booking.service_id)
        .outerjoin(CheckIn, CheckIn.booking_id == Booking.id)
        .where(Booking.course_id.in_(in_range))
    ):
        course_id, booking_id, status, at, cents, kind, pain, peg, disability, answered = row
        sessions[course_id].append(Session(booking_id, status, at, cents, kind != "initial"))
        if answered is not None:
            scores[booking_id] = (at, pain, peg, disability)
    decided: dict[int, CourseDecision] = {}
    for row in db.session.execute(
        db.select(CourseDecision)
        .where(CourseDecision.course_id.in_(in_range))
        .order_by(CourseDecision.decided_at, CourseDecision.id)
    ).scalars():
        decided[row.course_id] = row  # the latest wins
    found = []
    for course_id, condition, planned_sessions in chosen:
        planned = planned_sessions or plans[condition].typical_sessions
        progress = tally(sessions[course_id], now)
        numbers = progress.numbers
        course_scores = [Score(numbers[b], *scores[b]) for b in numbers if b in scores]
        visits = [s.start for s in sessions[course_id] if s.status in (ARRIVED, FULFILLED)]
        latest = decided.get(course_id)
        found.append(
            CourseOutcome(
                condition=condition,
                planned=planned,
                done=progress.done,
                booked_ahead=progress.booked_ahead,
                last_visit=max(visits, default=None),
                trend=outcomes.trend(course_scores),
                decision=_decision(latest) if latest else None,
            )
        )
    return found
