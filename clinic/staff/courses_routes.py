"""The staff pages of treatment courses: plan and book a course, the REMS enrollment, a course's sessions
(outcome, move, driver), the day's chair board and the REMS forms due. Registered on the staff blueprint,
so its sign-in guard applies; views parse, call one service, and render.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.models import KindKey, SessionStatus, TreatmentSession
from clinic.scheduling.slots import local_instant
from clinic.services.courses import board, booking, kinds, proposals, rems, sessions
from clinic.services.courses.errors import (
    CourseConflict,
    CourseInvalid,
    CourseRefused,
    FieldErrors,
    RequestNotFound,
    SessionConflict,
    SessionInvalid,
    SessionNotFound,
    SessionRefused,
)
from clinic.services.rules.read import clinic_info
from clinic.staff.courses_forms import (
    CourseForm,
    RemsForm,
    SessionActionForm,
    SessionMoveForm,
    SessionStatusForm,
    local_value,
    parse_day,
    parse_start,
    parse_time,
)
from clinic.staff.kept import clock_changes_at, kept_page
from clinic.staff.routes import bp
from clinic.timeutil import utcnow

DEFAULT_TIME = time(9)
CONFIRM_FIRST = (SessionStatus.CANCELLED, SessionStatus.NO_SHOW)


@bp.context_processor
def course_helpers() -> dict:
    """`course_card(request_id)` for the request detail page's course section (three statements), and
    `rems_form_due_on(session, tz)` for the REMS badges."""
    return {"course_card": _course_card, "rems_form_due_on": rems.form_due_on}


def _course_card(request_id: int) -> dict:
    tz = clinic_info().rules.tz
    today = utcnow().astimezone(tz).date()
    clock_changes_at(local_instant(today + timedelta(days=1), time(0), tz))  # a new day: "next Monday"
    return {
        "enrolment": proposals.enrolment_of(request_id),
        "courses": proposals.courses_of(request_id),
        "rems_form": RemsForm(formdata=None, back="detail"),
        "kinds": kinds.LABELS,
        "next_monday": _next_monday(today),
    }


def _tz():
    return clinic_info().rules.tz


def _default_kind(modality: str) -> str:
    return modality if modality in {k.value for k in KindKey} else KindKey.INFUSION.value


def _next_monday(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


# Planning and booking a course


def _plan_rows(plan: proposals.CoursePlan, tz, submitted: list[str] | None = None, lost=None) -> list[dict]:
    """One editable row per session: its value, chair, discharge time, problems and alternatives."""
    rows: list[dict] = []
    chair_names = {c.id: c.name for c in sessions.chairs.all_chairs()}
    planned = kinds.as_planned(plan.kind)
    if plan.proposal is not None:
        for s in plan.proposal.sessions:
            rows.append(
                {
                    "number": s.number,
                    "value": local_value(s.starts_at, tz),
                    "starts_at": s.starts_at,
                    "care_ends_at": s.care_ends_at,
                    "chair": chair_names.get(s.chair_id),
                    "problems": [],
                    "alternatives": [],
                }
            )
        for missing in plan.proposal.missing:
            first = missing.alternatives[0] if missing.alternatives else None
            rows.append(
                {
                    "number": missing.number,
                    "value": local_value(first.starts_at, tz) if first else "",
                    "starts_at": first.starts_at if first else None,
                    "care_ends_at": first.care_ends_at if first else None,
                    "chair": chair_names.get(first.chair_id) if first else None,
                    "problems": [
                        f"No chair and time fit between {missing.earliest:%a %b %d} and "
                        f"{missing.latest:%a %b %d}"
                        + (": the nearest free time is filled in." if first else ".")
                    ],
                    "alternatives": [(a, chair_names.get(a.chair_id)) for a in missing.alternatives],
                }
            )
        rows.sort(key=lambda r: r["number"])
    elif plan.check is not None:
        for checked in plan.check.sessions:
            rows.append(
                {
                    "number": checked.number,
                    "value": local_value(checked.starts_at, tz),
                    "starts_at": checked.starts_at,
                    "care_ends_at": checked.starts_at + planned.care,
                    "chair": chair_names.get(checked.chair_id) if checked.chair_id else None,
                    "problems": [p.message for p in checked.problems],
                    "alternatives": [],
                }
            )
    if lost:
        by_start = {s.starts_at: s for s in lost}
        for row in rows:
            gone = by_start.get(row["starts_at"])
            if gone is not None:
                row["problems"] = ["Taken by another booking a moment ago."]
                row["alternatives"] = [(a, chair_names.get(a.chair_id)) for a in gone.alternatives]
                row["chair"] = None
    return rows


def _render_plan(
    plan: proposals.CoursePlan,
    *,
    rows: list[dict],
    start: date | None = None,
    preferred: time | None = None,
    errors: dict | None = None,
    problems: list[str] | None = None,
    status: int = 200,
    bad_values: dict | None = None,
):
    tz = _tz()
    return render_template(
        "staff/courses/new.html",
        r=plan.consultation,
        plan=plan,
        kind=plan.kind,
        kinds=kinds.all_kinds(),
        pattern=kinds.describe_pattern(plan.kind),
        rows=rows,
        start=start,
        preferred=preferred,
        errors=errors or {},
        problems=problems or [],
        bad_values=bad_values or {},
        form=CourseForm(formdata=None),
        rems_form=RemsForm(formdata=None, back="course"),
        tz=tz,
        today=utcnow().astimezone(tz).date(),
    ), status


@bp.get("/requests/<int:request_id>/course/new")
def new_course(request_id: int):
    """The whole course proposed from the pattern, each session editable before booking."""
    tz = _tz()
    now = utcnow()
    errors = {}
    try:
        consultation = proposals.load_request(request_id)
    except RequestNotFound:
        abort(404)
    key = request.args.get("kind") or _default_kind(consultation.modality.value)
    try:
        start = (
            parse_day(request.args["start"])
            if request.args.get("start")
            else _next_monday(now.astimezone(tz).date())
        )
    except ValueError as error:
        errors["start"], start = str(error), _next_monday(now.astimezone(tz).date())
    try:
        preferred = parse_time(request.args["time"]) if request.args.get("time") else DEFAULT_TIME
    except ValueError as error:
        errors["time"], preferred = str(error), DEFAULT_TIME
    try:
        plan = proposals.propose(request_id, key, start, preferred, now=now)
    except FieldErrors as error:
        errors.update(error.errors)
        plan = proposals.propose(request_id, KindKey.INFUSION.value, start, preferred, now=now)
    status = 400 if errors else 200
    return _render_plan(
        plan,
        start=start,
        preferred=preferred,
        rows=_plan_rows(plan, tz),
        errors=errors,
        status=status,
        bad_values={k: request.args.get(k, "") for k in errors},
    )


@bp.post("/requests/<int:request_id>/course")
def book_course(request_id: int):
    """Book every session, or none: 422 for the rules, 409 when chairs were taken meanwhile."""
    form = CourseForm()
    if not form.validate_on_submit():
        abort(400)
    tz, now, key = _tz(), utcnow(), form.kind.data or ""
    try:
        gate = proposals.gate(request_id, key)
    except RequestNotFound:
        abort(404)
    except FieldErrors as error:
        abort(400, " ".join(error.errors.values()))
    values = list(form.session.data or [])
    starts, bad = [], {}
    for index, value in enumerate(values):
        try:
            starts.append(parse_start(value, tz))
        except ValueError as error:
            bad[index] = str(error)
    if bad or not values:
        rows = [_typed_row(i + 1, value, bad.get(i)) for i, value in enumerate(values)]
        problem = "Some dates and times could not be read: see below." if values else "Give the sessions."
        return _render_plan(gate, rows=rows, problems=[problem], status=422)
    try:
        course = booking.book_course(request_id, key, starts, actor_id=current_user.id, now=now)
    except CourseRefused as refused:
        plan = proposals.review(request_id, key, starts, now=now)
        return _render_plan(plan, rows=_plan_rows(plan, tz), problems=refused.reasons, status=422)
    except CourseInvalid as invalid:
        plan = replace(gate, check=invalid.check)
        problems = [p.message for p in invalid.check.problems] or [
            "Some sessions break the clinic's rules: see each one below. Nothing was booked."
        ]
        return _render_plan(plan, rows=_plan_rows(plan, tz), problems=problems, status=422)
    except CourseConflict as conflict:
        plan = proposals.review(request_id, key, starts, now=now)
        numbers = ", ".join(str(s.number) for s in conflict.lost)
        plural = "s" if len(conflict.lost) != 1 else ""
        return _render_plan(
            plan,
            rows=_plan_rows(plan, tz, lost=conflict.lost),
            problems=[
                f"Nothing was booked: session{plural} {numbers} could not hold a chair, taken by another "
                "booking a moment ago. Choose from the free times offered, then book again."
            ],
            status=409,
        )
    flash(
        f"Course booked: {len(course.sessions)} sessions. The patient has been emailed the times.", "success"
    )
    return redirect(url_for(".course", course_id=course.id), 303)


def _typed_row(number: int, value: str, error: str | None) -> dict:
    return {
        "number": number,
        "value": value,
        "starts_at": None,
        "care_ends_at": None,
        "chair": None,
        "problems": [error] if error else [],
        "alternatives": [],
    }


@bp.post("/requests/<int:request_id>/rems")
def record_rems(request_id: int):
    """Record the patient's REMS enrollment (date and REMS patient ID)."""
    form = RemsForm()
    if not form.validate_on_submit() and form.csrf_token.errors:
        abort(400)
    tz = _tz()
    try:
        enrolled_on = parse_day(form.enrolled_on.data) if form.enrolled_on.data else None
    except ValueError:
        enrolled_on = None
    try:
        rems.record_enrolment(
            request_id,
            enrolled_on,
            form.rems_id.data or "",
            actor_id=current_user.id,
            today=utcnow().astimezone(tz).date(),
        )
    except RequestNotFound:
        abort(404)
    except FieldErrors as error:
        for name, message in error.errors.items():
            form[name].errors = [*form[name].errors, message]
        try:
            consultation = proposals.load_request(request_id)
        except RequestNotFound:
            abort(404)
        return render_template("staff/courses/rems_enrolment.html", r=consultation, form=form), 422
    flash("REMS enrollment recorded.", "success")
    if form.back_to() == "course":
        return redirect(url_for(".new_course", request_id=request_id, kind=KindKey.NASAL_SPRAY.value), 303)
    return redirect(url_for(".detail", request_id=request_id, _anchor="course-heading"), 303)


# A course and its sessions


def _render_course(
    course_id: int, *, status: int = 200, error: str | None = None, moving: dict | None = None
):
    try:
        course, chairs_by_id = sessions.course_page(course_id)
    except SessionNotFound:
        abort(404)
    tz = _tz()
    return render_template(
        "staff/courses/course.html",
        course=course,
        r=course.request,
        chairs=chairs_by_id,
        action_form=SessionActionForm(formdata=None, back="course"),
        status_form=SessionStatusForm(formdata=None, back="course"),
        moving=moving or {},
        error=error,
        tz=tz,
        now=utcnow(),
        local_value=local_value,
    ), status


@bp.get("/courses/<int:course_id>")
def course(course_id: int):
    """A course's sessions, each with its outcome, move, driver and REMS form."""
    return _render_course(course_id)


def _session_or_404(session_id: int) -> TreatmentSession:
    try:
        return sessions.load(session_id)
    except SessionNotFound:
        abort(404)


def _back(form, session: TreatmentSession):
    """Back to the page the action came from: the course, or the chair board of the session's day."""
    target = form.back_to()
    if target == "board":
        day = session.starts_at.astimezone(_tz()).date()
        return redirect(url_for(".chair_board", date=day.isoformat()), 303)
    if target == "rems":
        return redirect(url_for(".rems_forms"), 303)
    return redirect(url_for(".course", course_id=session.course_id), 303)


@bp.post("/sessions/<int:session_id>/status")
def session_status(session_id: int):
    """Record a session's outcome; a cancel or a no-show asks for confirmation first."""
    form = SessionStatusForm()
    if not form.validate_on_submit():
        abort(400)
    session = _session_or_404(session_id)
    try:
        target = SessionStatus(form.status.data or "")
    except ValueError:
        return _render_course(session.course_id, status=422, error="Choose completed, no-show or cancelled.")
    if target == SessionStatus.SCHEDULED:
        return _render_course(session.course_id, status=422, error="Choose completed, no-show or cancelled.")
    if target in CONFIRM_FIRST and not form.is_confirmed:
        return render_template(
            "staff/courses/confirm.html",
            session=session,
            target=target,
            form=SessionStatusForm(formdata=None, back=form.back_to(), status=target.value, confirm="yes"),
            back_url=_back(form, session).location,
            tz=_tz(),
        )
    try:
        sessions.change_status(session_id, target, actor_id=current_user.id, now=utcnow())
    except SessionRefused as refused:
        return _render_course(session.course_id, status=409, error=str(refused))
    done = {
        SessionStatus.COMPLETED: "Session marked completed.",
        SessionStatus.NO_SHOW: "Session marked no-show.",
        SessionStatus.CANCELLED: "Session cancelled: its chair is free again and the patient has been told.",
    }
    flash(done[target], "success")
    return _back(form, session)


@bp.post("/sessions/<int:session_id>/reschedule")
def session_reschedule(session_id: int):
    """Move a session to `start` (clinic time): 422 for a rule, 409 when no chair is free then."""
    form = SessionMoveForm()
    if not form.validate_on_submit() and form.csrf_token.errors:
        abort(400)
    session = _session_or_404(session_id)
    typed = form.start.data or ""
    try:
        starts_at = parse_start(typed, _tz())
    except ValueError as error:
        return _render_course(
            session.course_id, status=422, moving={session_id: {"value": typed, "errors": [str(error)]}}
        )
    try:
        sessions.reschedule(session_id, starts_at, actor_id=current_user.id, now=utcnow())
    except SessionRefused as refused:
        return _render_course(session.course_id, status=409, error=str(refused))
    except SessionInvalid as invalid:
        return _render_course(
            session.course_id, status=422, moving={session_id: {"value": typed, "errors": invalid.problems}}
        )
    except SessionConflict as conflict:
        return _render_course(
            session.course_id,
            status=409,
            moving={
                session_id: {
                    "value": typed,
                    "errors": ["No chair is free for the whole session then. Free times nearby:"],
                    "alternatives": conflict.alternatives,
                }
            },
        )
    flash("Session moved. The patient has been told and asked to confirm their driver again.", "success")
    return _back(form, session)


@bp.post("/sessions/<int:session_id>/driver")
def session_driver(session_id: int):
    """Staff confirm the patient's driver home (the patient told them by phone)."""
    form = SessionActionForm()
    if not form.validate_on_submit():
        abort(400)
    session = _session_or_404(session_id)
    try:
        changed = sessions.confirm_driver(session_id, actor_id=current_user.id, now=utcnow())
    except SessionRefused as refused:
        return _render_course(session.course_id, status=409, error=str(refused))
    flash("Driver home confirmed." if changed else "The driver was already confirmed.", "success")
    return _back(form, session)


@bp.post("/sessions/<int:session_id>/rems-form")
def session_rems_form(session_id: int):
    """Mark a completed esketamine session's REMS monitoring form sent."""
    form = SessionActionForm()
    if not form.validate_on_submit():
        abort(400)
    session = _session_or_404(session_id)
    try:
        rems.mark_form_sent(session_id, actor_id=current_user.id, now=utcnow())
    except SessionRefused as refused:
        flash(str(refused), "error")
    else:
        flash("REMS form marked sent.", "success")
    if form.back_to() == "course":
        return redirect(url_for(".course", course_id=session.course_id), 303)
    return redirect(url_for(".rems_forms"), 303)


# The day's chairs and the REMS forms due


@bp.get("/chairs")
def chair_board():
    """The day's chair board: chairs as columns, quarter hours as rows, each session's phases drawn.
    Kept for the colleague until a session, course, chair or the clinic's hours change, or the day ends."""
    now = utcnow()
    return kept_page(lambda: _draw_board(now), now=now)


def _draw_board(now: datetime) -> tuple[str, int, datetime]:
    tz = _tz()
    today = now.astimezone(tz).date()
    raw = request.args.get("date", "")
    try:
        day = parse_day(raw) if raw else today
    except ValueError as error:
        abort(400, str(error))
    body = render_template(
        "staff/courses/board.html",
        day=board.day_board(day),
        date=day,
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
        today=today,
        action_form=SessionActionForm(formdata=None, back="board"),
        tz=tz,
    )
    return body, 200, local_instant(today + timedelta(days=1), time(0), tz)  # "today" moves at midnight


@bp.get("/rems")
def rems_forms():
    """Esketamine REMS monitoring forms not yet sent, oldest first, each due 7 days after its session."""
    tz = _tz()
    today = utcnow().astimezone(tz).date()
    return render_template(
        "staff/courses/rems.html",
        due=rems.forms_due(today=today, tz=tz),
        form=SessionActionForm(formdata=None, back="rems"),
        today=today,
        tz=tz,
        due_days=rems.FORM_DUE_DAYS,
    )
