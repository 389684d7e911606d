"""Practitioners' weekly hours, time off and calendar feed links, and the bookings they strand."""

from __future__ import annotations

import calendar
from datetime import time, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from booking.domain.availability import WeeklyHours
from booking.domain.clock import twelve_hour as wall_clock
from booking.domain.conflicts import IN_BREAK, OUTSIDE_HOURS, TIME_OFF
from booking.extensions import db
from booking.forms.practitioners import HoursForm, TimeOffForm
from booking.models import Practitioner, TimeOff
from booking.services import practitioners as service
from booking.services.links import absolute_url
from booking.services.timetable import active_practitioners
from booking.views.helpers import clock, short_date, to_local
from booking.views.staff import bp

REASONS = {
    TIME_OFF: "in time off",
    IN_BREAK: "in a break",
    OUTSIDE_HOURS: "outside working hours",
}
# The feed URL is shown once, on the page the creation redirects to.


def day_names(weekdays: list[int]) -> str:
    """Mon–Fri, or Tue, Thu: runs of three or more days joined with a dash."""
    runs: list[list[int]] = []
    for weekday in sorted(weekdays):
        if runs and runs[-1][-1] == weekday - 1:
            runs[-1].append(weekday)
        else:
            runs.append([weekday])
    names = []
    for run in runs:
        if len(run) >= 3:
            names.append(f"{calendar.day_abbr[run[0]]}–{calendar.day_abbr[run[-1]]}")
        else:
            names.extend(calendar.day_abbr[weekday] for weekday in run)
    return ", ".join(names)


def hours_lines(hours: tuple[WeeklyHours, ...]) -> list[str]:
    """The week in a few lines, one per distinct set of hours, in weekday order."""
    groups: dict[tuple, list[int]] = {}
    for day in sorted(hours, key=lambda h: h.weekday):
        groups.setdefault((day.start, day.end, day.break_start, day.break_end), []).append(
            day.weekday
        )
    lines = []
    for (start, end, break_start, break_end), weekdays in groups.items():
        line = f"{day_names(weekdays)}: {wall_clock(start)} – {wall_clock(end)}"
        if break_start and break_end:
            line += f" (break {wall_clock(break_start)} – {wall_clock(break_end)})"
        lines.append(line)
    return lines


def describe_time_off(off: TimeOff) -> str:
    """Mon 7 Dec (whole day), Mon 7 Dec – Fri 11 Dec, or Mon 7 Dec, 10:00 am – 12:00 pm."""
    start, end = to_local(off.start_at), to_local(off.end_at)
    if start.time() == end.time() == time(0):
        last = (end - timedelta(days=1)).date()
        if last == start.date():
            return f"{short_date(start)} (whole day)"
        return f"{short_date(start)} – {short_date(last)} (whole days)"
    if start.date() == end.date():
        return f"{short_date(start)}, {clock(start)} – {clock(end)}"
    return f"{short_date(start)} {clock(start)} – {short_date(end)} {clock(end)}"


def practitioner_or_404(practitioner_id: int) -> Practitioner:
    return db.get_or_404(Practitioner, practitioner_id)


@bp.get("/practitioners")
def practitioners():
    rows = [
        {
            "practitioner": p,
            "hours": hours_lines(p.weekly_hours),
            "time_off": service.upcoming_time_off(p),
            "conflicts": len(service.conflicting_bookings(p)),
        }
        for p in active_practitioners()
    ]
    return render_template(
        "staff/practitioners/index.html", rows=rows, describe_time_off=describe_time_off
    )


def render_practitioner(
    practitioner: Practitioner,
    time_off_form: TimeOffForm,
    status: int = 200,
    *,
    new_feed_token: str | None = None,
):
    """The practitioner's page; with a new feed's token, its link, shown this once."""
    feed_url = absolute_url("feeds.calendar", token=new_feed_token) if new_feed_token else None
    hours = practitioner.weekly_hours
    return render_template(
        "staff/practitioners/show.html",
        practitioner=practitioner,
        hours=hours_lines(hours),
        time_off=service.upcoming_time_off(practitioner),
        conflicts=service.conflicting_bookings(practitioner),
        reasons=REASONS,
        form=time_off_form,
        feed_url=feed_url,
        describe_time_off=describe_time_off,
    ), status


@bp.get("/practitioners/<id:practitioner_id>")
def practitioner(practitioner_id: int):
    return render_practitioner(practitioner_or_404(practitioner_id), TimeOffForm())


def flash_conflicts(practitioner: Practitioner) -> None:
    count = len(service.conflicting_bookings(practitioner))
    if count:
        flash(
            f"{count} booking{' no longer fits' if count == 1 else 's no longer fit'} "
            f"{practitioner.name}'s hours or time off: see Needs rescheduling."
        )


@bp.route("/practitioners/<id:practitioner_id>/hours", methods=["GET", "POST"])
def practitioner_hours(practitioner_id: int):
    item = practitioner_or_404(practitioner_id)
    # A POST is read as sent: a field missing from it must not fall back to the saved hours.
    form = HoursForm() if request.method == "POST" else HoursForm.for_hours(item.weekly_hours)
    if not form.validate_on_submit():
        return render_template(
            "staff/practitioners/hours.html", practitioner=item, form=form
        ), 422 if form.errors else 200
    if service.set_hours(item, form.week(), actor=current_user):
        flash(f"Hours saved for {item.name}.")
        flash_conflicts(item)
    else:
        flash("No changes to the hours.")
    return redirect(url_for("staff.practitioner", practitioner_id=item.id))


@bp.post("/practitioners/<id:practitioner_id>/time-off")
def practitioner_time_off_add(practitioner_id: int):
    item = practitioner_or_404(practitioner_id)
    form = TimeOffForm()
    if not form.validate_on_submit():
        return render_practitioner(item, form, 422)
    first_day, last_day = form.day_range()
    try:
        service.add_time_off(
            item,
            first_day,
            last_day,
            form.start.data,
            form.end.data,
            form.reason.data or "",
            actor=current_user,
        )
    except service.ScheduleError as error:
        form.first_day.errors = [error.message]
        return render_practitioner(item, form, 422)
    flash(f"Time off added for {item.name}.")
    flash_conflicts(item)
    return redirect(url_for("staff.practitioner", practitioner_id=item.id))


@bp.post("/practitioners/<id:practitioner_id>/time-off/<id:off_id>/delete")
def practitioner_time_off_delete(practitioner_id: int, off_id: int):
    item = practitioner_or_404(practitioner_id)
    off = db.session.get(TimeOff, off_id)
    if off is None or off.practitioner_id != item.id:
        flash("That time off had already been removed.")
    else:
        service.delete_time_off(off, actor=current_user)
        flash(f"Time off removed for {item.name}.")
    return redirect(url_for("staff.practitioner", practitioner_id=item.id))


@bp.post("/practitioners/<id:practitioner_id>/feed")
def practitioner_feed_create(practitioner_id: int):
    item = practitioner_or_404(practitioner_id)
    replaced = item.feed_token_hash is not None
    token = service.create_feed(item, actor=current_user)
    flash(
        "New calendar feed link created; the old one no longer works."
        if replaced
        else "Calendar feed link created."
    )
    # The link is in this response only (no-store), never in the session cookie, which
    # anyone holding it could read.
    return render_practitioner(item, TimeOffForm(formdata=None), new_feed_token=token)


@bp.post("/practitioners/<id:practitioner_id>/feed/delete")
def practitioner_feed_revoke(practitioner_id: int):
    item = practitioner_or_404(practitioner_id)
    if service.revoke_feed(item, actor=current_user):
        flash(f"Calendar feed turned off for {item.name}; its link no longer works.")
    else:
        flash("The calendar feed was already off.")
    return redirect(url_for("staff.practitioner", practitioner_id=item.id, _anchor="feed"))
