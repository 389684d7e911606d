"""The audit log's entries and snapshots: what each model declares worth keeping.

Only `services.commands` writes entries, inside the change's own transaction.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from booking.extensions import db
from booking.models import AuditEntry, User


def _plain(value: Any) -> Any:
    """A value as JSON keeps it: instants in ISO 8601, wall-clock times as HH:MM, rows by name."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, list | tuple):
        return [getattr(item, "name", item) for item in value]
    return value


def snapshot(row: Any) -> dict:
    """The fields the row's model lists in `__audited__` ("key" or ("key", "attribute"))."""
    found = {}
    for entry in type(row).__audited__:
        key, attribute = entry if isinstance(entry, tuple) else (entry, entry)
        found[key] = _plain(getattr(row, attribute))
    return found


def history(row: Any) -> list[AuditEntry]:
    """Every entry about this row, newest first."""
    return list(
        db.session.execute(
            db.select(AuditEntry)
            .where(
                AuditEntry.subject_type == row.__audit_name__,
                AuditEntry.subject_id == row.id,
            )
            .order_by(AuditEntry.at.desc())
        ).scalars()
    )


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
