"""A patient's rights over their record: a whole copy of it, and its erasure; retention.

`export_patient` gathers everything the clinic holds about one patient (GDPR article 15,
HIPAA's right of access) as one JSON-ready dict, which the staff page and the staff API
both show. `erase_patient` removes the details (article 17) while every booking stays as
an anonymous row, so the reports still add up: the patient's name, email and phone,
reception's notes, cancellation reasons, screening answers, the address a booking came
from and the manage link all go, and the same values are scrubbed from the audit log's
entries about them and from their emails' rows. The erasure's own entry says what kind
of erasure it was and how many rows it touched, never what was erased.
`purge_expired` erases every patient whose last booking is older than the owner's
retention setting, for a cron job.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import or_, update

from booking.database import checkpoint
from booking.domain import screening
from booking.domain.waitlist import OFFERED, REMOVED, WAITING, WITHDRAWN
from booking.errors import Conflict
from booking.extensions import db
from booking.models import (
    AuditEntry,
    Booking,
    CheckIn,
    ClinicSettings,
    Course,
    CourseDecision,
    Disclaimer,
    DoctorClearance,
    GoodFaithEstimate,
    OutboxMessage,
    PackagePurchase,
    Patient,
    RecordAccess,
    User,
    WaitlistEntry,
    WaitlistOffer,
    WebhookEndpoint,
)
from booking.models.audit import PATIENT, STAFF
from booking.models.base import utcnow
from booking.models.booking import ARRIVED, BOOKED, format_reference
from booking.models.outbox import (
    FAILED,
    PATIENT_KINDS,
    PENDING,
    SENDING,
    SUPERSEDED,
    WEBHOOK,
)
from booking.services.clinic import get_settings
from booking.services.commands import command
from booking.services.tokens import hash_token

FORMAT = "acupuncture-booking/patient-export/1"
ERASED_NAME = "Erased patient"
ERASED = "[erased]"
# The audit log's values that are about the person: scrubbed wherever they appear in an
# entry about the patient or one of their bookings.
PERSONAL_KEYS = frozenset(
    {
        "name",
        "email",
        "phone",
        "date_of_birth",
        "note",
        "cancel_reason",
        # What a patient reported before a visit, a doctor's clearance, a decision's note.
        "new_red_flags",
        "red_flags",
        "cleared_by",
        "reason",
        "close_reason",
    }
)
# Entries whose summary may quote what staff or the patient typed (a reason, a name).
TYPED_SUMMARIES = (
    "patient.",
    "booking.cancel",
    "booking.note",
    "waitlist.move_up",
    "waitlist.remove",
)
ON_REQUEST, PAST_RETENTION = "request", "retention"


class HasFutureBookings(Conflict):
    code = "has_future_bookings"


class AlreadyErased(Conflict):
    code = "already_erased"


# --- access ---------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _who(entry: AuditEntry) -> str:
    if entry.actor_kind == PATIENT:
        return "the patient, online"
    if entry.actor_kind == STAFF and entry.user is not None:
        return f"{entry.user.name} ({entry.user.role})"
    return "the system"


def patient_bookings(patient: Patient) -> list[Booking]:
    return list(
        db.session.execute(
            db.select(Booking)
            .where(Booking.patient_id == patient.id)
            .options(
                db.joinedload(Booking.service),
                db.joinedload(Booking.practitioner),
            )
            .order_by(Booking.start_at, Booking.id)
        ).scalars()
    )


def _voided(entry: AuditEntry) -> set[str]:
    """The references a clean-up entry voided (it is about many bookings at once)."""
    return set((entry.before or {}).get("bookings", {}))


def entries_about(patient: Patient, bookings: list[Booking]) -> list[AuditEntry]:
    """The audit entries about the patient's record or any of their bookings, oldest first."""
    about = (AuditEntry.subject_type == "patient") & (AuditEntry.subject_id == patient.id)
    ids = [b.id for b in bookings]
    if ids:
        about = or_(
            about,
            (AuditEntry.subject_type == "booking") & AuditEntry.subject_id.in_(ids),
            AuditEntry.action == "booking.void",
        )
    courses = list(
        db.session.execute(db.select(Course.id).where(Course.patient_id == patient.id)).scalars()
    )
    if courses:
        about = or_(
            about, (AuditEntry.subject_type == "course") & AuditEntry.subject_id.in_(courses)
        )
    cleared = list(
        db.session.execute(
            db.select(DoctorClearance.id).where(DoctorClearance.patient_id == patient.id)
        ).scalars()
    )
    if cleared:
        about = or_(
            about,
            (AuditEntry.subject_type == "doctor_clearance") & AuditEntry.subject_id.in_(cleared),
        )
    entries = _waitlist_of(patient)
    offers = [o.id for e in entries for o in _offers_of(e)]
    if entries:
        about = or_(
            about,
            (AuditEntry.subject_type == "waitlist_entry")
            & AuditEntry.subject_id.in_([e.id for e in entries]),
        )
    if offers:
        about = or_(
            about, (AuditEntry.subject_type == "waitlist_offer") & AuditEntry.subject_id.in_(offers)
        )
    references = {b.reference for b in bookings}
    return [
        entry
        for entry in db.session.execute(
            db.select(AuditEntry)
            .where(about)
            .options(db.joinedload(AuditEntry.user))
            .order_by(AuditEntry.at, AuditEntry.id)
        ).scalars()
        if entry.action != "booking.void" or _voided(entry) & references
    ]


def _waitlist_of(patient: Patient) -> list[WaitlistEntry]:
    return list(
        db.session.execute(
            db.select(WaitlistEntry)
            .where(WaitlistEntry.patient_id == patient.id)
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        ).scalars()
    )


def _offers_of(entry: WaitlistEntry) -> list[WaitlistOffer]:
    return list(
        db.session.execute(
            db.select(WaitlistOffer)
            .where(WaitlistOffer.entry_id == entry.id)
            .order_by(WaitlistOffer.offered_at, WaitlistOffer.id)
        ).scalars()
    )


def _waitlist_json(entry: WaitlistEntry) -> dict:
    return {
        "consultation": entry.service.name,
        "practitioner": entry.practitioner.name if entry.practitioner else None,
        "earliest": entry.earliest.isoformat(),
        "latest": entry.latest.isoformat(),
        "days": list(entry.days or []),
        "parts_of_day": list(entry.parts or []),
        "between_minutes": [entry.between_from, entry.between_to]
        if entry.between_from is not None
        else None,
        "status": entry.status,
        "closes_on": entry.closes_on.isoformat(),
        "close_reason": entry.close_reason,
        "joined_at": _iso(entry.created_at),
        "joined_by": entry.source,
        "joined_from_address": entry.client_address,
        "screening": _screening(entry.screening),
        "disclaimer": {
            "version": entry.disclaimer_version,
            "accepted_at": _iso(entry.disclaimer_accepted_at),
            "acknowledged_by": entry.disclaimer_acknowledged_by,
        },
        "offers": [
            {
                "start": _iso(o.start_at),
                "end": _iso(o.end_at),
                "practitioner": o.practitioner.name,
                "status": o.status,
                "offered_at": _iso(o.offered_at),
                "held_until": _iso(o.expires_at),
            }
            for o in _offers_of(entry)
        ],
        "emails": [
            {
                "kind": row.kind,
                "to": row.recipient,
                "status": row.status,
                "queued_at": _iso(row.created_at),
                "sent_at": _iso(row.sent_at),
            }
            for row in db.session.execute(
                db.select(OutboxMessage)
                .where(OutboxMessage.waitlist_entry_id == entry.id)
                .order_by(OutboxMessage.created_at, OutboxMessage.id)
            ).scalars()
        ],
    }


def _erase_waitlist(patient: Patient, now: datetime) -> list[int]:
    """Out of line, nothing of what they said kept, no working link, no email to send.
    Returns the outbox rows about their entries."""
    entries = _waitlist_of(patient)
    if not entries:
        return []
    ids = [e.id for e in entries]
    for entry in entries:
        for offer in _offers_of(entry):
            if offer.status == OFFERED:
                offer.status, offer.closed_at = WITHDRAWN, now
        if entry.status == WAITING:
            entry.status, entry.closed_at = REMOVED, now
        entry.close_reason = ERASED if entry.close_reason else ""
        entry.screening = {}
        entry.client_address = None
        entry.token_hash = hash_token(secrets.token_urlsafe(32))
        entry.token_salt = secrets.token_urlsafe(16)
    rows = list(
        db.session.execute(
            db.select(OutboxMessage.id).where(OutboxMessage.waitlist_entry_id.in_(ids))
        ).scalars()
    )
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.waitlist_entry_id.in_(ids),
            OutboxMessage.status.in_((PENDING, SENDING, FAILED)),
        )
        .values(status=SUPERSEDED, claimed_until=None, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.waitlist_entry_id.in_(ids))
        .values(recipient="", facts={})
        .execution_options(synchronize_session=False)
    )
    return rows


def _status_history(booking: Booking, entries: list[AuditEntry]) -> list[dict]:
    """Each status the booking has had, when and by whom, oldest first."""
    history = []
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        if entry.action == "booking.create" or (
            "status" in after and before.get("status") != after.get("status")
        ):
            history.append({"at": _iso(entry.at), "status": after.get("status"), "by": _who(entry)})
        elif entry.action == "booking.void":
            history.append({"at": _iso(entry.at), "status": "entered-in-error", "by": _who(entry)})
    if not history or history[0]["status"] != BOOKED:
        # Made before every booking was audited: its creation is on the row itself.
        by = (
            "the patient, online" if booking.source == "online" else f"reception ({booking.source})"
        )
        history.insert(0, {"at": _iso(booking.created_at), "status": BOOKED, "by": by})
    return history


def _about(entry: AuditEntry, references: dict[int, str]) -> str:
    if entry.subject_type == "booking" and entry.subject_id in references:
        return f"booking {references[entry.subject_id]}"
    if entry.action == "booking.void":
        return "bookings voided together"
    return "patient record"


def _own(entry: AuditEntry, values: dict | None, bookings: list[Booking]) -> dict | None:
    """An entry's values; of a clean-up of many bookings, only this patient's."""
    if entry.action != "booking.void" or not values:
        return values
    mine = {b.reference for b in bookings}
    return {"bookings": {r: s for r, s in values.get("bookings", {}).items() if r in mine}}


def _screening(answers: dict) -> list[dict]:
    return [
        {"question": q.text, "answer": "yes" if answers[q.key] else "no"}
        for q in (*screening.QUESTIONS, *screening.FOLLOW_UPS)
        if q.key in (answers or {})
    ]


def _check_in(row: CheckIn | None) -> dict | None:
    """What the patient (or staff) recorded for a visit: scores and new symptoms."""
    if row is None:
        return None
    return {
        "pain": row.pain,
        "peg": None
        if row.peg_pain is None
        else {"pain": row.peg_pain, "enjoyment": row.peg_enjoyment, "activity": row.peg_activity},
        "disability_index": None
        if row.disability is None
        else {"measure": row.disability_measure, "percent": row.disability},
        "new_red_flags": [screening.flag_label(key) for key in row.new_red_flags]
        if row.new_red_flags is not None
        else None,
        "entered_by": "staff" if row.entered_by_id else "patient",
        "entered_at": _iso(row.entered_at),
    }


def _check_ins(ids: list[int]) -> dict[int, CheckIn]:
    if not ids:
        return {}
    return {
        c.booking_id: c
        for c in db.session.execute(db.select(CheckIn).where(CheckIn.booking_id.in_(ids))).scalars()
    }


def _clearances(patient: Patient) -> list[DoctorClearance]:
    return list(
        db.session.execute(
            db.select(DoctorClearance)
            .where(DoctorClearance.patient_id == patient.id)
            .order_by(DoctorClearance.recorded_at, DoctorClearance.id)
        ).scalars()
    )


def _endpoint_name(endpoint: WebhookEndpoint | None) -> str:
    if endpoint is None:
        return "a system since removed"
    host = urlsplit(endpoint.url).hostname or ""
    return f"{endpoint.description} ({host})" if endpoint.description else host


def _messages_about(ids: list[int]) -> tuple[dict[int, list[dict]], dict[int, list[dict]]]:
    """The emails sent about each booking, and the webhooks that told the clinic's other
    systems about it (to whom, and whether the patient's contact details went too)."""
    emails: dict[int, list[dict]] = {}
    shared: dict[int, list[dict]] = {}
    if not ids:
        return emails, shared
    rows = db.session.execute(
        db.select(OutboxMessage, WebhookEndpoint)
        .outerjoin(WebhookEndpoint, OutboxMessage.webhook_endpoint_id == WebhookEndpoint.id)
        .where(OutboxMessage.booking_id.in_(ids))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    for row, endpoint in rows:
        when = {
            "status": row.status,
            "queued_at": _iso(row.created_at),
            "sent_at": _iso(row.sent_at),
        }
        if row.kind == WEBHOOK:
            shared.setdefault(row.booking_id, []).append(
                {
                    "event": row.subject,
                    # Whom, not the full address: a receiver's URL is often its key.
                    "to": _endpoint_name(endpoint),
                    "contact_details_included": bool(endpoint and endpoint.include_contact_details),
                    **when,
                }
            )
            continue
        emails.setdefault(row.booking_id, []).append(
            {
                "kind": row.kind,
                "to": "the clinic" if row.kind not in PATIENT_KINDS else row.recipient,
                **when,
            }
        )
    return emails, shared


def export_patient(patient: Patient, now: datetime | None = None) -> dict:
    """Everything held about this patient, as JSON values (times in UTC, ISO 8601)."""
    now = now or utcnow()
    settings = get_settings()
    bookings = patient_bookings(patient)
    ids = [b.id for b in bookings]
    entries = entries_about(patient, bookings)
    by_booking: dict[int, list[AuditEntry]] = {b.id: [] for b in bookings}
    for entry in entries:
        if entry.subject_type == "booking" and entry.subject_id in by_booking:
            by_booking[entry.subject_id].append(entry)
        elif entry.action == "booking.void":
            for b in bookings:
                if b.reference in _voided(entry):
                    by_booking[b.id].append(entry)
    emails, shared = _messages_about(ids)
    versions = sorted({b.disclaimer_version for b in bookings})
    disclaimers = (
        db.session.execute(
            db.select(Disclaimer)
            .where(Disclaimer.version.in_(versions))
            .order_by(Disclaimer.version)
        ).scalars()
        if versions
        else []
    )
    looks = db.session.execute(
        db.select(RecordAccess)
        .where(RecordAccess.patient_id == patient.id)
        .options(db.joinedload(RecordAccess.user))
        .order_by(RecordAccess.at, RecordAccess.id)
    ).scalars()
    references = {b.id: format_reference(b.reference) for b in bookings}
    answered = _check_ins(ids)
    return {
        "format": FORMAT,
        "exported_at": _iso(now),
        "clinic": {
            "name": settings.name,
            "address": settings.address,
            "phone": settings.phone,
            "email": settings.email,
            "timezone": settings.timezone,
        },
        "patient": {
            "id": patient.id,
            "name": patient.name,
            "email": patient.email,
            "phone": patient.phone,
            "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth else None,
            "record_created_at": _iso(patient.created_at),
            "possible_duplicate": patient.possible_duplicate,
            "erased_at": _iso(patient.erased_at),
        },
        "bookings": [
            {
                "reference": references[b.id],
                "consultation": b.service.name,
                "condition": b.service.condition,
                "practitioner": b.practitioner.name,
                "start": _iso(b.start_at),
                "end": _iso(b.end_at),
                "status": b.status,
                "booked_by": b.source,
                "booked_by_staff": b.created_by.name if b.created_by else None,
                "booked_at": _iso(b.created_at),
                "booked_from_address": b.client_address,
                "uses_insurance": b.uses_insurance,
                "price": {"amount_cents": b.price_cents, "currency": b.currency},
                "cancelled_at": _iso(b.cancelled_at),
                "cancel_reason": b.cancel_reason,
                "note": b.note,
                "screening": _screening(b.screening),
                "before_the_visit": _check_in(answered.get(b.id)),
                "disclaimer": {
                    "version": b.disclaimer_version,
                    "accepted_at": _iso(b.disclaimer_accepted_at),
                    "acknowledged_by": b.disclaimer_acknowledged_by,
                },
                "status_history": _status_history(b, by_booking[b.id]),
                "emails": emails.get(b.id, []),
                "sent_to_other_systems": shared.get(b.id, []),
            }
            for b in bookings
        ],
        "waitlist": [_waitlist_json(entry) for entry in _waitlist_of(patient)],
        "doctor_clearances": [
            {
                "red_flags": [screening.flag_label(key) for key in c.red_flags],
                "cleared_by": c.cleared_by,
                "cleared_on": c.cleared_on.isoformat(),
                "note": c.note,
                "recorded_at": _iso(c.recorded_at),
                "booking": references.get(c.booking_id),
            }
            for c in _clearances(patient)
        ],
        "courses": [
            {
                "condition": course.condition,
                "opened_at": _iso(course.opened_at),
                "planned_sessions": course.planned_sessions,
                "bookings": [references[b.id] for b in bookings if b.course_id == course.id],
                "packages_bought": [
                    {
                        "sessions": p.sessions,
                        "amount": {"amount_cents": p.amount_cents, "currency": p.currency},
                        "method": p.method,
                        "paid_at": _iso(p.paid_at),
                    }
                    for p in db.session.execute(
                        db.select(PackagePurchase)
                        .where(PackagePurchase.course_id == course.id)
                        .order_by(PackagePurchase.paid_at)
                    ).scalars()
                ],
                "decisions": [
                    {
                        "decision": d.kind,
                        "refer_to": d.refer_to,
                        "note": d.reason,
                        "planned_sessions": d.planned_sessions,
                        "after_sessions": d.at_session,
                        "decided_at": _iso(d.decided_at),
                    }
                    for d in db.session.execute(
                        db.select(CourseDecision)
                        .where(CourseDecision.course_id == course.id)
                        .order_by(CourseDecision.decided_at, CourseDecision.id)
                    ).scalars()
                ],
                # Each version as issued, its whole content included.
                "good_faith_estimates": [
                    {
                        "version": e.version,
                        "issued_at": _iso(e.issued_at),
                        "reason": e.reason,
                        "total": {"amount_cents": e.total_cents, "currency": e.currency},
                        "content": e.content,
                    }
                    for e in db.session.execute(
                        db.select(GoodFaithEstimate)
                        .where(GoodFaithEstimate.course_id == course.id)
                        .order_by(GoodFaithEstimate.version)
                    ).scalars()
                ],
            }
            for course in db.session.execute(
                db.select(Course).where(Course.patient_id == patient.id).order_by(Course.opened_at)
            ).scalars()
        ],
        "disclaimers_accepted": [
            {"version": d.version, "text": d.text, "published_at": _iso(d.created_at)}
            for d in disclaimers
        ],
        "audit": [
            {
                "at": _iso(e.at),
                "action": e.action,
                "by": _who(e),
                "about": _about(e, references),
                "summary": e.summary,
                "before": _own(e, e.before, bookings),
                "after": _own(e, e.after, bookings),
            }
            for e in entries
        ],
        "record_access": [
            {
                "at": _iso(look.at),
                "by": f"{look.user.name} ({look.user.role})",
                "opened": look.what,
                "booking": references.get(look.booking_id),
            }
            for look in looks
        ],
    }


# --- erasure ----------------------------------------------------------------------------


def future_bookings(patient: Patient, now: datetime) -> int:
    """Bookings still to come (or under way) for this patient: erasure waits for them."""
    return db.session.execute(
        db.select(db.func.count(Booking.id)).where(
            Booking.patient_id == patient.id,
            Booking.status.in_((BOOKED, ARRIVED)),
            Booking.end_at > now,
        )
    ).scalar_one()


def _scrub(values: dict | None) -> dict | None:
    if not values:
        return values
    return {k: (ERASED if k in PERSONAL_KEYS and v else v) for k, v in values.items()}


@dataclass(frozen=True)
class Erased:
    bookings: int
    audit_entries: int
    emails: int


def _erase_outcomes(patient: Patient, ids: list[int]) -> None:
    """The scores stay, nameless, for the outcome figures; what was reported, who cleared
    it and the practitioners' notes go."""
    for check_in in _check_ins(ids).values():
        check_in.new_red_flags = None
    for clearance in _clearances(patient):
        clearance.cleared_by, clearance.note, clearance.red_flags = ERASED, "", []
    db.session.execute(
        update(CourseDecision)
        .where(
            CourseDecision.course_id.in_(
                db.select(Course.id).where(Course.patient_id == patient.id)
            )
        )
        .values(reason="")
        .execution_options(synchronize_session=False)
    )


def erase_patient(
    patient: Patient, *, actor: User | None, why: str = ON_REQUEST, now: datetime | None = None
) -> Erased:
    """Remove the patient's details, keep their bookings as anonymous rows; one command.

    Refused (409) while a booking is still to come, and for a record already erased.
    """
    now = now or utcnow()
    with command(
        "patient.erase", patient, actor=actor, tracks=None, always=True, lock=True
    ) as change:
        if patient.erased_at is not None:
            raise AlreadyErased("This patient's details have already been erased.")
        if upcoming := future_bookings(patient, now):
            which = "1 upcoming booking" if upcoming == 1 else f"{upcoming} upcoming bookings"
            raise HasFutureBookings(
                f"This patient has {which}. Cancel {'it' if upcoming == 1 else 'them'} "
                "first, then erase the record."
            )
        bookings = patient_bookings(patient)
        ids = [b.id for b in bookings]
        entries = entries_about(patient, bookings)
        for entry in entries:
            if entry.action == "booking.void":
                # About many patients' bookings at once; its reason is free text that may
                # name this patient, so it goes (the references and statuses stay).
                voided = _voided(entry)
                entry.summary = (
                    f"{len(voided)} booking{'s' if len(voided) != 1 else ''} voided as entered "
                    f"in error (reason {ERASED})"
                )
                # The same words were copied onto each booking voided with it.
                db.session.execute(
                    update(Booking)
                    .where(Booking.reference.in_(voided), Booking.cancel_reason != "")
                    .values(cancel_reason=ERASED)
                    .execution_options(synchronize_session=False)
                )
                continue
            entry.before, entry.after = _scrub(entry.before), _scrub(entry.after)
            if entry.action.startswith(TYPED_SUMMARIES) and entry.summary:
                entry.summary = ERASED
        for booking in bookings:
            booking.note = ""
            booking.cancel_reason = ERASED if booking.cancel_reason else ""
            booking.screening = {}
        _erase_outcomes(patient, ids)
        waitlist_emails = _erase_waitlist(patient, now)
        for booking in bookings:
            booking.client_address = None
            # The manage link stops working: a hash of nothing anyone holds.
            booking.manage_token_hash = hash_token(secrets.token_urlsafe(32))
            booking.manage_token_salt = None
        emails = 0
        email_ids: list[int] = []
        if ids:
            email_ids = list(
                db.session.execute(
                    db.select(OutboxMessage.id).where(OutboxMessage.booking_id.in_(ids))
                ).scalars()
            )
            db.session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.booking_id.in_(ids),
                    OutboxMessage.status.in_((PENDING, SENDING, FAILED)),
                )
                .values(status=SUPERSEDED, claimed_until=None, claim_token=None)
                .execution_options(synchronize_session=False)
            )
            emails = db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.booking_id.in_(ids), OutboxMessage.kind.in_(PATIENT_KINDS))
                .values(recipient="", facts={})
                .execution_options(synchronize_session=False)
            ).rowcount
        email_ids.extend(waitlist_emails)
        patient.name, patient.email, patient.phone = ERASED_NAME, "", ""
        patient.date_of_birth = None
        # Issued estimates stay as a record of the amounts, without who they were for.
        for estimate in db.session.execute(
            db.select(GoodFaithEstimate)
            .join(Course, GoodFaithEstimate.course_id == Course.id)
            .where(Course.patient_id == patient.id)
        ).scalars():
            estimate.content = {
                **estimate.content,
                "patient": {"name": ERASED_NAME, "date_of_birth": None},
            }
        patient.possible_duplicate = False
        patient.erased_at = now
        result = Erased(len(bookings), len(entries), emails)
        change.before = None
        change.after = {
            "erased": why,
            "bookings_kept": result.bookings,
            "audit_entries_scrubbed": result.audit_entries,
            "emails_scrubbed": result.emails,
        }
        change.summary = (
            f"Patient #{patient.id}'s details erased "
            f"({'on request' if why == ON_REQUEST else 'past the retention period'}); "
            f"{result.bookings} booking{'s' if result.bookings != 1 else ''} kept anonymously"
        )
    _forget_files(email_ids)
    checkpoint()
    return result


def _forget_files(email_ids: list[int]) -> None:
    """Without an SMTP server, emails were written as files: the patient's go too."""
    folder = Path(current_app.instance_path) / "outbox"
    for email_id in email_ids:
        for path in folder.glob(f"{email_id}-*.eml"):
            path.unlink(missing_ok=True)


# --- retention --------------------------------------------------------------------------


def retention_cutoff(now: datetime, years: int) -> datetime:
    """The same moment `years` earlier (29 February falls back to the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def expired_patients(now: datetime, years: int) -> list[int]:
    """Patients not yet erased whose every booking (and the record itself) is older."""
    cutoff = retention_cutoff(now, years)
    recent = db.select(Booking.id).where(
        Booking.patient_id == Patient.id,
        (Booking.start_at >= cutoff)
        | (Booking.status.in_((BOOKED, ARRIVED)) & (Booking.end_at > now)),
    )
    # Someone waiting for a time, or who joined the waitlist since, is a patient now.
    waiting = db.select(WaitlistEntry.id).where(
        WaitlistEntry.patient_id == Patient.id,
        (WaitlistEntry.status == WAITING) | (WaitlistEntry.created_at >= cutoff),
    )
    return list(
        db.session.execute(
            db.select(Patient.id)
            .where(
                Patient.erased_at.is_(None),
                Patient.created_at < cutoff,
                ~recent.exists(),
                ~waiting.exists(),
            )
            .order_by(Patient.id)
        ).scalars()
    )


@dataclass(frozen=True)
class Purged:
    years: int | None
    patients: int
    bookings: int


def purge_expired(now: datetime | None = None) -> Purged:
    """Erase each patient past the retention period, each in a command of its own."""
    now = now or utcnow()
    years = db.session.execute(db.select(ClinicSettings.retention_years).limit(1)).scalar()
    if not years:
        return Purged(None, 0, 0)
    patients = bookings = 0
    for patient_id in expired_patients(now, years):
        patient = db.session.get(Patient, patient_id)
        try:
            erased = erase_patient(patient, actor=None, why=PAST_RETENTION, now=now)
        except (HasFutureBookings, AlreadyErased):
            continue  # booked or erased since the list was read
        patients += 1
        bookings += erased.bookings
    return Purged(years, patients, bookings)
