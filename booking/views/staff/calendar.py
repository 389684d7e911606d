"""The calendar: a day for all practitioners, a week for one."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import abort, flash, render_template, request

from booking.domain import screening
from booking.domain.clock import day_bounds, week_days
from booking.extensions import db
from booking.models import Practitioner
from booking.models.base import utcnow
from booking.services import outcomes, waitlist
from booking.services.clinic import get_settings
from booking.services.timetable import active_practitioners, day_grid, week_grid
from booking.views.helpers import to_local
from booking.views.params import ParamError, parse_date, parse_id
from booking.views.staff import bp


def chosen_day() -> date:
    today = to_local(utcnow()).date()
    text = request.args.get("date")
    if not text:
        return today
    try:
        return parse_date(text)
    except ParamError:
        flash("That date was not recognised; showing today.")
        return today


def render_calendar(template: str, shown: date, grid_and_cancelled, step: timedelta, **extra):
    grid, cancelled = grid_and_cancelled
    return render_template(
        template,
        day=shown,
        grid=grid,
        cancelled=cancelled,
        today=to_local(utcnow()).date(),
        previous=shown - step,
        following=shown + step,
        **extra,
    )


@bp.get("/")
def day():
    shown = chosen_day()
    start, end = day_bounds(shown, ZoneInfo(get_settings().timezone))
    return render_calendar(
        "staff/day.html",
        shown,
        day_grid(shown),
        timedelta(days=1),
        flagged=outcomes.flagged_between(start, end),
        flag_label=screening.flag_label,
        waiting=waitlist.waiting_on(shown),
    )


@bp.get("/week")
def week():
    shown = chosen_day()
    practitioners = active_practitioners()
    if not practitioners:
        abort(404)
    try:
        practitioner_id = parse_id(request.args.get("practitioner"))
    except ParamError:
        abort(404)  # no practitioner has an id like that
    practitioner = (
        db.session.get(Practitioner, practitioner_id) if practitioner_id else practitioners[0]
    )
    if practitioner is None:
        abort(404)
    return render_calendar(
        "staff/week.html",
        shown,
        week_grid(practitioner, shown),
        timedelta(days=7),
        practitioner=practitioner,
        practitioners=practitioners,
        days=week_days(shown),
    )
