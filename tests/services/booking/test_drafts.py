"""clinic.services.booking.drafts: an intake form saved to finish later, resumed, sent, expired and purged."""

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.engine import make_url

from clinic import signing
from clinic.extensions import db
from clinic.models import AuditEvent, IntakeDraft
from clinic.services.booking import drafts
from clinic.services.booking.intake import IntakeData, submit
from clinic.services.encryption import rotation
from clinic.services.jobs import run_all
from clinic.triage.enums import Modality, PreferredContact
from tests.conftest import DATA_KEY
from tests.services.encryption.test_rotation import NEW_KEY, restart_with
from tests.services.helpers import count, local

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
pytestmark = pytest.mark.usefixtures("now")
CANARIES = {
    "first_name": "Draftfirstqx",
    "last_name": "Draftlastqx",
    "email": "draft.canary.qx41@example.com",
    "phone": "(202) 555-0199",
    "date_of_birth": "1969-03-14",
    "medications": "DRAFT-MEDICATION-qx41",
    "notes": "DRAFT-NOTES-qx41",
}


def typed(**overrides) -> drafts.DraftData:
    return drafts.DraftData(
        **{
            **CANARIES,
            "preferred_contact": "phone",
            "antidepressant_trials": "4",
            "conditions": ("seizures",),
            "modality": "nasal_spray",
            "starts_at": local(24, 9).astimezone(UTC),
            **overrides,
        }
    )


def test_a_saved_draft_resumes_with_what_was_typed_and_emails_only_its_link(ctx, sent):
    data = typed()
    token = drafts.save(data, now=NOW)
    assert count(IntakeDraft) == 1
    assert drafts.resume(token, now=NOW + timedelta(days=6)) == data
    (email,) = sent
    assert email.to == [CANARIES["email"]]
    assert email.subject == "A message from Northfield Clinic"
    body = email.body
    assert f"/consultation/resume/{token}" in body and "7" not in email.subject
    assert "Monday, November 30, 2026" in body  # until when the link works
    for health in ("seizure", "Seizure", "nasal", "DRAFT-", "ketamine", "Draftfirstqx", "4"):
        assert health not in email.subject
    for health in ("seizure", "Seizure", "nasal", "spray", "DRAFT-", "ketamine", "esketamine", "PHQ"):
        assert health not in body
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert [(e.action, e.record_type, e.details) for e in events] == [
        ("intake.draft_save", "intake_draft", None),
        ("intake.draft_resume", "intake_draft", None),
    ]


def test_only_a_hash_of_the_links_secret_is_stored(ctx):
    token = drafts.save(typed(), now=NOW)
    secret = signing.read(drafts.SALT, token)
    row = db.session.execute(sa.text("SELECT * FROM intake_drafts")).mappings().one()
    assert row["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert not any(secret in str(value) or token in str(value) for value in row.values())


def test_the_draft_holds_no_plain_text_and_no_phq9(app, backend, ctx):
    drafts.save(typed(), now=NOW)
    db.session.commit()
    stored = []
    for table in db.metadata.sorted_tables:  # the stored values as a dump shows them: no type decrypts
        stored += [str(row) for row in db.session.execute(sa.text(f"SELECT * FROM {table.name}"))]
    if backend == "sqlite":
        path = Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)
        files = [p for p in (path, Path(f"{path}-wal")) if p.exists()]
        stored.append(b"".join(p.read_bytes() for p in files).decode("utf-8", "replace"))
    dump = "\n".join(stored).lower()
    assert "intake.draft_save" in dump  # the rows are there
    # (the treatment kinds' table names nasal_spray itself: the condition ticked stands for the history)
    assert [c for c in (*CANARIES.values(), "2025550199", "seizures") if c.lower() in dump] == []
    assert [c.name for c in IntakeDraft.__table__.columns if "phq" in c.name] == []


def test_submitting_the_request_deletes_its_draft(ctx):
    token = drafts.save(typed(), now=NOW)
    other = drafts.save(typed(email="someone.else@example.com"), now=NOW)
    submit(
        IntakeData(
            starts_at=local(24, 9),
            first_name="Draftfirstqx",
            last_name="Draftlastqx",
            email=CANARIES["email"],
            phone="+12025550199",
            date_of_birth=date(1969, 3, 14),
            preferred_contact=PreferredContact.PHONE,
            phq9=(1,) * 8 + (0,),
            antidepressant_trials=4,
            modality=Modality.NASAL_SPRAY,
        ),
        now=NOW,
        draft_token=token,
    )
    assert count(IntakeDraft) == 1
    with pytest.raises(drafts.DraftNotFound):
        drafts.resume(token, now=NOW)
    assert drafts.resume(other, now=NOW).email == "someone.else@example.com"


def test_saving_a_resumed_draft_again_replaces_it(ctx):
    first = drafts.save(typed(), now=NOW)
    second = drafts.save(typed(notes="more"), now=NOW, replaces=first)
    assert count(IntakeDraft) == 1
    with pytest.raises(drafts.DraftNotFound):
        drafts.resume(first, now=NOW)
    assert drafts.resume(second, now=NOW).notes == "more"


def test_an_expired_draft_is_refused_then_deleted_by_run_jobs(ctx):
    token = drafts.save(typed(), now=NOW)
    later = NOW + timedelta(days=7)
    with pytest.raises(drafts.DraftExpired):
        drafts.resume(token, now=later)
    assert drafts.purge_expired(now=later - timedelta(seconds=1)) == 0
    results = {r.job.name: r.count for r in run_all(now=later)}
    assert results["intake-drafts"] == 1
    assert count(IntakeDraft) == 0
    with pytest.raises(drafts.DraftNotFound):
        drafts.resume(token, now=later)


@pytest.mark.parametrize("token", ["", "forged.token", "x" * 300])
def test_a_forged_or_malformed_link_opens_nothing(ctx, token):
    drafts.save(typed(), now=NOW)
    with pytest.raises(drafts.DraftNotFound):
        drafts.resume(token, now=NOW)
    assert signing.read(drafts.SALT, signing.sign("clinic.manage-appointment", "abc")) is None


def test_key_rotation_reseals_drafts_and_the_old_key_can_go(app, ctx):
    token = drafts.save(typed(), now=NOW)
    restart_with(app, f"{NEW_KEY},{DATA_KEY}")
    assert IntakeDraft.__tablename__ in {t.table.name for t in rotation.sealed_tables()}
    assert rotation.rotate() >= 1 and rotation.pending() == 0
    restart_with(app, NEW_KEY)
    db.session.expire_all()
    assert drafts.resume(token, now=NOW) == typed()
