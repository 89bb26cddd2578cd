"""Intake forms saved to finish later: save, resume by emailed link, discard on submit, purge when expired.

The link signs a random secret (clinic/signing.py, its own salt); the draft row keeps only the secret's
SHA-256, so neither a copy of the database nor a forged token opens a draft. A draft lasts 7 days. The
PHQ-9 is never part of a draft (models/drafts.py says why). The email says only that a request was saved
and where to finish it: no health data, in the patient's language. Audit events hold the draft's id only.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import render_template
from flask_babel import force_locale, gettext
from sqlalchemy import delete, select

from clinic import signing
from clinic.extensions import db
from clinic.models import IntakeDraft, OutboxMessage
from clinic.services import unit_of_work
from clinic.services.audit.record import record
from clinic.services.mail import outbox
from clinic.services.mail.calendar import describe
from clinic.services.mail.notifications import base_url, in_language
from clinic.services.rules.read import clinic_info

SALT = "clinic.intake-draft"
# The typed values a draft keeps, each in its own encrypted column of the same name.
TYPED = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "preferred_contact",
    "antidepressant_trials",
    "modality",
    "medications",
    "notes",
)
KEEP_FOR = timedelta(days=7)
RECORD_TYPE = "intake_draft"


class DraftNotFound(Exception):
    """The link is forged or malformed, or its draft was sent as a request or deleted."""


class DraftExpired(Exception):
    """The draft's 7 days are over: it can no longer be resumed (run-jobs deletes it)."""


@dataclass(frozen=True, slots=True)
class DraftData:
    """What the patient typed, as typed (nothing but the email needs to be valid yet), without the PHQ-9."""

    email: str
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    date_of_birth: str = ""
    preferred_contact: str = ""
    antidepressant_trials: str = ""
    conditions: Sequence[str] = field(default=())
    modality: str = ""
    medications: str = ""
    notes: str = ""
    starts_at: datetime | None = None
    language: str = "en"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _secret(token: str | None) -> str | None:
    payload = signing.read(SALT, token or "")
    return payload if isinstance(payload, str) and payload else None


def _find(token: str | None) -> IntakeDraft | None:
    secret = _secret(token)
    if secret is None:
        return None
    return db.session.scalar(select(IntakeDraft).where(IntakeDraft.token_hash == _hash(secret)))


def resume_url(token: str, language: str) -> str:
    return in_language(f"{base_url()}/consultation/resume/{token}", language)


def save(data: DraftData, *, now: datetime, replaces: str | None = None) -> str:
    """Store a draft and email the patient its link; returns the link's token. One transaction, mail after.

    `replaces`: the token of the draft the form was resumed from, deleted in the same transaction (its
    link stops working: the new email has the new one).
    """
    secret = secrets.token_urlsafe(32)
    token = signing.sign(SALT, secret)
    with unit_of_work():
        _discard(replaces)
        draft = IntakeDraft(
            token_hash=_hash(secret),
            language=data.language,
            starts_at=data.starts_at,
            created_at=now,
            expires_at=now + KEEP_FOR,
            conditions=list(data.conditions),
            **{name: getattr(data, name) for name in TYPED},
        )
        db.session.add(draft)
        db.session.flush()
        message = _add_link_email(draft, token)
        record("intake.draft_save", actor_id=None, record_type=RECORD_TYPE, record_id=draft.id)
    outbox.deliver([message])
    return token


def _add_link_email(draft: IntakeDraft, token: str) -> OutboxMessage:
    """The link to finish the request: neutral words only (no answer, no drug, no condition)."""
    info = clinic_info()
    language = draft.language or "en"
    context = {
        "info": info,
        "url": resume_url(token, language),
        "until": describe(draft.expires_at, info.timezone, language),
    }
    with force_locale(language):  # the patient's language (SPEC section 14)
        subject = gettext("A message from %(name)s", name=info.name)
        text = render_template("emails/intake_draft.txt", **context)
        html = render_template("emails/intake_draft.html", **context)
    return outbox.add("intake_draft", [draft.email], subject, text, html)


def resume(token: str, *, now: datetime) -> DraftData:
    """What the draft holds, to fill the form again; DraftNotFound or DraftExpired. Audited."""
    with unit_of_work():
        draft = _find(token)
        if draft is None:
            raise DraftNotFound()
        if draft.is_expired(now):
            raise DraftExpired()
        record("intake.draft_resume", actor_id=None, record_type=RECORD_TYPE, record_id=draft.id)
        return DraftData(
            conditions=tuple(draft.conditions or ()),
            starts_at=draft.starts_at,
            language=draft.language,
            **{name: getattr(draft, name) for name in TYPED},
        )


def _discard(token: str | None) -> None:
    """Delete the draft of `token`, if there is one (an inner step: flushes, never commits)."""
    secret = _secret(token)
    if secret is not None:
        db.session.execute(delete(IntakeDraft).where(IntakeDraft.token_hash == _hash(secret)))


def discard_submitted(token: str | None) -> None:
    """The request made from a resumed draft is stored: delete the draft in the same transaction."""
    _discard(token)


def purge_expired(*, now: datetime) -> int:
    """Delete every draft past its 7 days (run-jobs); returns how many."""
    with unit_of_work():
        return db.session.execute(delete(IntakeDraft).where(IntakeDraft.expires_at <= now)).rowcount
