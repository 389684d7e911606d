"""The waitlist for reception: the line by service, practitioner and date; adding a
patient by phone; moving an entry up, removing it, offering it a time, withdrawing an
offer."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from booking.domain import screening
from booking.domain.waitlist import WAITING
from booking.errors import ClinicError
from booking.extensions import db
from booking.forms.staff import OfferForm, ReasonForm, StaffWaitlistForm
from booking.models import Patient, Service, WaitlistEntry, WaitlistOffer
from booking.models.base import utcnow
from booking.services import availability, waitlist
from booking.services.bookings import RedFlag
from booking.services.catalogue import offered_services
from booking.services.clinic import current_disclaimer, get_settings
from booking.services.timetable import active_practitioners
from booking.views.helpers import to_local
from booking.views.params import ParamError, parse_date, parse_id, parse_start
from booking.views.staff import bp

# Free times listed for a manual offer, soonest first.
OFFERABLE = 24


def _filters() -> dict:
    """The list's filters from the query string; a bad value is dropped with a word."""
    chosen = {}
    try:
        chosen["service_id"] = parse_id(request.args.get("service"))
        chosen["practitioner_id"] = parse_id(request.args.get("practitioner"))
        text = request.args.get("date")
        chosen["day"] = parse_date(text) if text else None
    except ParamError:
        flash("That filter was not recognised; showing everyone waiting.")
        return {"service_id": None, "practitioner_id": None, "day": None}
    return chosen


@bp.get("/waitlist")
def waitlist_list():
    chosen = _filters()
    found = waitlist.entries(**chosen)
    views = [waitlist.view(entry) for entry in found]
    return render_template(
        "staff/waitlist/list.html",
        views=views,
        services=offered_services(),
        practitioners=active_practitioners(),
        chosen=chosen,
        form=ReasonForm(),
    )


@bp.get("/waitlist/<id:entry_id>")
def waitlist_entry(entry_id: int):
    entry = db.get_or_404(WaitlistEntry, entry_id)
    view = waitlist.view(entry)
    now = utcnow()
    offerable = []
    if entry.status == WAITING and view.offer is None:
        first = max(entry.earliest, to_local(now).date())
        try:
            text = request.args.get("from")
            first = parse_date(text) if text else first
        except ParamError:
            flash("That date was not recognised.")
        offerable = availability.free_slots(
            entry.service,
            first,
            first + timedelta(days=13),
            practitioner_id=entry.practitioner_id,
            now=now,
        )[:OFFERABLE]
    offers = list(
        db.session.execute(
            db.select(WaitlistOffer)
            .where(WaitlistOffer.entry_id == entry.id)
            .order_by(WaitlistOffer.offered_at.desc())
        ).scalars()
    )
    return render_template(
        "staff/waitlist/entry.html",
        view=view,
        offers=offers,
        offerable=offerable,
        reason_form=ReasonForm(),
        offer_form=OfferForm(),
    )


@bp.route("/waitlist/new", methods=["GET", "POST"])
def waitlist_new():
    form = StaffWaitlistForm()
    services = offered_services()
    form.service.choices = [
        SelectChoice("", "Choose…"),
        *(SelectChoice(s.slug, s.name) for s in services),
    ]
    practitioners = active_practitioners()
    form.practitioner.choices = [
        SelectChoice("any", "Anyone"),
        *(SelectChoice(str(p.id), p.name) for p in practitioners),
    ]
    settings = get_settings()
    today = to_local(utcnow()).date()
    last_day = today + timedelta(days=min(settings.waitlist_weeks * 7, settings.horizon_days))
    if request.method == "GET":
        form.earliest.data = today
        form.latest.data = min(today + timedelta(weeks=2), last_day)
        patient_id = parse_id(request.args.get("patient")) if request.args.get("patient") else None
        patient = db.session.get(Patient, patient_id) if patient_id else None
        if patient is not None and patient.erased_at is None:
            form.patient_id.data = patient.id
            form.name.data, form.email.data, form.phone.data = (
                patient.name,
                patient.email,
                patient.phone,
            )
        slug = request.args.get("service")
        if slug in {s.slug for s in services}:
            form.service.data = slug
    context = {
        "form": form,
        "disclaimer": current_disclaimer(),
        "last_day": last_day,
        "result": None,
    }
    if not form.validate_on_submit():
        return render_template("staff/waitlist/new.html", **context), 422 if form.errors else 200
    service = db.session.execute(
        db.select(Service).where(Service.slug == form.service.data)
    ).scalar_one()
    try:
        entry, _token = waitlist.join(
            form.join_request(service, patient_id=form.patient_id.data or None),
            actor=current_user,
        )
    except RedFlag as red_flag:
        context["result"] = red_flag.result
        context["advice"] = screening.ADVICE
        return render_template("staff/waitlist/new.html", **context), 422
    except ClinicError as error:
        context["problem"] = error.message
        return render_template("staff/waitlist/new.html", **context), error.status
    flash(
        f"{entry.patient.name} is on the waitlist, number {waitlist.position(entry)} in line. "
        "They have been emailed their private link."
    )
    return redirect(url_for("staff.waitlist_entry", entry_id=entry.id))


def _back(entry: WaitlistEntry):
    if request.form.get("back") == "list":
        return redirect(url_for("staff.waitlist_list", service=entry.service_id))
    return redirect(url_for("staff.waitlist_entry", entry_id=entry.id))


@bp.post("/waitlist/<id:entry_id>/move-up")
def waitlist_move_up(entry_id: int):
    entry = db.get_or_404(WaitlistEntry, entry_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("Say why this patient moves up the line.")
        return _back(entry)
    try:
        place = waitlist.move_up(
            entry, reason=form.reason.data, actor=current_user, to_front=form.to_front.data
        )
    except ClinicError as error:
        flash(error.message)
    else:
        flash(f"{entry.patient.name} is now number {place} in line.")
    return _back(entry)


@bp.post("/waitlist/<id:entry_id>/remove")
def waitlist_remove(entry_id: int):
    entry = db.get_or_404(WaitlistEntry, entry_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("Say why this patient leaves the line.")
        return _back(entry)
    try:
        waitlist.leave(entry, actor=current_user, reason=form.reason.data)
    except ClinicError as error:
        flash(error.message)
    else:
        flash(f"{entry.patient.name} is off the waitlist.")
    return _back(entry)


@bp.post("/waitlist/<id:entry_id>/offer")
def waitlist_offer(entry_id: int):
    entry = db.get_or_404(WaitlistEntry, entry_id)
    form = OfferForm()
    try:
        start = parse_start(form.start.data)
    except ParamError:
        start = None
    if not form.validate_on_submit() or start is None:
        flash("Choose one of the free times listed.")
        return _back(entry)
    try:
        offer = waitlist.offer_time(entry, form.practitioner.data, start, actor=current_user)
    except ClinicError as error:
        flash(error.message)
    else:
        flash(
            f"Held for {entry.patient.name} until {to_local(offer.expires_at):%-I:%M %p}; "
            "they have been emailed."
        )
    return _back(entry)


@bp.post("/waitlist/offers/<id:offer_id>/withdraw")
def waitlist_withdraw(offer_id: int):
    offer = db.get_or_404(WaitlistOffer, offer_id)
    try:
        waitlist.withdraw(offer, actor=current_user)
    except ClinicError as error:
        flash(error.message)
    else:
        flash(
            "Offer withdrawn: the time is free to book at the desk for 15 minutes, then it "
            "goes to the next in line it suits."
        )
    return _back(offer.entry)
