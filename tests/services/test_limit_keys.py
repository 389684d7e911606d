"""Counter keys never hold an email or an address, nor a plain hash that confirms a guess."""

from __future__ import annotations

import hashlib

from booking.services import limits


def test_a_counter_key_cannot_confirm_a_guessed_email(app):
    with app.app_context():
        key = limits.key("email-recipient", "Ann@Example.com")
        assert "ann" not in key.lower()
        plain = hashlib.sha256(b"ann@example.com").hexdigest()[:32]
        assert plain not in key
        # The same inbox however it is typed, and another secret gives another key.
        assert key == limits.key("email-recipient", " ann@example.com ")
        app.config["SECRET_KEY"] = "another-secret-for-another-clinic"
        assert limits.key("email-recipient", "ann@example.com") != key
