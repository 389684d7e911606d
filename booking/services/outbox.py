"""Deliver the outbox: claim due messages, render and send them over SMTP (or to .eml
files) or post them as signed webhooks, retry.

Delivery never runs inside a booking's transaction, so a slow or failing mail server
cannot hold up or undo a booking. Each run claims a few due messages at a time with a
lease (a conditional UPDATE whose row count says who won), so two runs at once never
take the same message; a message is marked sent in its own commit straight after the
server accepts it. Each message is rendered (manage link and all) only after it is
claimed and lives in memory until sent, so no row ever holds it. A run that dies
mid-send leaves its claim to expire, and the message is tried again then: the only
window in which a message could go twice, and it goes with the same Message-ID.
Failures wait 1, 2, 4 ... minutes (at most 6 hours) and the message is given up after
OUTBOX_MAX_ATTEMPTS, staying in the table as failed.

Webhooks (kind `webhook`) are claimed, retried and given up on the same way, in the
same runs: each is rendered and posted on its own (services/webhooks/), so a slow or
failing receiver holds up no email and no other receiver; every attempt is kept
(`webhook_attempt`), and a receiver that answers 410 Gone is turned off.
"""

from __future__ import annotations

import os
import secrets
import smtplib
import ssl
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.parser import HeaderParser
from email.utils import parseaddr
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import IntegrityError

from booking.extensions import db
from booking.files import private_folder
from booking.models import Booking, OutboxMessage, WebhookEndpoint
from booking.models.base import utcnow
from booking.models.outbox import (
    COURSE_CONFIRMATION,
    FAILED,
    PATIENT_KINDS,
    PENDING,
    REMINDER,
    SENDING,
    SENT,
    SUPERSEDED,
    WEBHOOK,
)
from booking.services import emails
from booking.services.commands import command
from booking.services.webhooks import endpoints as webhook_endpoints
from booking.services.webhooks import payloads
from booking.services.webhooks.delivery import DeliveryFailed, Result
from booking.services.webhooks.delivery import post as post_webhook

MAX_BACKOFF_MINUTES = 6 * 60


@dataclass(frozen=True)
class Claimed:
    """A message this run holds; `recipient` and `message` are filled in by `prepare`."""

    id: int
    kind: str
    attempts: int
    claim_token: str
    recipient: str = ""
    message: str = ""


@dataclass
class Report:
    sent: int = 0
    retrying: int = 0
    given_up: int = 0
    superseded: int = 0

    def summary(self, failed_in_all: int = 0) -> str:
        """One line for the cron log: counts only, nothing about any patient."""
        line = f"Outbox: {self.sent} sent, {self.retrying} to retry, {self.given_up} given up"
        if self.superseded:
            line += f", {self.superseded} no longer needed"
        if failed_in_all:
            line += f" ({failed_in_all} given up in all)"
        return line + "."


def backoff(attempts: int) -> timedelta:
    """How long to wait after the given number of failed attempts."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_MINUTES))


def describe(error: BaseException) -> str:
    """The error's class and SMTP code: never an address or any of the message (for a
    webhook, its HTTP status or what went wrong, never the body)."""
    if isinstance(error, DeliveryFailed):
        return error.summary
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _text in error.recipients.values()})
        code = codes[0] if codes else None
    return f"{type(error).__name__} {code}" if code else type(error).__name__


def is_permanent(error: BaseException) -> bool:
    """The server refused the address itself (5xx), or a webhook's receiver answered 410
    Gone: trying again will not help."""
    if isinstance(error, DeliveryFailed):
        return error.permanent
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _text in error.recipients.values()
    )


def _due(now: datetime):
    return or_(
        and_(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == SENDING, OutboxMessage.claimed_until < now),
    )


def is_stale(kind: str, written_at: int, sequence: int, start: datetime, now: datetime) -> bool:
    """A patient email overtaken by a change since, or a reminder come too late.

    `written_at` is the booking's sequence when the email was written. Clinic notices
    record what happened, so they are never stale.
    """
    if kind not in PATIENT_KINDS or kind == COURSE_CONFIRMATION:
        # A course's confirmation is about several bookings: it shows each as it is
        # when sent, and only when none of them is still booked is there nothing to say.
        return False
    return written_at < sequence or (kind == REMINDER and start <= now)


def due_candidates(now: datetime, size: int) -> list:
    """The next due messages, with their booking's state (another run may take them)."""
    return db.session.execute(
        db.select(
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.booking_sequence,
            Booking.sequence,
            Booking.start_at,
        )
        # Outer: the waitlist's emails are about an entry, not a booking.
        .outerjoin(Booking, Booking.id == OutboxMessage.booking_id)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(size)
    ).all()


def claim(now: datetime, size: int, report: Report) -> list[Claimed]:
    """Take up to `size` due messages for this run; skip those a newer email replaced."""
    token = secrets.token_hex(16)
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    won: list[int] = []
    with command(""):
        for row in due_candidates(now, size):
            stale = is_stale(row.kind, row.booking_sequence, row.sequence, row.start_at, now)
            values = (
                {"status": SUPERSEDED, "claimed_until": None, "claim_token": None}
                if stale
                else {"status": SENDING, "claimed_until": now + lease, "claim_token": token}
            )
            # The condition is checked again by the UPDATE itself: if another run took
            # the row since the SELECT, nothing is updated and it is not ours.
            result = db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id, _due(now))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                if stale:
                    report.superseded += 1
                else:
                    won.append(row.id)
        claimed = [
            Claimed(r.id, r.kind, r.attempts, token)
            for r in db.session.execute(
                db.select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.attempts)
                .where(OutboxMessage.id.in_(won))
                .order_by(OutboxMessage.id)
            ).all()
        ]
    return claimed


def _finish(claimed: Claimed, **values) -> None:
    """End this run's claim; a claim that expired and was taken over is left alone."""
    with command(""):
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == claimed.id,
                OutboxMessage.claim_token == claimed.claim_token,
                OutboxMessage.status == SENDING,
            )
            .values(claimed_until=None, claim_token=None, **values)
            .execution_options(synchronize_session=False)
        )


def mark_sent(message: Claimed, now: datetime, report: Report) -> None:
    # The address it actually went to: a patient's corrected email, say.
    _finish(message, status=SENT, sent_at=now, recipient=message.recipient, last_error="")
    report.sent += 1


def prepare(batch: list[Claimed], now: datetime, report: Report) -> list[Claimed]:
    """Render each claimed message; one with no one left to send to is superseded.

    A message that cannot be rendered (its booking's data broken, say) counts a failed
    attempt against itself, so it cannot hold up the queue.
    """
    ready = []
    for claimed in batch:
        try:
            rendered = emails.render(db.session.get(OutboxMessage, claimed.id), now)
        except Exception as error:  # noqa: BLE001
            db.session.rollback()
            current_app.logger.warning(
                "Outbox: message %s cannot be rendered (%s).", claimed.id, describe(error)
            )
            defer(claimed, error, now, report)
            continue
        if rendered is None:
            _finish(claimed, status=SUPERSEDED)
            report.superseded += 1
            continue
        ready.append(replace(claimed, recipient=rendered.recipient, message=rendered.message))
    db.session.rollback()  # end the read: nothing of the message stays in the session
    return ready


def defer(message: Claimed, error: BaseException, now: datetime, report: Report) -> None:
    """Count a failed attempt: wait and try again, or give up for good."""
    attempts = message.attempts + 1
    if is_permanent(error) or attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        _finish(message, status=FAILED, attempts=attempts, last_error=describe(error)[:200])
        report.given_up += 1
    else:
        _finish(
            message,
            status=PENDING,
            attempts=attempts,
            next_attempt_at=now + backoff(attempts),
            last_error=describe(error)[:200],
        )
        report.retrying += 1


def release(messages: list[Claimed]) -> None:
    """Hand back messages not tried in this run, without counting an attempt."""
    for message in messages:
        _finish(message, status=PENDING)


def write_eml(message: Claimed) -> Path:
    """No SMTP server configured: the message as a file, for a developer to open."""
    folder = private_folder(Path(current_app.instance_path) / "outbox")
    path = folder / f"{message.id}-{message.kind}.eml"
    partial = path.with_suffix(".eml.partial")
    # Written whole then renamed, so a reader never sees half a message; private to
    # the owner, since it holds a manage link.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii", newline="") as file:
        file.write(message.message)
    os.replace(partial, path)
    return path


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def connect() -> smtplib.SMTP:
    """A session with the configured server: STARTTLS and login when configured."""
    config = current_app.config
    timeout = float(config["SMTP_TIMEOUT"])
    smtp = smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=timeout)
    try:
        smtp.ehlo()
        if _flag(config["SMTP_STARTTLS"]):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if config["SMTP_USER"]:
            # BOOKING_* values arrive parsed as JSON: a numeric password is still text.
            smtp.login(str(config["SMTP_USER"]), str(config["SMTP_PASSWORD"]))
    except BaseException:
        smtp.close()
        raise
    return smtp


def connection_lost(error: OSError) -> bool:
    """The server went away (rather than refusing this one message): stop the run."""
    return isinstance(error, smtplib.SMTPServerDisconnected) or not isinstance(
        error, smtplib.SMTPException
    )


def envelope_sender(message: str) -> str:
    return parseaddr(HeaderParser().parsestr(message).get("From", ""))[1]


def deliver(batch: list[Claimed], now: datetime, report: Report) -> bool:
    """Send a claimed batch; False when the server could not be reached (stop the run)."""
    deliver_webhooks([m for m in batch if m.kind == WEBHOOK], now, report)
    batch = prepare([m for m in batch if m.kind != WEBHOOK], now, report)
    if not batch:
        return True
    if not current_app.config["SMTP_HOST"]:
        write_batch(batch, now, report)
        return True
    try:
        smtp = connect()
    except OSError as error:
        current_app.logger.warning("Outbox: cannot reach the SMTP server (%s).", describe(error))
        for message in batch:
            defer(message, error, now, report)
        return False
    try:
        return send_batch(smtp, batch, now, report)
    finally:
        hang_up(smtp)


def deliver_webhooks(batch: list[Claimed], now: datetime, report: Report) -> None:
    """Post each claimed webhook in turn, each rendered just before it goes."""
    for message in batch:
        prepared = prepare_webhook(message, now, report)
        if prepared is None:
            continue
        if not still_claimed(message):
            report.superseded += 1  # stopped since it was claimed: the endpoint deleted, say
            continue
        finish_webhook(message, prepared, post_webhook(prepared), now, report)


def prepare_webhook(message: Claimed, now: datetime, report: Report) -> payloads.Prepared | None:
    """The webhook's payload as things stand; None (and superseded) when its endpoint is
    gone or off; one that cannot be rendered counts a failed attempt, like an email."""
    try:
        prepared = payloads.render(db.session.get(OutboxMessage, message.id), now)
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        current_app.logger.warning(
            "Outbox: webhook %s cannot be rendered (%s).", message.id, type(error).__name__
        )
        defer(message, error, now, report)
        return None
    db.session.rollback()  # end the read: nothing of the payload stays in the session
    if prepared is None:
        _finish(message, status=SUPERSEDED)
        report.superseded += 1
    return prepared


def finish_webhook(
    message: Claimed, prepared: payloads.Prepared, result: Result, now: datetime, report: Report
) -> None:
    """Keep the attempt and count it, in one transaction; a 410 turns the endpoint off."""
    try:
        with command(""):
            webhook_endpoints.record(result, message.id, prepared.endpoint_id)
            if result.ok:
                mark_sent(message, now, report)
            else:
                defer(message, DeliveryFailed(result), now, report)
    except IntegrityError:
        # The endpoint was deleted, with its webhooks, while this one was on its way.
        db.session.rollback()
        return
    if result.gone:
        endpoint = db.session.get(WebhookEndpoint, prepared.endpoint_id)
        if endpoint is not None and endpoint.enabled:
            webhook_endpoints.set_enabled(
                endpoint, False, actor=None, reason="The receiver answered 410 Gone."
            )


def write_batch(batch: list[Claimed], now: datetime, report: Report) -> None:
    """No SMTP server configured: each message to an .eml file, counted as sent."""
    for message in batch:
        try:
            write_eml(message)
        except OSError as error:
            defer(message, error, now, report)
        else:
            mark_sent(message, now, report)


def send_batch(smtp: smtplib.SMTP, batch: list[Claimed], now: datetime, report: Report) -> bool:
    """Send each message in turn; False, handing back the rest, if the server went away."""
    for index, message in enumerate(batch):
        if not still_claimed(message):
            # Stopped since it was claimed (the patient erased, the booking voided): the
            # copy in memory is not sent.
            report.superseded += 1
            continue
        error = send_one(smtp, message)
        if error is None:
            mark_sent(message, now, report)
            continue
        defer(message, error, now, report)
        if isinstance(error, OSError) and connection_lost(error):
            release(batch[index + 1 :])
            return False
    return True


def still_claimed(message: Claimed) -> bool:
    """Whether this run still holds the message, read afresh just before it goes."""
    row = db.session.execute(
        db.select(OutboxMessage.status, OutboxMessage.claim_token).where(
            OutboxMessage.id == message.id
        )
    ).first()
    db.session.rollback()  # end the read: the next one sees what has committed since
    return row is not None and row.status == SENDING and row.claim_token == message.claim_token


def send_one(smtp: smtplib.SMTP, message: Claimed) -> Exception | None:
    """Hand one message to the server: None once accepted, else why not."""
    try:
        smtp.sendmail(
            envelope_sender(message.message),
            [message.recipient],
            message.message.encode("ascii"),
        )
    except Exception as error:  # noqa: BLE001
        # smtplib's errors are OSErrors; anything else is this message's own fault (it
        # cannot be encoded, say). Either way it is counted against the message, so one
        # bad message cannot hold up the queue run after run.
        return error
    return None


def hang_up(smtp: smtplib.SMTP) -> None:
    """End the session politely, or just drop it if the server is already gone."""
    try:
        smtp.quit()
    except OSError:
        smtp.close()


def send_due(now: datetime | None = None, *, limit: int = 500) -> Report:
    """Send what is due, a batch at a time, up to `limit` messages in one run."""
    report = Report()
    size = int(current_app.config["OUTBOX_BATCH_SIZE"])
    handled = 0
    while handled < limit:
        moment = now or utcnow()
        batch = claim(moment, min(size, limit - handled), report)
        if not batch:
            break
        handled += len(batch)
        if not deliver(batch, moment, report):
            break
    return report


def failed_count() -> int:
    return db.session.execute(
        db.select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == FAILED)
    ).scalar_one()


def retry_failed(now: datetime | None = None) -> int:
    """Put messages that were given up on back in the queue, e.g. after fixing settings."""
    with command(""):
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == FAILED)
            .values(status=PENDING, attempts=0, next_attempt_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )
    return result.rowcount
