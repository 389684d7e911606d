"""Recording staff changes in the audit log, inside the change's own transaction."""

from __future__ import annotations

from booking.extensions import db
from booking.models import AuditEntry, Booking, User


def booking_snapshot(booking: Booking) -> dict:
    """What the audit log keeps of a booking: times, people by id, status, note."""
    return {
        "reference": booking.reference,
        "practitioner_id": booking.practitioner_id,
        "service_id": booking.service_id,
        "patient_id": booking.patient_id,
        "start": booking.start_at.isoformat(),
        "end": booking.end_at.isoformat(),
        "status": booking.status,
        "note": booking.note,
        "cancel_reason": booking.cancel_reason,
    }


def record(
    actor: User | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    summary: str = "",
) -> AuditEntry:
    """Add an entry to the session; it commits (or rolls back) with the change itself."""
    entry = AuditEntry(
        user_id=actor.id if actor else None,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        before=before,
        after=after,
        summary=summary[:300],
    )
    db.session.add(entry)
    return entry
