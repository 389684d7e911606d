"""Manage-link tokens that later emails can carry without the database storing them.

A patient's manage link is the only credential for their booking, and only its
SHA-256 is stored. The confirmation is written while the raw token is at hand, but
the reschedule, cancellation and reminder emails come later, when it is not.

Choices weighed:

- Rotate the token on each later email: every older link (the bookmark, the
  calendar entry from the confirmation) would stop working without warning, and a
  reminder would silently break the link the patient already relies on. Rejected.
- Encrypt the token with the app secret in the booking row: needs an extra
  dependency for symmetric encryption and still stores a ciphertext of the secret.
- Derive it (chosen): token = HMAC-SHA256(SECRET_KEY, per-booking random salt). The
  row keeps the random salt and the token's hash; the token is recomputed when an
  email needs it. A copy of the database alone gives no working link (the salt is
  useless without the app secret), which is the same protection encryption would give,
  with the standard library only, and every link a patient has keeps working.

If SECRET_KEY changes, existing links keep working (the hash is stored), and later
emails still carry them while the old key is listed in SECRET_KEY_FALLBACKS; without
it, those emails say to use the earlier link or call the clinic. Bookings made before
emails existed have no salt and get the same wording.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app

from booking.models import Booking

SALT_BYTES = 16
PURPOSE = b"booking-manage-link\x00"
# A waitlist entry's private link: the same scheme, another purpose, so neither token
# can ever stand for the other.
WAITLIST_PURPOSE = b"waitlist-link\x00"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _derive(key: str | bytes, salt: str, purpose: bytes = PURPOSE) -> str:
    key_bytes = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key_bytes, purpose + salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _keys() -> list[str | bytes]:
    fallbacks = current_app.config.get("SECRET_KEY_FALLBACKS") or []
    return [current_app.config["SECRET_KEY"], *fallbacks]


def new_manage_token(purpose: bytes = PURPOSE) -> tuple[str, str]:
    """A fresh (token, salt): 256 bits the patient keeps, and what the row keeps."""
    salt = secrets.token_urlsafe(SALT_BYTES)
    return _derive(_keys()[0], salt, purpose), salt


def recreate(salt: str | None, stored_hash: str, purpose: bytes = PURPOSE) -> str | None:
    """The token whose hash is stored, from its salt; None when it cannot be re-created."""
    if not salt:
        return None
    for key in _keys():
        token = _derive(key, salt, purpose)
        if hmac.compare_digest(hash_token(token), stored_hash):
            return token
    return None


def manage_token(booking: Booking) -> str | None:
    """The booking's manage token again, or None when it cannot be re-created."""
    return recreate(booking.manage_token_salt, booking.manage_token_hash)
