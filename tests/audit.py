"""The audit log's changes, leaving out the sign-ins that every signed-in test makes."""

from booking.extensions import db
from booking.models import AuditEntry


def changes():
    """SELECT the audit entries that record a change (everything but `sign_in.*`)."""
    return db.select(AuditEntry).where(~AuditEntry.action.startswith("sign_in."))
