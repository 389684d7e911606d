"""Staff sign-in and sign-out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from booking.errors import RateLimited
from booking.forms.auth import LoginForm
from booking.services import staff_sessions
from booking.services.auth import LoginError, authenticate
from booking.views.access import SESSION_KEY
from booking.views.helpers import client_address

bp = Blueprint("auth", __name__)


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
            login_user(user)
            session[SESSION_KEY] = staff_sessions.start(user)
            return redirect(safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    staff_sessions.end(session.get(SESSION_KEY))
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))
