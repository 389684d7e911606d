"""The audit log's entries and snapshots: what each model declares worth keeping.

Only `services.commands` writes entries, inside the change's own transaction.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy.orm import joinedload

from booking.domain.clock import range_bounds
from booking.extensions import db
from booking.models import AuditEntry, User
from booking.models.audit import PATIENT, STAFF, SYSTEM


def _plain(value: Any) -> Any:
    """A value as JSON keeps it: instants in ISO 8601, wall-clock times as HH:MM, rows by name."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()  # a day, such as a date of birth
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


def log_page(area: str, day: date | None, timezone: str, *, page: int, per_page: int):
    """One page of the log, newest first, narrowed to an area (action prefix) and a day."""
    statement = (
        db.select(AuditEntry)
        .options(joinedload(AuditEntry.user))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    if area:
        statement = statement.where(AuditEntry.action.startswith(f"{area}.", autoescape=True))
    if day:
        start, end = range_bounds(day, day, timezone)
        statement = statement.where(AuditEntry.at >= start, AuditEntry.at < end)
    return db.paginate(
        statement, page=page, per_page=per_page, max_per_page=per_page, error_out=False
    )


def names_for(
    entries: list[AuditEntry], named: dict[str, Any], by_subject: dict[str, str]
) -> dict[str, dict[int, str]]:
    """Names of the rows these entries mention, by snapshot key and id.

    `named` maps a snapshot key (practitioner_id) to its model; `by_subject` maps a
    subject type to the key whose names it takes (a practitioner entry is named too).
    """
    wanted: dict[str, set[int]] = {key: set() for key in named}
    for entry in entries:
        name_key = by_subject.get(entry.subject_type)
        if name_key and entry.subject_id:
            wanted[name_key].add(entry.subject_id)
        for snapshot in (entry.before or {}, entry.after or {}):
            for key, ids in wanted.items():
                if isinstance(snapshot.get(key), int):
                    ids.add(snapshot[key])
    names: dict[str, dict[int, str]] = {}
    for key, model in named.items():
        rows = (
            db.session.execute(db.select(model.id, model.name).where(model.id.in_(wanted[key])))
            if wanted[key]
            else []
        )
        names[key] = {row.id: row.name for row in rows}
    return names


def record(
    actor: User | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    summary: str = "",
    by_patient: bool = False,
) -> AuditEntry:
    """Add an entry to the session; it commits (or rolls back) with the change itself.

    Without an actor the change was the patient's own (online) or the server's.
    """
    entry = AuditEntry(
        user_id=actor.id if actor else None,
        actor_kind=STAFF if actor else PATIENT if by_patient else SYSTEM,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        before=before,
        after=after,
        summary=summary[:300],
    )
    db.session.add(entry)
    return entry
