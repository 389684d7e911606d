"""Everything a person or an API client can cause: one family, read one way.

Each error carries a message for the person, optional field errors, a stable code and
an HTTP status; `views/errors.py` turns any of them into the HTML page or the JSON
envelope. This module imports nothing of the app, so every layer, the pure domain
included, may raise these.
"""

from __future__ import annotations

from collections.abc import Mapping


class ClinicError(Exception):
    """A request that cannot be carried out, with a message for the person who made it."""

    code = "invalid"
    status = 422

    def __init__(
        self,
        message: str,
        fields: Mapping[str, str] | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return self.message


class ValidationError(ClinicError):
    """Input that breaks a rule: `fields` says which and why."""

    code = "validation_error"

    @classmethod
    def of(cls, fields: Mapping[str, str], message: str = "") -> ValidationError:
        """Several field errors at once; the message is theirs joined, unless given."""
        return cls(message or "; ".join(fields.values()), fields)

    @classmethod
    def field(cls, name: str, message: str) -> ValidationError:
        """One field's error, the message also the error's own."""
        return cls(message, {name: message})


class NotFound(ClinicError):
    code = "not_found"
    status = 404


class Conflict(ClinicError):
    """Refused because of the state things are in now (already cancelled, last owner...)."""

    code = "conflict"
    status = 409


class SlotTaken(Conflict):
    code = "slot_taken"


class Unauthorized(ClinicError):
    code = "unauthorized"
    status = 401


class RateLimited(ClinicError):
    """Too many of something from one client, address or patient: try again later.

    `retry_after` is whole seconds until the limit lifts, sent as `Retry-After`.
    """

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, retry_after: int, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))
