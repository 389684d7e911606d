"""The one way state changes: a write transaction with its audit entry and its emails.

Every service that changes something writes

    with command("booking.cancel", booking, actor=actor, lock=True) as change:
        booking.status = CANCELLED
        change.summary = reason
        change.send(emails.booking_cancelled, booking, now=now, by_patient=actor is None)
    return change.changed

and the scaffold does the rest, in this order, inside one transaction that holds the
write lock from its first statement:

1. takes the *before* snapshot of the subject from the fields its model declares
   in `__audited__` (after the lock, so it is what the change really starts from);
2. runs the block;
3. flushes, so the database's own rules (the overlap guard above all) are checked;
4. takes the *after* snapshot and, if anything changed, writes the audit entry;
5. composes the queued emails into the outbox;
6. commits. A row that moves a slot also bumps the schedule counter, from the
   session listener that `availability_cache.init_app` registers, in this same
   transaction, so no cached answer outlives the change.

If the block raises, nothing is stored. An overlap refused by the database becomes
`SlotTaken`. Commands nest: an inner one joins the outer transaction and adds its
own audit entry, so a change made of several (an edit and a new price) is still
all or nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from booking.database import write_transaction
from booking.errors import SlotTaken
from booking.extensions import db
from booking.models import User
from booking.models.booking import OVERLAP_MESSAGE
from booking.services import audit

TAKEN = "Sorry, that time has just been taken. Please choose another time."
_DEPTH = "command_depth"
_UNSET: Any = object()

# Work that follows a committed change in a transaction of its own, such as offering a
# freed time to the waitlist: each is called with the session once the outermost
# command has committed (never after a rollback), and decides from `session.info`
# whether there is anything to do. A failure there is logged: the change has stood.
AFTER_COMMIT: list[Callable[[Any], None]] = []
log = logging.getLogger(__name__)


def is_overlap(error: IntegrityError) -> bool:
    """Whether the database refused a change because the practitioner is held then."""
    original = error.orig
    return OVERLAP_MESSAGE in str(original) or getattr(original, "sqlstate", None) == "23P01"


@dataclass
class Change:
    """What one command did: the audit entry it leaves and the emails it sends."""

    action: str
    actor: User | None
    subject: Any
    summary: str = ""
    # Set these for state no model declares (a week of hours, whether a feed exists);
    # otherwise they are the tracked row's declared fields.
    before: dict | None = _UNSET
    after: dict | None = _UNSET
    # Keep only the keys whose value changed (settings, a service's details).
    only_changed: bool = False
    ignore: tuple[str, ...] = ()
    # Record the entry even when before equals after (a password set is news either way).
    always: bool = False
    # No actor: the patient's own change online (True), or the server's (False).
    by_patient: bool = False
    changed: bool = False
    _tracked: Any = None
    _emails: list[Callable[[], object]] = field(default_factory=list)

    def track(self, row: Any) -> None:
        """Audit this row's declared fields (a row made inside the block starts from None)."""
        self._tracked = row

    def send(self, compose: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        """Compose an email into the outbox once the change itself has been flushed."""
        self._emails.append(lambda: compose(*args, **kwargs))

    def _finish(self) -> None:
        db.session.flush()
        if self.after is _UNSET:
            row = self._tracked
            self.after = None if row is None or inspect(row).deleted else audit.snapshot(row)
        if self.ignore or self.only_changed:
            self.before, self.after = _trimmed(
                self.before or {}, self.after or {}, self.ignore, self.only_changed
            )
        before, after = self.before, self.after
        self.changed = before != after
        if (self.changed or self.always) and self.action:
            subject = self.subject
            audit.record(
                self.actor,
                self.action,
                subject.__audit_name__ if subject is not None else "",
                inspect(subject).identity[0] if subject is not None else None,
                before=before,
                after=after,
                summary=self.summary,
                by_patient=self.by_patient,
            )
        for compose in self._emails:
            compose()


def _trimmed(
    before: dict, after: dict, ignore: tuple[str, ...], only_changed: bool
) -> tuple[dict, dict]:
    keys = [k for k in after if k not in ignore and (not only_changed or before.get(k) != after[k])]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


@contextmanager
def command(
    action: str,
    subject: Any = None,
    *,
    actor: User | None = None,
    summary: str = "",
    lock: bool = False,
    tracks: Any = _UNSET,
    only_changed: bool = False,
    ignore: tuple[str, ...] = (),
    always: bool = False,
    taken: str = TAKEN,
    by_patient: bool = False,
    lock_first: tuple = (),
) -> Iterator[Change]:
    """Run one state change, all or nothing, audited as `action` about `subject`.

    `tracks` is the row whose declared fields are audited (the subject by default;
    None for a row the block creates and passes to `change.track`). With `lock` the
    subject is read again FOR UPDATE, so two changes to one row take turns; the rows in
    `lock_first` are locked before it, so every path that changes two rows locks them in
    the same order (a waitlist entry before its offer) and none waits for the other.
    An empty action changes without an audit entry (a sign-in's bookkeeping).
    """
    session = db.session
    outer = not session.info.get(_DEPTH)
    try:
        with write_transaction() if outer else _joined():
            session.info[_DEPTH] = session.info.get(_DEPTH, 0) + 1
            try:
                if lock and subject is not None:
                    for row in (*lock_first, subject):
                        session.refresh(row, with_for_update=True)
                row = subject if tracks is _UNSET else tracks
                change = Change(
                    action,
                    actor,
                    subject,
                    summary,
                    only_changed=only_changed,
                    ignore=ignore,
                    always=always,
                    by_patient=by_patient,
                )
                change.track(row)
                if row is not None and hasattr(row, "__audited__"):
                    change.before = audit.snapshot(row)
                elif row is None:
                    change.before = None
                yield change
                if change.before is _UNSET:
                    change.before = None
                change._finish()
            finally:
                session.info[_DEPTH] -= 1
    except IntegrityError as error:
        if outer and is_overlap(error):
            raise SlotTaken(taken) from error
        raise
    if outer:
        _after_commit(session)


def _after_commit(session) -> None:
    for follow_up in AFTER_COMMIT:
        try:
            follow_up(session)
        except Exception as error:  # the change is committed; the follow-up runs again later
            # The error's class only: its text may quote SQL parameters (an address).
            log.error(
                "Work after a committed change failed (%s); it is retried by cron.",
                type(error).__name__,
            )
            session.rollback()


@contextmanager
def _joined() -> Iterator[None]:
    yield
