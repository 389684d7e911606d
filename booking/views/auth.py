"""Staff sign-in (password, then a code for accounts with two-step sign-in) and sign-out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from booking.errors import RateLimited
from booking.forms.auth import LoginForm, SignInCodeForm
from booking.models.base import utcnow
from booking.services import staff_sessions
from booking.services import two_factor as two_factor_service
from booking.services.auth import LoginError, authenticate, signed_in
from booking.services.two_factor import TooManyCodes, TwoFactorError
from booking.views.access import SESSION_KEY
from booking.views.helpers import client_address

bp = Blueprint("auth", __name__)
# Whose password was accepted, and when, while they owe a code: {"user", "token", "at"}.
PENDING = "two_factor_pending"


def safe_next(target: str | None) -> str:
    """Only a path on this site: never redirect to another host after sign-in.

    A browser reads '//host' (and '/\\host', and either with tabs or newlines inside) as
    another site, so the path must start with exactly one slash and hold no control
    characters or backslashes.
    """
    if target and len(target) <= 2000:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
            and not any(ord(ch) < 32 or ord(ch) == 127 for ch in target)
        ):
            return target
    return url_for("staff.day")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data, client_address())
        except RateLimited as failure:
            page = render_template("auth/login.html", form=form, error=failure.message)
            return page, 429, {"Retry-After": str(failure.retry_after)}
        except LoginError as failure:
            error = failure.message
        else:
            session.clear()  # a fresh session for the signed-in user
            locked = user.two_factor_enabled and two_factor_service.seconds_locked(user)
            if locked:
                page = render_template(
                    "auth/login.html", form=form, error=two_factor_service.locked_message(locked)
                )
                return page, 429, {"Retry-After": str(locked)}
            if user.two_factor_enabled:
                # Not signed in yet: the password only earns the chance to give a code.
                session[PENDING] = {
                    "user": user.id,
                    "token": user.session_token,
                    "at": int(utcnow().timestamp()),
                }
                return redirect(url_for("auth.two_factor", next=request.args.get("next")))
            return sign_in(user)
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


def sign_in(user, how: str = ""):
    """Both steps done: a fresh session on the server, then the page they asked for."""
    signed_in(user, client_address(), how)
    session.clear()
    login_user(user)
    session[SESSION_KEY] = staff_sessions.start(user)
    return redirect(safe_next(request.args.get("next")))


def start_again(message: str | None = None):
    session.pop(PENDING, None)
    if message:
        flash(message)
    return redirect(url_for("auth.login", next=request.args.get("next")))


@bp.route("/login/two-factor", methods=["GET", "POST"])
def two_factor():
    """The second step: a code from the app, or a recovery code (`?recovery=1` asks for one)."""
    pending = session.get(PENDING) or {}
    user = two_factor_service.pending_sign_in(
        pending.get("user"), pending.get("token"), pending.get("at")
    )
    if user is None:
        return start_again(
            "Please sign in again: a sign-in waits five minutes for its code." if pending else None
        )
    form = SignInCodeForm()
    error = None
    if form.validate_on_submit():
        try:
            left = two_factor_service.check_sign_in_code(user, form.code.data)
        except TooManyCodes as failure:
            return start_again(failure.message)
        except TwoFactorError as failure:
            error = failure.message
            form.code.data = ""  # a fresh code is needed, and a recovery code stays off the page
        else:
            how = " with a recovery code" if left is not None else " with a code from the app"
            response = sign_in(user, how)
            if left is not None:
                flash(recovery_code_notice(left))
            return response
    recovery = request.args.get("recovery") == "1"
    status = 401 if error else 200
    return render_template(
        "auth/two_factor.html", form=form, error=error, recovery=recovery
    ), status


def recovery_code_notice(left: int) -> str:
    codes = f"{left} recovery code{'s' if left != 1 else ''}"
    if left > 3:
        return f"Signed in with a recovery code; you have {codes} left."
    return (
        f"Signed in with a recovery code; you have {codes} left. Make new ones on your "
        "account page."
    )


@bp.post("/logout")
def logout():
    staff_sessions.end(session.get(SESSION_KEY))
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))
