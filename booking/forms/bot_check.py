"""A bot check for anonymous forms that needs no third party and no JavaScript.

Two signs of a program rather than a person, checked on submit:

- a honeypot: a text box people never see (hidden by CSS, skipped by the keyboard
  and by screen readers) that form-filling programs tend to fill in;
- a minimum fill time: the page carries the moment it was shown, signed with the
  app's secret so it cannot be forged, and an answer sent back sooner than a person
  could read and fill the form is sent back to them once more.

Neither stores anything; the online limits (`services/booking_limits.py`) bound what
a patient program that passes both can do.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from wtforms import HiddenField, StringField

SALT = "booking.form-started"
MAX_AGE = 24 * 60 * 60  # a form left open overnight is simply shown again
TOO_QUICK = (
    "That was quicker than we expected. Please check your details and answers, "
    "then press the button again."
)
EXPIRED = (
    "This page was open for a long time. Please check your details and press the button again."
)
HONEYPOT = "We could not accept this form. Please try again, or call the clinic to book."


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def started_token() -> str:
    return _serializer().dumps(1)


class BotCheck:
    """Mixin for a FlaskForm: `bot_problem` says what gave a program away, or None."""

    # The honeypot's name is one that browsers' autofill has no reason to fill.
    fax_only = StringField("Leave this box empty")
    started = HiddenField()
    bot_problem: str | None = None

    def check_for_bots(self) -> bool:
        """Whether the submission looks like a person's; sets `bot_problem` if not."""
        self.bot_problem, stamp_ok = self._problem()
        if self.bot_problem:
            self.fax_only.data = ""
            if not stamp_ok:
                # A good stamp is kept: the time a person has already spent still counts.
                self.started.data = started_token()
        return self.bot_problem is None

    def _problem(self) -> tuple[str | None, bool]:
        """What gave a program away (or None), and whether the stamp itself was good."""
        try:
            _, signed_at = _serializer().loads(
                self.started.data or "", max_age=MAX_AGE, return_timestamp=True
            )
        except SignatureExpired:
            return EXPIRED, False
        except BadSignature:
            return TOO_QUICK, False
        if self.fax_only.data:
            return HONEYPOT, True
        minimum = current_app.config.get("BOT_MIN_FILL_SECONDS", 3)
        if (datetime.now(UTC) - signed_at).total_seconds() < minimum:
            return TOO_QUICK, True
        return None, True

    def prepare(self) -> None:
        """Stamp a freshly shown form with the moment it was shown."""
        if not self.started.data:
            self.started.data = started_token()
