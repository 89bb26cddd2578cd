"""A patient asks for a fresh manage link: the old one (in a forwarded email, on a shared computer) stops
working at once, and the new one goes only to the email address the patient gave, never onto the page,
so someone holding the old link cannot take the booking over by asking for a new one."""

from datetime import datetime

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import update

from clinic.extensions import db
from clinic.models import ConsultationRequest
from clinic.services import unit_of_work
from clinic.services.audit.record import record
from clinic.services.mail import outbox
from clinic.services.mail.calendar import subject_for
from clinic.services.mail.notifications import manage_url
from clinic.services.rules.read import clinic_info

RECORD_TYPE = "request"


class LinkChanged(Exception):
    """Someone renewed the link at the same moment with the same old link: it no longer works."""


def renew(consultation: ConsultationRequest, *, now: datetime) -> None:
    """End every link issued so far and email the patient a new one (one transaction, mail after it)."""
    seen = consultation.link_version or 1
    with unit_of_work():
        bumped = db.session.execute(
            update(ConsultationRequest)
            .where(ConsultationRequest.id == consultation.id, ConsultationRequest.link_version == seen)
            .values(link_version=seen + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if bumped != 1:
            raise LinkChanged()
        db.session.refresh(consultation)
        info = clinic_info()
        context = {"info": info, "consultation": consultation, "manage_url": manage_url(consultation)}
        language = consultation.language or "en"
        with force_locale(language):  # the patient's language (SPEC section 14)
            text = render_template("emails/new_link.txt", **context)
            html = render_template("emails/new_link.html", **context)
        message = outbox.add("new_link", [consultation.email], subject_for(info.name, language), text, html)
        record(
            "patient.link_renewed",
            actor_id=None,
            record_type=RECORD_TYPE,
            record_id=consultation.id,
            details={"by": "patient", "link_version": seen + 1},
        )
    outbox.deliver([message])
