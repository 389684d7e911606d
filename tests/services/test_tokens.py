"""Manage tokens: re-created from the app secret for later emails, never stored."""

from __future__ import annotations

import email
import email.policy

from booking.extensions import db
from booking.models import Booking
from booking.services.bookings import cancel_booking, find_by_token
from booking.services.tokens import hash_token, manage_token
from tests.mail import Received, rendered


def the_booking():
    return db.session.execute(db.select(Booking)).scalar_one()


def test_the_token_is_recreated_but_the_row_holds_only_its_hash_and_a_salt(app, make_booking):
    token = make_booking()["manage_token"]
    with app.app_context():
        booking = the_booking()
        assert manage_token(booking) == token
        assert find_by_token(token) == booking
        assert booking.manage_token_hash == hash_token(token)
        assert token not in booking.manage_token_salt
        assert len(token) >= 43


def test_a_new_secret_with_the_old_one_as_fallback_keeps_links_in_later_emails(app, make_booking):
    token = make_booking()["manage_token"]
    app.config.update(SECRET_KEY="a-new-secret", SECRET_KEY_FALLBACKS=["test-secret"])
    with app.app_context():
        assert manage_token(the_booking()) == token


def test_without_the_secret_later_emails_say_where_the_link_is_instead(app, make_booking):
    token = make_booking()["manage_token"]
    app.config["SECRET_KEY"] = "a-new-secret"
    with app.app_context():
        booking = the_booking()
        assert manage_token(booking) is None
        cancel_booking(booking)
        message = rendered("cancellation")
        assert "/manage/" not in message
        text = Received("", [], email.message_from_string(message, policy=email.policy.default))
        assert "Your booking page" not in text.text and "Book a new time" in text.text
        # The link the patient already has still works.
        assert find_by_token(token) is not None


def test_bookings_from_before_emails_have_no_link_to_recreate(app, make_booking):
    make_booking()
    with app.app_context():
        booking = the_booking()
        booking.manage_token_salt = None
        db.session.commit()
        assert manage_token(booking) is None
