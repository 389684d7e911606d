"""The audit log's changes by staff and the server, leaving out the sign-ins that every
signed-in test makes and the patients' own bookings that `make_booking` makes."""

from booking.extensions import db
from booking.models import AuditEntry


def changes():
    """SELECT the audit entries of staff's and the server's changes (no `sign_in.*`)."""
    return db.select(AuditEntry).where(
        ~AuditEntry.action.startswith("sign_in."), AuditEntry.actor_kind != "patient"
    )
