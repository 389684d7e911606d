"""Who has looked at which patient's record: every staff view of it, a booking, an export.

The audit log says what changed; this says who has seen what, as a clinic must be able
to answer a patient who asks (HIPAA's accounting, GDPR's right of access). One row per
look, written in a transaction of its own so a page never waits on anything else.
"""

from __future__ import annotations

from booking.extensions import db
from booking.models import RecordAccess, User
from booking.models.audit import OPENED_BOOKING, OPENED_RECORD
from booking.services.commands import command

SHOWN = 20


def opened(user: User, patient_id: int, what: str = OPENED_RECORD, booking_id: int | None = None):
    """Note that `user` opened this patient's record (or a booking of theirs, or an export)."""
    with command(""):
        db.session.add(
            RecordAccess(user_id=user.id, patient_id=patient_id, what=what, booking_id=booking_id)
        )


def opened_booking(user: User, booking) -> None:
    opened(user, booking.patient_id, OPENED_BOOKING, booking.id)


def recent(patient_id: int, limit: int = SHOWN) -> list[RecordAccess]:
    """The latest looks at this patient's record, newest first."""
    return list(
        db.session.execute(
            db.select(RecordAccess)
            .where(RecordAccess.patient_id == patient_id)
            .options(db.joinedload(RecordAccess.user))
            .order_by(RecordAccess.at.desc(), RecordAccess.id.desc())
            .limit(limit)
        ).scalars()
    )
