"""Patients' pages: choose a condition, see the estimate, pick a time, book, manage."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from wtforms.fields.choices import SelectChoice

from booking.domain import screening
from booking.domain.availability import Slot
from booking.domain.statuses import ARRIVED, BOOKED, ENTERED_IN_ERROR, FULFILLED, NOSHOW
from booking.domain.waitlist import WEEKDAY_NAMES
from booking.errors import ClinicError, NotFound, RateLimited
from booking.extensions import db
from booking.forms.public import (
    CancelForm,
    CheckInForm,
    ConfirmForm,
    DetailsForm,
    EstimateRequestForm,
    WaitlistForm,
)
from booking.models import Booking, Practitioner, Service, WaitlistEntry
from booking.models.base import utcnow
from booking.services import (
    availability,
    clearances,
    courses,
    good_faith,
    health,
    outcomes,
    series,
    waitlist,
)
from booking.services.bookings import (
    BookingRequest,
    RedFlag,
    SlotTaken,
    cancel_booking,
    change_deadline,
    check_patient_can_change,
    create_booking,
    find_by_token,
    format_reference,
    reschedule_booking,
)
from booking.services.calendar import booking_calendar
from booking.services.catalogue import offered_service, offered_services
from booking.services.clinic import current_disclaimer
from booking.services.links import absolute_url
from booking.services.tokens import manage_token
from booking.views.errors import RETRY_AFTER
from booking.views.helpers import (
    clinic,
    long_date,
    outcome_context,
    public_client,
    series_page,
    to_local,
)
from booking.views.params import (
    ParamError,
    chosen_starts,
    parse_date,
    parse_id,
    parse_start,
)

bp = Blueprint("public", __name__)

WEEK = 7


def service_or_404(slug: str) -> Service:
    service = offered_service(slug)
    if service is None:
        abort(404)
    return service


BAD_BOOKING_LINK = (
    "This booking link is not valid. Please check the link in your confirmation email, "
    "or call us with your booking reference."
)
BAD_WAITLIST_LINK = (
    "This waitlist link is not valid. Please check the link in the email we sent when "
    "you joined, or call us."
)


def booking_or_404(token: str) -> Booking:
    booking = find_by_token(token)
    if booking is None:
        raise NotFound(BAD_BOOKING_LINK)
    return booking


def today() -> date:
    return to_local(utcnow()).date()


def group_by_day(slots: list[Slot]) -> OrderedDict[date, list[Slot]]:
    """Slots by clinic-local day, one entry per start time (any practitioner)."""
    days: OrderedDict[date, list[Slot]] = OrderedDict()
    for slot in slots:
        times = days.setdefault(to_local(slot.start).date(), [])
        if not times or times[-1].start != slot.start:
            times.append(slot)
    return days


def week_start(text: str | None) -> date:
    """The first day shown, from ?from=, kept between today and the horizon."""
    first = today()
    if text:
        try:
            first = parse_date(text)
        except ParamError:
            flash("That date was not recognised, so we are showing this week.")
    return min(max(first, today()), last_day())


def last_day() -> date:
    return today() + timedelta(days=clinic().horizon_days)


def week_links(first: date) -> dict:
    following = first + timedelta(days=WEEK)
    return {
        "first": first,
        "previous": max(first - timedelta(days=WEEK), today()) if first > today() else None,
        "following": following if following <= last_day() else None,
    }


def practitioner_choice(service: Service, default: int | None = None) -> tuple[list, int | None]:
    """The practitioners giving the service and the one asked for: `?practitioner=ID`,
    "any" for anyone, and `default` (one who gives it) when the page says nothing."""
    practitioners = availability.practitioners_for(service)
    raw = request.args.get("practitioner")
    if raw is None and default in {p.id for p in practitioners}:
        return practitioners, default
    try:
        chosen = parse_id(raw)
    except ParamError:
        chosen = None
    if chosen is not None and chosen not in {p.id for p in practitioners}:
        flash("That practitioner does not offer this consultation; showing everyone.")
        chosen = None
    return practitioners, chosen


def week_of_slots(service: Service, first: date, practitioner_id: int | None, **kwargs):
    slots = availability.free_slots(
        service, first, first + timedelta(days=WEEK - 1), practitioner_id=practitioner_id, **kwargs
    )
    next_free = None
    if not slots:
        next_free = availability.next_free_slot(
            service, first + timedelta(days=WEEK), last_day(), practitioner_id, **kwargs
        )
    return group_by_day(slots), next_free


@bp.get("/healthz")
def healthz():
    """For load balancers: 200 when bookings can be written, else 503 and what is wrong."""
    report = health.check()
    body = {
        "status": "ok" if report.ok else "unavailable",
        "database": report.database,
        "disk": {"free_mb": report.free_mb, "low": report.low_disk},
    }
    if report.ok:
        return body
    return body, 503, {"Retry-After": str(RETRY_AFTER)}


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for it at the root, whatever the page links to."""
    return current_app.send_static_file("favicon.ico")


@bp.get("/")
def home():
    return render_template("public/home.html", services=offered_services())


@bp.get("/services/<slug>")
def service(slug: str):
    service = service_or_404(slug)
    estimate = service.estimate(clinic().currency)
    siblings = [s for s in offered_services() if s.condition == service.condition]
    return render_template(
        "public/service.html",
        service=service,
        estimate=estimate,
        siblings=siblings,
        disclaimer=current_disclaimer(),
        insurance_note=screening.INSURANCE_NOTE,
    )


@bp.get("/services/<slug>/times")
def times(slug: str):
    service = service_or_404(slug)
    practitioners, chosen = practitioner_choice(service)
    first = week_start(request.args.get("from"))
    days, next_free = week_of_slots(service, first, chosen)
    return render_template(
        "public/times.html",
        service=service,
        practitioners=practitioners,
        chosen=chosen,
        days=days,
        next_free=next_free,
        **week_links(first),
    )


def alternatives(service: Service, around: date, practitioner_id: int | None) -> list[Slot]:
    """A few other free times from the same day onwards, for a slot just taken."""
    days, _ = week_of_slots(service, max(around, today()), practitioner_id)
    return [slot for times in days.values() for slot in times][:8]


def refusal_page(refused: RedFlag | RateLimited, service: Service, kept: dict | None = None):
    """Nothing was stored: a red flag's advice to see a doctor (the answers live only in
    this response), or a limit's reason with the clinic's number. `kept`: the name,
    email and phone typed, carried back (in the page only) if they answered by mistake."""
    if isinstance(refused, RedFlag):
        return render_template(
            "public/red_flag.html",
            result=refused.result,
            advice=refused,
            urgent_advice=screening.URGENT_ADVICE,
            kept=kept,
        )
    page = render_template("public/limited.html", service=service, message=refused.message)
    return page, 429, {"Retry-After": str(refused.retry_after)}


@bp.route("/book/<slug>", methods=["GET", "POST"])
def details(slug: str):
    service = service_or_404(slug)
    form = DetailsForm()
    form.estimates = good_faith.applies()
    try:
        start = parse_start(
            request.form.get("start") or request.form.get("taken_from") or request.args.get("start")
        )
        practitioner_id = parse_id(request.args.get("practitioner"))
    except ParamError:
        flash("Please choose a time first.")
        return redirect(url_for(".times", slug=slug))
    practitioner = None
    if practitioner_id is not None:
        practitioner = next(
            (p for p in availability.practitioners_for(service) if p.id == practitioner_id), None
        )
        if practitioner is None:
            flash("Please choose a time first.")
            return redirect(url_for(".times", slug=slug))
    context = {
        "service": service,
        "form": form,
        "start": start,
        "practitioner": practitioner,
        "disclaimer": current_disclaimer(),
        "estimate": service.estimate(clinic().currency),
        "alternatives": [],
    }
    if request.method == "GET" and not availability.slots_at(
        service, start, practitioner_id=practitioner_id
    ):
        # A stale link, or someone else was quicker: say so before any typing.
        context["taken"] = gone_message(start)
        context["alternatives"] = alternatives(service, to_local(start).date(), practitioner_id)
    if early := returning(form, context) or red_flag_first(form, service):
        return early
    if not (form.validate_on_submit() and form.check_for_bots()):
        form.prepare()
        status = 422 if form.errors or form.bot_problem else 200
        return render_template("public/details.html", **context), status
    try:
        booking, token = create_booking(
            BookingRequest(
                service=service,
                start=start,
                practitioner_id=practitioner_id,
                name=form.name.data,
                email=form.email.data,
                phone=form.phone.data,
                answers=form.screening_answers(),
                client_address=public_client(),
                uses_insurance=form.uses_insurance,
                date_of_birth=form.birth_date,
            )
        )
    except (RedFlag, RateLimited) as refused:
        return refusal_page(refused, service, kept_details(form))
    except SlotTaken as taken:
        context["taken"] = gone_message(start) if start <= utcnow() else taken.message
        context["alternatives"] = alternatives(service, to_local(start).date(), practitioner_id)
        return render_template("public/details.html", **context), 409
    except ClinicError as error:
        flash(error.message)
        return redirect(url_for(".times", slug=slug, **{"from": to_local(start).date()}))
    session["confirmed"] = booking.reference
    return redirect(url_for(".manage", token=token))


def gone_message(start) -> str:
    if start <= utcnow():
        return "That time has passed. Please pick another."
    return "Sorry, that time is no longer free. Please pick another."


def kept_details(form: DetailsForm) -> dict:
    return {key: form[key].data or "" for key in ("name", "email", "phone")}


def red_flag_first(form: DetailsForm, service: Service):
    """Safety first, as the API does: someone who should see a doctor is told so before
    being asked to fix a typo or tick the disclaimer."""
    if request.method != "POST" or (answers := form.complete_screening()) is None:
        return None
    result = screening.screen(answers)
    if result.clear:
        return None
    return refusal_page(RedFlag(result), service, kept_details(form))


def returning(form: DetailsForm, context: dict):
    """The form again after "Change my answers" on the red-flag page, or after booking
    without picking one of the other times offered: what was typed kept, nothing booked."""
    if request.method != "POST":
        return None
    if request.form.get("return_to_form"):
        form.prepare()
        return render_template("public/details.html", **context)
    if (
        context.get("taken") is None
        and request.form.get("taken_from")
        and not request.form.get("start")
    ):
        context["taken"] = "Please pick one of the other free times below."
        context["alternatives"] = alternatives(
            context["service"],
            to_local(context["start"]).date(),
            context["practitioner"].id if context["practitioner"] else None,
        )
        form.prepare()
        return render_template("public/details.html", **context), 422
    return None


def manage_context(booking: Booking, token: str) -> dict:
    now = utcnow()
    try:
        check_patient_can_change(booking, now)
        change_refusal = None
    except ClinicError as error:
        change_refusal = error.message
    course = courses.view_for_booking(booking, now)
    progress = outcomes.outcome(course) if course else None
    return {
        **outcome_context(progress if progress and progress.rows else None, patient=True),
        "can_check_in": outcomes.patient_can_answer(booking, now),
        "red_flag_waiting": clearances.waiting_flags(booking.patient),
        "check_in": outcomes.check_in_of(booking),
        "booking": booking,
        "token": token,
        "reference": format_reference(booking.reference),
        "estimate": booking.course_estimate(),
        "course": course,
        "other_sessions": other_sessions(booking, course, now),
        "good_faith": good_faith.applies(),
        "good_faith_estimate": good_faith.current(course.course) if course else None,
        "change_refusal": change_refusal,
        "deadline": change_deadline(booking),
        "disclaimer": current_disclaimer(),
    }


def other_sessions(booking: Booking, course, now) -> list[tuple[Booking, str | None]]:
    """The course's other sessions still to come, each with its own page's link."""
    if course is None:
        return []
    return [
        (other, manage_token(other))
        for other in courses.bookings_of(course.course)
        if other.id != booking.id and other.status == BOOKED and other.start_at > now
    ]


def change_refused(context: dict, token: str):
    """Back to the manage page, saying why, when the booking can no longer change online."""
    if not context["change_refusal"]:
        return None
    flash(context["change_refusal"])
    return redirect(url_for(".manage", token=token))


@bp.get("/manage/<token>")
def manage(token: str):
    booking = booking_or_404(token)
    just_booked = session.pop("confirmed", None) == booking.reference
    return render_template(
        "public/manage.html", just_booked=just_booked, **manage_context(booking, token)
    )


@bp.get("/manage/<token>/calendar.ics")
def calendar(token: str):
    booking = booking_or_404(token)
    body = booking_calendar(
        booking, clinic(), manage_url=absolute_url("public.manage", token=token)
    )
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'attachment; filename="acupuncture-{booking.reference}.ics"'
        },
    )


@bp.route("/manage/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str):
    booking = booking_or_404(token)
    form = CancelForm()
    context = manage_context(booking, token)
    if refused := change_refused(context, token):
        return refused
    if form.validate_on_submit():
        try:
            cancel_booking(booking, reason=form.reason.data or "", client=public_client())
        except ClinicError as error:
            flash(error.message)
            return redirect(url_for(".manage", token=token))
        flash("Your booking is cancelled. Nothing more to do.", "success")
        return redirect(url_for(".manage", token=token))
    return render_template("public/cancel.html", form=form, **context), 422 if form.errors else 200


@bp.get("/manage/<token>/reschedule")
def reschedule(token: str):
    booking = booking_or_404(token)
    context = manage_context(booking, token)
    if refused := change_refused(context, token):
        return refused
    # The same practitioner unless the patient asks for another: continuity of care.
    practitioners, chosen = practitioner_choice(booking.service, default=booking.practitioner_id)
    first = week_start(request.args.get("from"))
    days, next_free = week_of_slots(booking.service, first, chosen, exclude_booking_id=booking.id)
    return render_template(
        "public/reschedule.html",
        practitioners=practitioners,
        chosen=chosen,
        days=days,
        next_free=next_free,
        **week_links(first),
        **context,
    )


@bp.route("/manage/<token>/reschedule/confirm", methods=["GET", "POST"])
def reschedule_confirm(token: str):
    booking = booking_or_404(token)
    context = manage_context(booking, token)
    if refused := change_refused(context, token):
        return refused
    try:
        start = parse_start(request.args.get("start"))
        practitioner_id = parse_id(request.args.get("practitioner"))
    except ParamError:
        flash("Please choose a new time.")
        return redirect(url_for(".reschedule", token=token))
    form = ConfirmForm()
    if form.validate_on_submit():
        before = booking.practitioner.name
        try:
            reschedule_booking(
                booking, start, practitioner_id=practitioner_id, client=public_client()
            )
        except ClinicError as error:
            flash(error.message)
            return redirect(url_for(".reschedule", token=token, **{"from": to_local(start).date()}))
        flash("Your booking has been moved. Here are the new details.", "success")
        if booking.practitioner.name != before:
            flash(f"You will now see {booking.practitioner.name} (before: {before}).", "success")
        return redirect(url_for(".manage", token=token))
    return render_template(
        "public/reschedule_confirm.html",
        form=form,
        new_start=start,
        new_practitioner=db.session.get(Practitioner, practitioner_id) if practitioner_id else None,
        **context,
    )


@bp.route("/manage/<token>/course", methods=["GET", "POST"])
def course(token: str):
    """Book the rest of the course from a booking's page: every date shown first."""
    booking = booking_or_404(token)
    form = ConfirmForm()
    back = url_for(".manage", token=token)
    if booking.status == ENTERED_IN_ERROR:
        return redirect(back)
    try:
        context = series_page(booking, staff=False, back_url=back)
    except ClinicError as error:
        flash(error.message)
        return redirect(back)
    if not form.validate_on_submit():
        return render_template("public/course.html", form=form, booking=booking, **context)
    try:
        starts, offered_with = chosen_starts(request.form)
        booked = series.book_rest(
            booking,
            starts,
            practitioner_id=context["choice"]["practitioner_id"],
            offered_with=offered_with,
            client=public_client(),
        )
    except RateLimited as limited:
        page = render_template(
            "public/limited.html", service=booking.service, message=limited.message
        )
        return page, 429, {"Retry-After": str(limited.retry_after)}
    except ClinicError as error:
        context["problem"] = error.message
        status = error.status if error.status in (409, 422) else 422
        return render_template("public/course.html", form=form, booking=booking, **context), status
    count = len(booked.bookings)
    flash(
        f"Booked {count} more session{'s' if count != 1 else ''}. One email with every "
        "date, and a calendar file for them all, is on its way."
    )
    return redirect(back)


def not_open(booking: Booking, now) -> str | None:
    """Why the questions before this visit cannot be answered now, for the patient."""
    if booking.status == BOOKED and now < outcomes.opens_at(booking):
        return (
            "The questions before this visit open three days before it, on "
            f"{long_date(outcomes.opens_at(booking))}."
        )
    if booking.status in (BOOKED, ARRIVED, FULFILLED, NOSHOW):
        return (
            "The questions for this visit closed when it ended. They open again three days "
            "before your next one."
        )
    return None


@bp.route("/manage/<token>/check-in", methods=["GET", "POST"])
def check_in(token: str):
    """Before a visit: how the pain has been, the PEG where it is due, and whether any
    red-flag symptom is new. A number chosen in the reminder email arrives as `?pain=`;
    opening the page stores nothing."""
    booking = booking_or_404(token)
    back = url_for(".manage", token=token)
    now = utcnow()
    if not outcomes.patient_can_answer(booking, now):
        if why := not_open(booking, now):
            flash(why)
        return redirect(back)
    view = courses.view_for_booking(booking, now)
    form = CheckInForm()
    form.peg_due = outcomes.peg_due(booking, view)
    first_visit = outcomes.session_of(booking, view) in (None, 1)
    if first_visit:
        form.since_booking()
    if request.method == "GET":
        # Changing answers starts from those given (and what a doctor has cleared since).
        form.fill(outcomes.check_in_of(booking), clearances.cleared_since_last_visit(booking))
        chosen = request.args.get("pain", "")
        if chosen in {str(n) for n in range(11)}:
            form.pain.data = int(chosen)
    context = {
        "booking": booking,
        "token": token,
        "form": form,
        "back": back,
        "first_visit": first_visit,
    }
    if not form.validate_on_submit():
        return render_template("public/check_in.html", **context), 422 if form.errors else 200
    try:
        outcomes.record(
            booking,
            outcomes.Answers(
                pain=form.pain.data, peg=form.peg(), new_red_flags=form.new_red_flags()
            ),
            now=now,
        )
    except ClinicError as error:
        flash(error.message)
        return redirect(back)
    waiting = clearances.waiting_flags(booking.patient)
    if set(screening.recheck(form.new_red_flags()).red_flags) & set(waiting):
        return redirect(url_for(".check_in_advice", token=token))
    flash(f"Thank you: your answers are with {booking.practitioner.name}.", "success")
    if waiting:
        flash(
            "What you told us before still needs a doctor's check: the clinic will call you. "
            f"Once a doctor has seen you, please call us on {clinic().phone}."
        )
    return redirect(back)


@bp.get("/manage/<token>/check-in/advice")
def check_in_advice(token: str):
    """What to do about a symptom reported before a visit: see a doctor (urgently where
    it applies); the booking stands."""
    booking = booking_or_404(token)
    waiting = clearances.waiting_flags(booking.patient)
    if not waiting:
        return redirect(url_for(".manage", token=token))
    return render_template(
        "public/check_in_flag.html",
        booking=booking,
        token=token,
        result=screening.Result(tuple(waiting)),
        advice=screening.RECHECK_ADVICE,
        urgent_advice=screening.URGENT_ADVICE,
        flag_labels={key: screening.flag_label(key) for key in screening.KEYS},
        first_visit=outcomes.session_of(booking) in (None, 1),
    )


@bp.route("/manage/<token>/estimate", methods=["GET", "POST"])
def estimate(token: str):
    """The course's Good Faith Estimate, to read and print; a self-pay patient without
    one gives their date of birth and gets it."""
    booking = booking_or_404(token)
    if not good_faith.applies() or booking.status == ENTERED_IN_ERROR:
        abort(404)
    issued = good_faith.current(booking.course)
    # A date of birth on file is used as it is: it is never asked for, or changed, here.
    on_file = booking.patient.date_of_birth is not None
    form = ConfirmForm() if on_file else EstimateRequestForm()
    if issued is None and form.validate_on_submit():
        try:
            good_faith.requested(booking, None if on_file else form.date_of_birth.data)
        except ClinicError as error:
            if on_file:
                flash(error.message)
                return redirect(url_for(".manage", token=token))
            form.date_of_birth.errors = [*form.date_of_birth.errors, error.message]
        else:
            return redirect(url_for(".estimate", token=token))
    status = 422 if form.errors else 200
    return render_template(
        "public/estimate.html",
        booking=booking,
        token=token,
        estimate=issued,
        versions=good_faith.estimates_of(booking.course) if booking.course else [],
        form=form,
        on_file=on_file,
    ), status


# --- the waitlist ---------------------------------------------------------------------


def entry_or_404(token: str) -> WaitlistEntry:
    entry = waitlist.find_by_token(token)
    if entry is None:
        raise NotFound(BAD_WAITLIST_LINK)
    return entry


@bp.route("/services/<slug>/waitlist", methods=["GET", "POST"])
def waitlist_join(slug: str):
    """Join the waitlist for a service: when nothing suits, or at any time."""
    service = service_or_404(slug)
    form = WaitlistForm()
    practitioners = availability.practitioners_for(service)
    form.practitioner.choices = [
        SelectChoice("any", "Anyone"),
        *(SelectChoice(str(p.id), p.name) for p in practitioners),
    ]
    settings = clinic()
    first_day = today()
    last_day = first_day + timedelta(days=min(settings.waitlist_weeks * 7, settings.horizon_days))
    if request.method == "GET":
        try:
            wanted = parse_date(request.args.get("from"), "from")
        except ParamError:
            wanted = first_day
        form.earliest.data = min(max(wanted, first_day), last_day)
        form.latest.data = min(form.earliest.data + timedelta(weeks=2), last_day)
        chosen = request.args.get("practitioner", "any")
        offered = {choice.value for choice in form.practitioner.choices}
        form.practitioner.data = chosen if chosen in offered else "any"
    context = {
        "service": service,
        "form": form,
        "first_day": first_day,
        "last_day": last_day,
        "disclaimer": current_disclaimer(),
        "open_days": {str(h.weekday) for p in practitioners for h in p.hours},
        "day_names": {str(n): name[:3].title() for n, name in enumerate(WEEKDAY_NAMES)},
    }
    if not (form.validate_on_submit() and form.check_for_bots()):
        form.prepare()
        status = 422 if form.errors or form.bot_problem else 200
        return render_template("public/waitlist/join.html", **context), status
    try:
        _entry, token = waitlist.join(form.join_request(service, client_address=public_client()))
    except (RedFlag, RateLimited) as refused:
        return refusal_page(refused, service)
    except ClinicError as error:
        context["problem"] = error
        for name, message in error.fields.items():
            target = {"parts_of_day": "parts", "between": "between_from"}.get(name, name)
            if target in form:
                form[target].errors = [message]
        form.prepare()
        return render_template("public/waitlist/join.html", **context), error.status
    session["joined"] = token[:8]
    return redirect(url_for(".waitlist_entry", token=token))


@bp.get("/waitlist/<token>")
def waitlist_entry(token: str):
    entry = entry_or_404(token)
    just_joined = session.pop("joined", None) == token[:8]
    return render_template(
        "public/waitlist/entry.html",
        view=waitlist.view(entry),
        token=token,
        form=ConfirmForm(),
        just_joined=just_joined,
        disclaimer=current_disclaimer(),
    )


@bp.post("/waitlist/<token>/claim")
def waitlist_claim(token: str):
    entry = entry_or_404(token)
    if not ConfirmForm().validate_on_submit():
        flash("This page was open for too long. Please press the button again.")
        return redirect(url_for(".waitlist_entry", token=token))
    try:
        booking, manage = waitlist.claim(entry)
    except ClinicError as error:
        flash(error.message)
        return redirect(url_for(".waitlist_entry", token=token))
    session["confirmed"] = booking.reference
    return redirect(url_for(".manage", token=manage))


@bp.post("/waitlist/<token>/decline")
def waitlist_decline(token: str):
    entry = entry_or_404(token)
    if ConfirmForm().validate_on_submit():
        try:
            waitlist.decline(entry)
            flash("Thank you: that time goes to the next person. You keep your place.", "success")
        except ClinicError as error:
            flash(error.message)
    return redirect(url_for(".waitlist_entry", token=token))


@bp.route("/waitlist/<token>/leave", methods=["GET", "POST"])
def waitlist_leave(token: str):
    entry = entry_or_404(token)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            waitlist.leave(entry)
            flash("You have left the waitlist. We will not email you about times.", "success")
        except ClinicError as error:
            flash(error.message)
        return redirect(url_for(".waitlist_entry", token=token))
    return render_template(
        "public/waitlist/leave.html", view=waitlist.view(entry), token=token, form=form
    )
