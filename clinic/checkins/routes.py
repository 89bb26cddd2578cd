"""The patient's check-in between treatment sessions, by a signed link (never an id): the intake's PHQ-9,
one answer per link, valid 72 hours. Neutral page: it names no drug, and shows no earlier answer, so it
tells nothing to someone else who holds the link. Item 9 above 0 shows the crisis panel right after.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, session, url_for

from clinic.checkins.forms import CheckInForm
from clinic.extensions import writes_on_get
from clinic.i18n import language
from clinic.i18n import lazy_gettext as _l
from clinic.intake.forms import summary_items
from clinic.intake.phq9 import PHQ9_ATTRIBUTION_TEXT, PHQ9_QUESTION_TEXT
from clinic.models import CheckIn
from clinic.services.casework import checkins
from clinic.services.mail.calendar import describe
from clinic.services.rules.read import clinic_info
from clinic.timeutil import utcnow

bp = Blueprint("checkins", __name__, url_prefix="/check-ins")

JUST_ANSWERED = (
    "check_in_answered"  # session key: the public id of the check-in just answered, and the crisis flag
)
INVALID_LINK = _l(
    "This check-in link is not valid. A link copied only in part does not work. If you need help, please "
    "call us."
)


def _load(token: str) -> CheckIn:
    check_in = checkins.load_token(token)
    if check_in is None:
        abort(404, INVALID_LINK)
    return check_in


def _render(
    check_in: CheckIn, token: str, *, form=None, state: str = "open", status: int = 200, crisis=False
):
    info = clinic_info()
    errors = summary_items(form) if form else []
    return render_template(
        "checkins/check_in.html",
        token=token,
        form=form,
        state=state,
        crisis=crisis,
        until=describe(check_in.expires_at, info.timezone, language()),
        error_summary=errors,
        phq9_question=PHQ9_QUESTION_TEXT,
        phq9_attribution=PHQ9_ATTRIBUTION_TEXT,
    ), status


def _closed_state(check_in: CheckIn) -> str | None:
    if check_in.answered_at is not None:
        return "answered"
    if check_in.is_expired(utcnow()):
        return "expired"
    return None


@bp.get("/<token>")
@writes_on_get
def check_in(token: str):
    """The questions; once answered, a thank-you (with the crisis panel right after an item 9 above 0);
    once expired, a page that says so (410)."""
    found = _load(token)
    checkins.record_view(found.id)
    just = session.pop(JUST_ANSWERED, None)
    crisis = isinstance(just, list) and just[0] == found.public_id and bool(just[1])
    state = _closed_state(found)
    if state is not None:
        return _render(found, token, state=state, status=410 if state == "expired" else 200, crisis=crisis)
    return _render(found, token, form=CheckInForm(formdata=None))


@bp.post("/<token>")
def answer(token: str):
    """303 back to the page once stored; 422 with every answer kept when one is missing; 409 when the link
    was answered already; 410 when it expired."""
    found = _load(token)
    form = CheckInForm()
    state = _closed_state(found)
    if state is not None:  # for the page's words only: the answer's own UPDATE is what refuses a second one
        return _render(found, token, state=state, status=409 if state == "answered" else 410)
    if not form.validate():
        return _render(found, token, form=form, status=422)
    try:
        result = checkins.answer(found.id, form.phq9_answers, form.phq9_difficulty_answer, now=utcnow())
    except checkins.AlreadyAnswered:
        return _render(found, token, state="answered", status=409)
    except checkins.CheckInExpired:
        return _render(found, token, state="expired", status=410)
    session[JUST_ANSWERED] = [found.public_id, result.self_harm]
    return redirect(url_for(".check_in", token=token), 303)
