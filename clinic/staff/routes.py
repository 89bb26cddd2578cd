"""The staff dashboard: the queue, a request's detail and workflow, the agenda and the CSV export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from clinic import phones
from clinic.auth.guards import require_role
from clinic.errors import render_error
from clinic.extensions import db, writes_on_get
from clinic.kept_responses import Holds, Spliced
from clinic.models import ConsultationRequest
from clinic.scheduling import SlotUnavailable, monday_of, parse_slot
from clinic.services.audit.log import actor_label, event_text
from clinic.services.booking import availability
from clinic.services.booking.seats import NoActiveBooking
from clinic.services.casework import agenda, cases, contacts, export, queue
from clinic.services.mail.calendar import describe
from clinic.services.rules.read import (
    casework_version,
    clinic_info,
    outside_request,
    schedule_version,
    weekly_hours,
)
from clinic.staff import charts
from clinic.staff.forms import (
    AssignForm,
    CancelForm,
    ContactForm,
    NoteForm,
    QueueFilterForm,
    RescheduleForm,
    StatusForm,
)
from clinic.staff.kept import keep_spliced, kept_page
from clinic.timeutil import utcnow
from clinic.triage import screening
from clinic.triage.enums import ContactOutcome, RequestStatus, Role
from clinic.triage.workflow import (
    FollowUpError,
    WorkflowError,
    check_move,
    contact_moves,
    follow_up_due,
)

bp = Blueprint("staff", __name__, url_prefix="/staff")
require_role(bp, Role.STAFF)
bp.register_error_handler(cases.RequestNotFound, lambda _: render_error(404))
# Phone numbers as people read them, "(212) 555-0140", and dialled as E.164 (`_macros/phones.html`).
bp.add_app_template_filter(phones.for_people, "phone")
bp.add_app_template_filter(phones.for_dialing, "e164")

FILTER_NAMES = ("q", "status", "priority", "from", "to", "assigned")
NOTE_NOT_SAVED = "The note was not saved: see below."
CONTACT_NOT_SAVED = "The contact was not logged: see the contact form."
CHOOSE_STAFF = "Choose a member of staff from the list, or nobody."
MAX_PAGE = 10_000  # far past any real queue; keeps OFFSET a sane number
# Moves that close a request and may cancel its booking (and email the patient): asked first.
ASK_FIRST = frozenset({RequestStatus.DECLINED, RequestStatus.CANCELLED})


def _filter_form() -> tuple[QueueFilterForm, queue.QueueFilters, bool]:
    form = QueueFilterForm(formdata=request.args)
    valid = form.validate()
    return form, form.filters(user_id=current_user.id), valid


def _kept_args() -> dict[str, str]:
    """The filters of the current URL, to keep in pagination, count and export links."""
    return {name: request.args[name] for name in FILTER_NAMES if request.args.get(name)}


@bp.get("/", endpoint="queue")
def queue_page():
    """The triage queue: urgent first, filters kept in the URL, counts, targets and the 12-week overview.
    Kept for the colleague until a request, booking, note or account changes, or the clock moves an age."""
    now = utcnow()
    return kept_page(lambda: _draw_queue(now), now=now)


def _draw_queue(now: datetime) -> tuple[str, int, datetime]:
    form, filters, valid = _filter_form()
    page_number = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    tz = clinic_info().rules.tz
    counts = queue.counts(filters, tz=tz)
    pagination = queue.page(filters, page_number, tz=tz, total=counts.matching)
    rows = queue.rows(
        list(pagination.items), now=now, tz=tz, business_days=queue.open_weekdays(weekly_hours())
    )
    overview = queue.overview(now=now, tz=tz, revision=counts.revision)
    kept = _kept_args()
    body = render_template(
        "staff/queue.html",
        form=form,
        filters=filters,
        pagination=pagination,
        rows=rows,
        counts=counts,
        overview=overview,
        weekly_chart=charts.weekly_bars(overview),
        band_chart=charts.band_mix(overview),
        kept=kept,
        tz=tz,
        now=now,
    )
    return body, (200 if valid else 400), queue.steady_until(rows, now=now, tz=tz)


def _render_detail(
    request_id: int,
    *,
    code: int = 200,
    status_form=None,
    note_form=None,
    assign_form=None,
    contact_form=None,
    error: str | None = None,
    keep: bool = False,
):
    """The detail page; reads only (the GET records the view before it calls this). `keep`: the page is
    kept for this session cookie and sent again with its history drawn afresh, each sending a view recorded
    (`_view_and_history`), while nothing else it shows has changed."""
    if keep:  # first: before anything the page is drawn from
        casework, schedule = casework_version(), schedule_version()
    detail = cases.detail(request_id)
    consultation = detail.request
    staff = queue.staff_names()
    if assign_form is None:
        assign_form = AssignForm(formdata=None, data={"staff_id": str(consultation.assigned_to_id or "")})
    assign_form.set_staff(staff)
    if contact_form is None:  # "assign to me" ticked while nobody has the request
        contact_form = ContactForm(formdata=None, data={"assign_to_me": consultation.assigned_to_id is None})
    now = utcnow()
    offered = cases.offered_moves(consultation, now=now)
    contact_form.set_moves(
        consultation.status, tuple(m for m in contact_moves(consultation.status) if m in offered)
    )
    logged = contacts.for_request(request_id)
    info = clinic_info()
    tz = info.rules.tz
    today = now.astimezone(tz).date()
    row = queue.rows([consultation], now=now, tz=tz, business_days=queue.open_weekdays(weekly_hours()))[0]
    history = HistoryPart(
        names=dict(staff),
        contacts={c.id: ContactLine(c.outcome, c.note) for c in logged},
        tz=tz,
    )
    page = render_template(
        "staff/detail.html",
        r=consultation,
        row=row,
        items=list(zip(screening.PHQ9_ITEMS, consultation.phq9_answers, strict=True)),
        answers=screening.PHQ9_ANSWERS,
        difficulty_answers=screening.PHQ9_DIFFICULTY_ANSWERS,
        conditions=screening.CONDITIONS,
        review_reasons=detail.review_reasons,
        moves=offered,
        outcomes_later=not cases.appointment_started(consultation, now=now),
        status_form=status_form or StatusForm(formdata=None),
        note_form=note_form or NoteForm(formdata=None),
        assign_form=assign_form,
        cancel_form=CancelForm(formdata=None),
        contact_form=contact_form,
        contacts=logged,
        follow_up_due=follow_up_due(consultation.follow_up_on, today=today),
        error=error,
        tz=tz,
        now=now,
        history_html=HISTORY_MARK,
    )
    head, tail = page.split(HISTORY_MARK)
    if keep and code == 200:
        booking_ids = [b.id for b in consultation.bookings]
        keep_spliced(
            casework=casework,
            schedule=schedule,
            now=now,
            until=cases.detail_steady_until(
                consultation, row_until=queue.steady_until([row], now=now, tz=tz), now=now
            ),
            spliced=Spliced(
                head.encode(),
                tail.encode(),
                partial(
                    _view_and_history,
                    current_app._get_current_object(),
                    history,
                    request_id=request_id,
                    actor_id=current_user.id,
                    booking_ids=booking_ids,
                ),
            ),
        )
    return head + history.html(detail.history, detail.visits) + tail, code


# Where the history goes: never in a page otherwise, as everything the page shows is escaped.
HISTORY_MARK = Markup("<!--clinic:history-->")


@dataclass(frozen=True, slots=True)
class ContactLine:
    """A logged contact as the history shows it."""

    outcome: ContactOutcome
    note: str | None


@dataclass(frozen=True, slots=True)
class HistoryPart:
    """The detail page's history drawn from its events, with what the rest of the page read for it (staff
    names, logged contacts, the clinic's time zone): the same within and outside a request."""

    names: dict[int, str]
    contacts: dict[int, ContactLine]
    tz: ZoneInfo

    def html(self, history: list, visits: dict) -> str:
        return current_app.jinja_env.get_template("staff/_history.html").render(
            history=history,
            event_text=partial(event_text, names=self.names, visits=visits, tz=self.tz),
            actor_label=partial(actor_label, by_name=True),
            contacts_by_id=self.contacts,
            tz=self.tz,
        )


def _view_and_history(
    app, part: HistoryPart, holds: Holds, *, request_id: int, actor_id: int, booking_ids: list[int]
) -> bytes | None:
    """A kept detail page sent again: the view recorded (SPEC 8; its own transaction, as on every GET) if
    the versions the page was drawn at still hold (None otherwise: the app draws it, and records the view),
    and the history, with it, drawn afresh (its visits counted as the view is recorded): two statements on
    this thread's own connection."""
    with app.app_context(), outside_request(app) as connection:
        if not cases.record_kept_view(
            request_id,
            actor_id=actor_id,
            schedule=holds.version,
            casework=holds.casework,
            on=connection,
        ):
            return None
        history, visits = cases.history_of(request_id, booking_ids, on=connection)
        return part.html(history, visits).encode()


def _render_confirm(request_id: int, target: RequestStatus | None):
    """The step before a destructive action: what it will do, who is emailed, a button that does it and a
    way back. `target` None: cancel the booking only (POST …/cancel); else the status move to `target`."""
    consultation = db.get_or_404(ConsultationRequest, request_id)
    booking = consultation.active_booking
    try:
        if target is not None:
            check_move(consultation.status, target)
        elif booking is not None and consultation.status != RequestStatus.CANCELLED:
            check_move(consultation.status, RequestStatus.CANCELLED)
    except WorkflowError as refused:
        return _render_detail(request_id, code=409, error=str(refused))
    if target is None and booking is None:
        flash("This request has no booking to cancel.", "error")
        return redirect(url_for(".detail", request_id=request_id), 303)
    tz = clinic_info().rules.tz
    return render_template(
        "staff/confirm_action.html",
        r=consultation,
        target=target,
        booking=booking,
        when=describe(booking.starts_at, tz.key) if booking else None,
        form=StatusForm(formdata=None) if target is not None else CancelForm(formdata=None),
    )


@bp.get("/requests/<int:request_id>")
@writes_on_get
def detail(request_id: int):
    """The whole request; each view is audited."""
    cases.record_view(request_id, actor_id=current_user.id)
    return _render_detail(request_id, keep=True)


@bp.post("/requests/<int:request_id>/status")
def change_status(request_id: int):
    form = StatusForm()
    if not form.validate_on_submit() or form.target() is None:
        form.status.errors = ["Choose one of the statuses offered."]
        return _render_detail(
            request_id, code=422, status_form=form, error="Choose one of the statuses offered."
        )
    if form.target() in ASK_FIRST and not form.confirmed:
        return _render_confirm(request_id, form.target())
    try:
        consultation = cases.change_status(request_id, form.target(), actor_id=current_user.id, now=utcnow())
    except WorkflowError as refused:
        return _render_detail(request_id, code=409, status_form=form, error=str(refused))
    flash(f"Status changed to {consultation.status.label.lower()}.", "success")
    return redirect(url_for(".detail", request_id=request_id), 303)


def _change_from_form(request_id: int, form, field, change, refusal: type[Exception], saved: str, **kwargs):
    """Run `change` once `form` is valid: the redirect back to the request, or None to show the page again
    with the refusal (or `invalid`, for a form that does not validate) beside `field`."""
    invalid = kwargs.pop("invalid", None)
    if not form.validate_on_submit():
        if invalid:
            field.errors = [invalid]
        return None
    try:
        change()
    except refusal as problem:
        field.errors = [str(problem)]
        return None
    flash(saved, "success")
    return redirect(url_for(".detail", request_id=request_id, **kwargs), 303)


@bp.post("/requests/<int:request_id>/notes")
def add_note(request_id: int):
    form = NoteForm()
    change = partial(cases.add_note, request_id, form.body.data, actor_id=current_user.id, now=utcnow())
    done = _change_from_form(
        request_id, form, form.body, change, cases.NoteError, "Note added.", _anchor="notes"
    )
    return done or _render_detail(request_id, code=422, note_form=form, error=NOTE_NOT_SAVED)


@bp.post("/requests/<int:request_id>/assign")
def assign(request_id: int):
    form = AssignForm().set_staff(queue.staff_names())

    def change() -> None:  # form.chosen() only once the form is valid
        cases.assign(request_id, form.chosen(me=current_user.id), actor_id=current_user.id, now=utcnow())

    done = _change_from_form(
        request_id,
        form,
        form.staff_id,
        change,
        cases.AssignmentError,
        "Assignment saved.",
        invalid=CHOOSE_STAFF,
    )
    return done or _render_detail(
        request_id, code=422, assign_form=form, error="The assignment was not saved."
    )


@bp.post("/requests/<int:request_id>/contacts")
def log_contact(request_id: int):
    """Log an attempt to reach the patient with what it carries (note, status move, follow-up day, assign to
    me), in one submit and one transaction."""
    form = ContactForm()
    if not form.validate_on_submit():
        return _render_detail(request_id, code=422, contact_form=form, error=CONTACT_NOT_SAVED)
    now = utcnow()
    try:
        logged = contacts.log_contact(
            request_id,
            ContactOutcome(form.outcome.data),
            form.note.data,
            status=form.target(),
            follow_up_on=form.follow_up_on(),
            assign_to_me=form.assign_to_me.data,
            actor_id=current_user.id,
            now=now,
            today=now.astimezone(clinic_info().rules.tz).date(),
        )
    except FollowUpError as refused:
        form.follow_up.errors = [str(refused)]
        return _render_detail(request_id, code=422, contact_form=form, error=CONTACT_NOT_SAVED)
    except WorkflowError as refused:
        form.status.errors = [str(refused)]
        return _render_detail(request_id, code=409, contact_form=form, error=str(refused))
    except contacts.ContactError as refused:
        form.note.errors = [str(refused)]
        return _render_detail(request_id, code=422, contact_form=form, error=CONTACT_NOT_SAVED)
    said = [f"Contact logged: {logged.contact.outcome.label.lower()}."]
    if logged.assigned:
        said.append("Assigned to you.")
    if logged.moved_to:
        said.append(f"Status changed to {logged.moved_to.label.lower()}.")
    if logged.follow_up_on:
        said.append(f"Call again on {logged.follow_up_on.strftime('%A %B')} {logged.follow_up_on.day}.")
    flash(" ".join(said), "success")
    return redirect(url_for(".detail", request_id=request_id), 303)


@bp.post("/requests/<int:request_id>/cancel")
def cancel(request_id: int):
    """Cancel the booking on the patient's behalf: same rules and notice as when they cancel themselves.
    Asked first: without `confirm=yes` the page says what will happen and who is emailed."""
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)
    if not form.confirmed:
        return _render_confirm(request_id, None)
    try:
        cases.cancel_booking(request_id, actor_id=current_user.id, now=utcnow())
    except NoActiveBooking:
        flash("This request has no booking to cancel.", "error")
    except WorkflowError as refused:
        return _render_detail(request_id, code=409, error=str(refused))
    else:
        flash("The booking is cancelled and the patient has been told.", "success")
    return redirect(url_for(".detail", request_id=request_id), 303)


@bp.route("/requests/<int:request_id>/reschedule", methods=["GET", "POST"])
def reschedule(request_id: int):
    """Move the booking to another free slot on the patient's behalf: the patients' week picker."""
    form = RescheduleForm()
    code = 200
    chosen = None
    if form.validate_on_submit():
        try:
            chosen = parse_slot(form.slot.data)
            cases.reschedule_booking(request_id, chosen, actor_id=current_user.id, now=utcnow())
        except ValueError:
            form.slot.errors = ["Choose one of the times listed."]
            code = 422
        except SlotUnavailable:
            form.slot.errors = ["That time is no longer free. Please choose another."]
            code = 409
        except (WorkflowError, NoActiveBooking) as refused:
            form.slot.errors = [
                str(refused) if isinstance(refused, WorkflowError) else "This request has no booking to move."
            ]
            code = 409
        else:
            flash("The booking is moved and the patient has been told.", "success")
            return redirect(url_for(".detail", request_id=request_id), 303)
    elif request.method == "POST":
        code = 422
    else:
        form.slot.data = request.args.get("slot", "")[:64]  # the "earliest free time" jump: chosen already
    consultation = db.get_or_404(ConsultationRequest, request_id)
    now = utcnow()
    tz = clinic_info().rules.tz
    booked = consultation.active_booking
    week = _week_arg() or (chosen or (booked.starts_at if booked else now)).astimezone(tz).date()
    return render_template(
        "staff/reschedule.html",
        r=consultation,
        form=form,
        picker=availability.picker_week(week, now=now),
        tz=tz,
    ), code


def _week_arg() -> date | None:
    try:
        return date.fromisoformat(request.args.get("week", "")[:10])
    except ValueError:
        return None


@bp.get("/schedule")
def schedule():
    """The agenda: a day slot by slot, or a week day by day."""
    tz = clinic_info().rules.tz
    view = request.args.get("view", "day")
    if view not in ("day", "week"):
        abort(400, "The view must be “day” or “week”.")
    raw = request.args.get("date", "")
    if raw:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            abort(400, "The date must be written YYYY-MM-DD, for example 2026-11-23.")
    else:
        day = utcnow().astimezone(tz).date()
    if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
        abort(400, "That date is too far away.")
    first, length = (monday_of(day), 7) if view == "week" else (day, 1)
    return render_template(
        "staff/schedule.html",
        agenda=agenda.agenda(first, length),
        view=view,
        day=day,
        previous=first - timedelta(days=length),
        following=first + timedelta(days=length),
        today=utcnow().astimezone(tz).date(),
        tz=tz,
    )


def _day_arg(today: date) -> date:
    """The `date` argument (YYYY-MM-DD), today when absent; 400 when it is not a date or far away."""
    raw = request.args.get("date", "")
    if not raw:
        return today
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        abort(400, "The date must be written YYYY-MM-DD, for example 2026-11-23.")
    if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
        abort(400, "That date is too far away.")
    return day


@bp.get("/calls")
def calls():
    """The day's call list, to print: first contacts, follow-ups due and the day's consultations."""
    tz = clinic_info().rules.tz
    today = utcnow().astimezone(tz).date()
    day = _day_arg(today)
    return render_template(
        "staff/calls.html",
        calls=contacts.call_list(day, tz=tz),
        day=day,
        today=today,
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
        tz=tz,
    )


@bp.get("/requests.csv")
@writes_on_get
def export_csv():
    """The filtered queue as CSV, streamed row by row; the export is audited with the filter names only."""
    form, filters, valid = _filter_form()
    if not valid:
        problems = " ".join(error for field in form for error in field.errors)
        abort(400, f"The export was not made: {problems}")
    tz = clinic_info().rules.tz
    export.record_export(filters, actor_id=current_user.id)
    filename = f"requests-{utcnow().astimezone(tz).date().isoformat()}.csv"
    return Response(
        stream_with_context(export.lines(filters, tz=tz)),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )
