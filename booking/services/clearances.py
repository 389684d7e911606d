"""A way back after a red flag: reception records that a doctor has seen the patient.

Online, a red flag is never booked: the patient is told to see a doctor and to call
the clinic once cleared. Reception records the clearance (who cleared, when, a note),
audited, and then books; a flag reported before a visit is answered the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func

from booking.domain import clock, screening
from booking.domain.text import has_control
from booking.errors import ValidationError
from booking.extensions import db
from booking.models import Booking, CheckIn, DoctorClearance, Patient, User
from booking.models.base import utcnow
from booking.models.booking import ARRIVED, FULFILLED
from booking.services.clinic import get_settings
from booking.services.commands import command

NOTE_MAX = 2000
CLEARED_BY_MAX = 200


@dataclass(frozen=True)
class ClearanceNote:
    """What reception was told: the doctor who saw the patient, the day, anything else."""

    cleared_by: str
    cleared_on: date | None
    note: str = ""


def check(note: ClearanceNote) -> ClearanceNote:
    """The note with its text trimmed, or a ValidationError naming each field to fix."""
    fields: dict[str, str] = {}
    cleared_by = (note.cleared_by or "").strip()
    text = (note.note or "").strip()
    if not cleared_by:
        fields["cleared_by"] = "Give the doctor who cleared the patient, e.g. Dr Ana Ruiz, GP."
    elif len(cleared_by) > CLEARED_BY_MAX or has_control(cleared_by):
        fields["cleared_by"] = f"One line of at most {CLEARED_BY_MAX} characters, please."
    today = clock.local_date(utcnow(), ZoneInfo(get_settings().timezone))
    if note.cleared_on is None:
        fields["cleared_on"] = "Give the day the doctor saw them."
    elif not clock.FIRST_DAY <= note.cleared_on <= today:
        fields["cleared_on"] = "Give the day the doctor saw them, from 2000 to today."
    if len(text) > NOTE_MAX or has_control(text, lines=True):
        fields["note"] = f"Please keep the note under {NOTE_MAX} characters of plain text."
    if fields:
        raise ValidationError(" ".join(fields.values()), fields)
    return ClearanceNote(cleared_by, note.cleared_on, text)


def add(
    patient: Patient,
    booking: Booking | None,
    note: ClearanceNote,
    flags: Iterable[str],
    *,
    actor: User,
) -> DoctorClearance:
    """Store a clearance inside the caller's command (a booking made under it)."""
    note = check(note)
    with command("clearance.record", actor=actor, tracks=None) as change:
        row = DoctorClearance(
            patient_id=patient.id,
            booking_id=booking.id if booking else None,
            red_flags=[key for key in screening.KEYS if key in set(flags)],
            cleared_by=note.cleared_by,
            cleared_on=note.cleared_on,
            note=note.note,
            recorded_by_id=actor.id,
        )
        db.session.add(row)
        db.session.flush()
        change.subject = row
        change.track(row)
        change.summary = "doctor's clearance recorded"
    return row


def waiting(patient: Patient) -> list[tuple[Booking, list[str]]]:
    """The patient's visits whose answers report a red flag no doctor has cleared yet,
    oldest first: a flag stays with the patient, visit after visit, until it is."""
    return [(b, list(c.new_red_flags)) for b, c in _reported(patient.id)]


def _reported(patient_id: int) -> list[tuple[Booking, CheckIn]]:
    """The patient's visits with their answers, where those still hold a red flag."""
    rows = db.session.execute(
        db.select(Booking, CheckIn)
        .join(CheckIn, CheckIn.booking_id == Booking.id)
        .where(Booking.patient_id == patient_id)
        .order_by(Booking.start_at, Booking.id)
    ).all()
    return [(b, c) for b, c in rows if c.new_red_flags]


def waiting_flags(patient: Patient) -> list[str]:
    """Every red flag the patient reported before a visit that waits for a doctor."""
    found = {key for _, flags in waiting(patient) for key in flags}
    return [key for key in screening.KEYS if key in found]


def clear_reported(booking: Booking, note: ClearanceNote, *, actor: User) -> DoctorClearance:
    """A doctor has seen the patient about what they reported before their visits:
    recorded from this booking's page, it answers every flag still waiting."""
    pending = [c for _, c in _reported(booking.patient_id)]
    flags = {key for c in pending for key in c.new_red_flags}
    if not flags:
        raise ValidationError("Nothing reported before a visit is waiting for a clearance.")
    with command("", actor=actor, tracks=None):
        row = add(booking.patient, booking, note, flags, actor=actor)
        # Answered: the flags live on in the clearance (and the audit log); a symptom
        # reported as new after it is news again.
        for check_in in pending:
            check_in.new_red_flags = []
    return row


def cleared_since_last_visit(booking: Booking) -> set[str]:
    """The flags a doctor has cleared since the patient's last visit before this one (or
    since this booking was made): reporting one of them again is not news."""
    last = db.session.execute(
        db.select(func.max(Booking.start_at)).where(
            Booking.patient_id == booking.patient_id,
            Booking.start_at < booking.start_at,
            Booking.status.in_((ARRIVED, FULFILLED)),
        )
    ).scalar()
    since = last or booking.created_at
    rows = db.session.execute(
        db.select(DoctorClearance.red_flags).where(
            DoctorClearance.patient_id == booking.patient_id,
            DoctorClearance.recorded_at >= since,
        )
    ).scalars()
    return {key for flags in rows for key in flags}


def of_booking(booking: Booking) -> list[DoctorClearance]:
    return list(
        db.session.execute(
            db.select(DoctorClearance)
            .where(DoctorClearance.booking_id == booking.id)
            .order_by(DoctorClearance.recorded_at, DoctorClearance.id)
        ).scalars()
    )


def of_patient(patient: Patient) -> list[DoctorClearance]:
    return list(
        db.session.execute(
            db.select(DoctorClearance)
            .where(DoctorClearance.patient_id == patient.id)
            .order_by(DoctorClearance.recorded_at.desc(), DoctorClearance.id.desc())
        ).scalars()
    )


def booked_under(booking: Booking) -> DoctorClearance | None:
    """For a booking whose screening answers hold a red flag: the clearance it was booked
    under (its own, else the patient's latest covering those flags)."""
    flags = set(screening.screen(_answers(booking)).red_flags) if booking.screening else set()
    if not flags:
        return None
    own = [row for row in of_booking(booking) if flags <= set(row.red_flags)]
    if own:
        return own[-1]
    return next((row for row in of_patient(booking.patient) if flags <= set(row.red_flags)), None)


def _answers(booking: Booking) -> dict[str, bool]:
    answers = dict(booking.screening or {})
    for key in screening.KEYS:
        answers.setdefault(key, False)
    return answers
