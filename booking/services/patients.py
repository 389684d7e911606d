"""A patient's record for reception: their bookings and their course so far."""

from __future__ import annotations

from sqlalchemy import delete, func, or_, update
from sqlalchemy.orm import joinedload

from booking.domain.text import one_line
from booking.domain.waitlist import OFFERED, REMOVED, WAITING, WITHDRAWN
from booking.errors import ValidationError
from booking.extensions import db
from booking.models import (
    AuditEntry,
    Booking,
    Course,
    GoodFaithEstimate,
    PackagePurchase,
    Patient,
    RecordAccess,
    Service,
    User,
    WaitlistEntry,
    WaitlistOffer,
)
from booking.models.base import utcnow
from booking.models.booking import VOIDED_STATUSES
from booking.models.service import FOLLOW_UP
from booking.services import good_faith
from booking.services.commands import command


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())


def same_phone(first: str, second: str) -> bool:
    """The same number however typed: every digit, or one with a country code in front."""
    a, b = sorted((_digits(first), _digits(second)), key=len)
    return len(a) >= 7 and b.endswith(a)


def email_is(email: str):
    """SQL: the patient's email is this one. The app stores emails in lower case (so they
    match on any engine and in any database locale); lower() still finds older rows."""
    email = email.strip().lower()
    return or_(Patient.email == email, func.lower(Patient.email) == email)


def same_contact(email: str, phone: str):
    """SQL that narrows to patients with this email or phone, and the exact test in Python.

    The phone is narrowed by its last four digits, whatever is typed between them, then
    compared on every digit (`same_phone`). Returns (None, ...) when there is nothing
    to match on.
    """
    email = email.strip().lower()
    digits = _digits(phone)
    conditions = [email_is(email)] if email else []
    if len(digits) >= 7:
        conditions.append(Patient.phone.like("%" + "%".join(digits[-4:]) + "%"))

    def matches(their_email: str, their_phone: str) -> bool:
        return bool(email and their_email.strip().lower() == email) or same_phone(
            their_phone, phone
        )

    return (or_(*conditions) if conditions else None), matches


def find_patients(query: str, limit: int = 20) -> list[Patient]:
    """Patients whose name, email or phone contains the query (phone digits only)."""
    # Nothing typed holds control characters (and PostgreSQL cannot even compare a NUL).
    query = one_line(query).strip()
    if len(query) < 2:
        return []
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = f"%{escaped}%"
    conditions = [
        func.lower(Patient.name).like(like, escape="\\"),
        func.lower(Patient.email).like(like, escape="\\"),
    ]
    digits = "".join(ch for ch in query if ch.isdigit())
    if len(digits) >= 3:
        stripped = Patient.phone
        for ch in (" ", "-", "(", ")", ".", "+"):
            stripped = func.replace(stripped, ch, "")
        conditions.append(stripped.like(f"%{digits}%"))
    return list(
        db.session.execute(
            db.select(Patient)
            .where(or_(*conditions), Patient.erased_at.is_(None))
            .order_by(Patient.name)
            .limit(limit)
        ).scalars()
    )


def bookings_for(patient: Patient) -> list[Booking]:
    """All the patient's bookings, cancelled ones too, latest first."""
    return list(
        db.session.execute(
            db.select(Booking)
            .where(Booking.patient_id == patient.id, Booking.status.not_in(VOIDED_STATUSES))
            .options(joinedload(Booking.practitioner), joinedload(Booking.service))
            .order_by(Booking.start_at.desc())
        ).scalars()
    )


def usual_service(patient: Patient, offered: list[Service]) -> Service | None:
    """What a returning patient most likely comes for: a follow-up for the condition of
    their latest booking, when one is among `offered`; None for a new patient."""
    condition = db.session.execute(
        db.select(Service.condition)
        .join(Booking, Booking.service_id == Service.id)
        .where(Booking.patient_id == patient.id, Booking.status.not_in(VOIDED_STATUSES))
        .order_by(Booking.start_at.desc())
        .limit(1)
    ).scalar()
    if condition is None:
        return None
    return next((s for s in offered if s.condition == condition and s.kind == FOLLOW_UP), None)


def update_patient(patient: Patient, name: str, email: str, phone: str, *, actor: User) -> bool:
    """Correct a patient's details (audited before and after); False if nothing changed."""
    with command("patient.update", patient, actor=actor, only_changed=True) as change:
        patient.name, patient.email, patient.phone = name.strip(), email.strip().lower(), phone
    return change.changed


def possible_duplicates(patient: Patient) -> list[Patient]:
    """Other records with the same email, or the same phone number however typed."""
    narrowed, matches = same_contact(patient.email, patient.phone)
    if narrowed is None:
        return []
    candidates = db.session.execute(
        db.select(Patient).where(Patient.id != patient.id, narrowed).order_by(Patient.id)
    ).scalars()
    return [other for other in candidates if matches(other.email, other.phone)]


def merge_patients(survivor: Patient, other: Patient, *, actor: User) -> int:
    """Fold `other` into `survivor`: its bookings, looks and audit history move; it goes.

    One command and one audit entry (on the survivor, naming the record merged in).
    Returns how many bookings moved.
    """
    if survivor.id == other.id:
        raise ValidationError.field("other", "Choose another record to merge into this one.")
    summary = f"Merged patient #{other.id} ({other.name}) into #{survivor.id}"
    with command("patient.merge", survivor, actor=actor, tracks=None, always=True) as change:
        change.before = {
            "merged_from": other.id,
            "name": other.name,
            "email": other.email,
            "phone": other.phone,
        }
        change.after = {"merged_into": survivor.id}
        change.summary = summary
        moved = db.session.execute(
            update(Booking).where(Booking.patient_id == other.id).values(patient_id=survivor.id)
        ).rowcount
        db.session.execute(
            update(RecordAccess)
            .where(RecordAccess.patient_id == other.id)
            .values(patient_id=survivor.id)
        )
        joined = _merge_courses(survivor, other)
        _merge_waitlist(survivor, other)
        db.session.execute(
            update(AuditEntry)
            .where(AuditEntry.subject_type == "patient", AuditEntry.subject_id == other.id)
            .values(subject_id=survivor.id)
        )
        survivor.possible_duplicate = False
        survivor.date_of_birth = survivor.date_of_birth or other.date_of_birth
        db.session.delete(other)
        db.session.flush()
        # A course that took in the other's is estimated again for the record that stays.
        for course in joined:
            good_faith.after_plan_change(course, actor=actor, reason="merged")
    return moved


def _merge_waitlist(survivor: Patient, other: Patient) -> None:
    """The other's waitlist entries move; one open offer per patient stays true (the
    other's is withdrawn when the survivor already holds one)."""
    holds = db.session.execute(
        db.select(WaitlistOffer.id).where(
            WaitlistOffer.patient_id == survivor.id, WaitlistOffer.status == OFFERED
        )
    ).first()
    if holds:
        db.session.execute(
            update(WaitlistOffer)
            .where(WaitlistOffer.patient_id == other.id, WaitlistOffer.status == OFFERED)
            .values(status=WITHDRAWN, closed_at=utcnow())
        )
    db.session.execute(
        update(WaitlistOffer)
        .where(WaitlistOffer.patient_id == other.id)
        .values(patient_id=survivor.id)
    )
    db.session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.patient_id == other.id)
        .values(patient_id=survivor.id)
    )
    # One place per consultation: the earlier in line stays, a later one closes (with
    # any time held for it).
    seen: set[int] = set()
    for entry in db.session.execute(
        db.select(WaitlistEntry)
        .where(WaitlistEntry.patient_id == survivor.id, WaitlistEntry.status == WAITING)
        .order_by(WaitlistEntry.place, WaitlistEntry.id)
        .execution_options(populate_existing=True)
    ).scalars():
        if entry.service_id not in seen:
            seen.add(entry.service_id)
            continue
        entry.status, entry.closed_at = REMOVED, utcnow()
        entry.close_reason = "Merged with an earlier place for the same consultation"
        db.session.execute(
            update(WaitlistOffer)
            .where(WaitlistOffer.entry_id == entry.id, WaitlistOffer.status == OFFERED)
            .values(status=WITHDRAWN, closed_at=utcnow())
        )


def _merge_courses(survivor: Patient, other: Patient) -> list[Course]:
    """One course per condition after a merge: the survivor's, with both records' bookings.

    Returns the survivor's courses that took in one of the other's."""
    kept = {
        course.condition: course
        for course in db.session.execute(
            db.select(Course).where(Course.patient_id == survivor.id).order_by(Course.opened_at)
        ).scalars()
    }
    moving = db.session.execute(
        db.select(Course.id, Course.condition, Course.opened_at).where(
            Course.patient_id == other.id
        )
    ).all()
    joined = []
    for course_id, condition, opened_at in moving:
        into = kept.get(condition)
        if into is None:
            db.session.execute(
                update(Course).where(Course.id == course_id).values(patient_id=survivor.id)
            )
            continue
        db.session.execute(
            update(Booking).where(Booking.course_id == course_id).values(course_id=into.id)
        )
        db.session.execute(
            update(PackagePurchase)
            .where(PackagePurchase.course_id == course_id)
            .values(course_id=into.id)
        )
        # Estimates issued for either course stay, numbered after the survivor's own.
        last = (
            db.session.execute(
                db.select(db.func.max(GoodFaithEstimate.version)).where(
                    GoodFaithEstimate.course_id == into.id
                )
            ).scalar()
            or 0
        )
        for number, estimate in enumerate(
            db.session.execute(
                db.select(GoodFaithEstimate)
                .where(GoodFaithEstimate.course_id == course_id)
                .order_by(GoodFaithEstimate.version)
            ).scalars(),
            start=last + 1,
        ):
            estimate.course_id, estimate.version = into.id, number
            estimate.content = {**estimate.content, "version": number}
        db.session.flush()
        into.opened_at = min(into.opened_at, opened_at)
        db.session.execute(delete(Course).where(Course.id == course_id))
        joined.append(into)
    return joined


def not_a_duplicate(patient: Patient, *, actor: User) -> None:
    """Reception has checked: this record is a different person from the one on file."""
    with command(
        "patient.not_duplicate",
        patient,
        actor=actor,
        tracks=None,
        always=True,
        summary=f"{patient.name} is not the same person as another record",
    ):
        patient.possible_duplicate = False
