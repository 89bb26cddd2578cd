"""Migration 0005 on a database made by the first release: clear rows in, encrypted rows out, readable through
the models, searchable, counted; and back down to clear text."""

import json
import os
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from clinic import create_app
from clinic.extensions import db
from clinic.models import ConsultationRequest, LoginFailure, Note, OutboxMessage
from clinic.services.casework import search, tallies
from tests.conftest import _pg_admin_engine, _pg_url_for, base_config

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
CLEAR = {
    "first_name": "Oldfirstcanary",
    "last_name": "Núñez-Oldlast",
    "email": "old.canary@example.com",
    "phone": "+12125550177",
    "medications": "OLD-MEDICATION-CANARY",
    "notes": "OLD-PATIENT-NOTES-CANARY",
}
NOTE = "OLD-STAFF-NOTE-CANARY"
BODY = "Dear Oldfirstcanary, your consultation is booked."
ANSWERS = [2, 1, 3, 0, 1, 2, 0, 1, 1]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    """An empty database (no migrations run yet) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'first-release.db'}"
        return
    request.getfixturevalue("pg_template")  # skips without CLINIC_TEST_DATABASE_URL
    name = f"clinic_m5_{os.getpid()}"
    engine = _pg_admin_engine()
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield _pg_url_for(name)
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


@pytest.fixture
def old_app(empty_url):
    app = create_app(base_config(empty_url))
    with app.app_context():
        upgrade(revision="0002")
        _first_release_rows()
    yield app
    with app.app_context():
        db.engine.dispose()


def _first_release_rows() -> None:
    """What the first release wrote: clear text everywhere (its schema, through Core)."""
    meta = sa.MetaData()
    meta.reflect(bind=db.engine, only=["consultation_requests", "notes", "outbox_messages", "login_failures"])
    requests, notes = meta.tables["consultation_requests"], meta.tables["notes"]
    outbox, failures = meta.tables["outbox_messages"], meta.tables["login_failures"]
    common = {
        "status": "new",
        "priority": "routine",
        "priority_rank": 3,
        "date_of_birth": date(1971, 7, 19),
        "preferred_contact": "email",
        "phq9_score": sum(ANSWERS),
        "phq9_band": "mild",
        "antidepressant_trials": 2,
        "treatment_resistant": True,
        "modality": "infusion",
        "consent_version": "2026-01",
        "consented_at": NOW,
        "created_at": NOW,
        "updated_at": NOW,
    }
    with db.engine.begin() as conn:
        conn.execute(
            requests.insert(),
            [
                {
                    **common,
                    **CLEAR,
                    "reference": "KT-QLD222",
                    "public_id": "old-public-id-1",
                    "conditions": ["hypertension", "seizures"],
                    **{f"phq9_{i + 1}": a for i, a in enumerate(ANSWERS)},
                },
                {
                    **common,
                    "first_name": "Other",
                    "last_name": "Person",
                    "email": "other@example.com",
                    "phone": "+13125550100",
                    "medications": "",
                    "notes": "",
                    "reference": "KT-QLD333",
                    "public_id": "old-public-id-2",
                    "conditions": [],
                    "status": "completed",
                    **{f"phq9_{i + 1}": 0 for i in range(9)},
                },
            ],
        )
        first_id = conn.scalar(select(requests.c.id).where(requests.c.reference == "KT-QLD222"))
        conn.execute(notes.insert(), {"request_id": first_id, "body": NOTE, "created_at": NOW})
        conn.execute(
            outbox.insert(),
            {
                "kind": "confirmation",
                "recipients": [CLEAR["email"]],
                "subject": "Your consultation with Northfield Clinic",
                "body_text": BODY,
                "body_html": f"<p>{BODY}</p>",
                "attachments": [{"filename": "a.ics", "mimetype": "text/calendar", "content": "OLDICS"}],
                "created_at": NOW,
                "attempts": 0,
            },
        )
        conn.execute(failures.insert(), {"email": "typed.canary@example.com", "at": NOW})


def _raw_dump() -> str:
    """Every row of the tables that held patient data, as stored (no decryption)."""
    lines = []
    with db.engine.connect() as conn:
        for table in ("consultation_requests", "notes", "outbox_messages", "login_failures"):
            lines += [repr(tuple(row)) for row in conn.exec_driver_sql(f"SELECT * FROM {table}")]
    return "\n".join(lines)


def test_upgrade_encrypts_the_first_releases_rows_and_the_models_read_them(old_app):
    with old_app.app_context():
        before = _raw_dump()
        assert CLEAR["first_name"] in before and NOTE in before  # the test starts from clear text
        upgrade()
        dump = _raw_dump().lower()
        for canary in [*CLEAR.values(), NOTE, "1971-07-19", "hypertension", "typed.canary", "oldics"]:
            assert canary.lower() not in dump, canary

        request = db.session.scalar(
            select(ConsultationRequest).where(ConsultationRequest.reference == "KT-QLD222")
        )
        assert {field: getattr(request, field) for field in CLEAR} == CLEAR
        assert request.date_of_birth == date(1971, 7, 19)
        assert request.phq9_answers == ANSWERS and request.conditions == ["hypertension", "seizures"]
        assert [note.body for note in request.notes_list] == [NOTE]
        message = db.session.scalar(select(OutboxMessage))
        assert (message.recipients, message.body_text, message.body_html) == (
            [CLEAR["email"]],
            BODY,
            f"<p>{BODY}</p>",
        )
        assert message.attachments[0]["content"] == "OLDICS"
        # 0004 drops sign-in failures typed in clear (only keyed hashes are kept from then on)
        assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 0

        def found(text: str) -> list[str]:
            return list(db.session.scalars(select(ConsultationRequest.reference).where(search.matches(text))))

        for text in (
            "OLD.CANARY@example.com",
            "(212) 555-0177",
            "nunez-oldlast",
            "Oldfirstcanary",
            "kt-qld222",
        ):
            assert found(text) == ["KT-QLD222"], text
        assert tallies.differences() == []  # the counts survived, and the triggers still count
        db.session.add(
            ConsultationRequest(
                **{**CLEAR, "email": "new@example.com"},
                reference="KT-NEW222",
                public_id="new-public-id",
                status="new",
                priority="urgent",
                priority_rank=1,
                date_of_birth=date(1990, 1, 1),
                preferred_contact="email",
                phq9_answers=[1] * 9,
                phq9_score=9,
                phq9_band="mild",
                antidepressant_trials=0,
                treatment_resistant=False,
                modality="infusion",
                consent_version="x",
                consented_at=NOW,
            )
        )
        db.session.commit()
        assert tallies.differences() == []
        urgent_new = sa.text("SELECT n FROM request_tallies WHERE status = 'new' AND priority = 'urgent'")
        assert db.session.execute(urgent_new).scalar() == 1
        db.session.rollback()  # SQLite: let the next connection take the write lock
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on for the app
                assert conn.exec_driver_sql("SELECT count(*) FROM notes").scalar() == 1  # nothing cascaded


def test_downgrade_decrypts_back_to_the_first_releases_schema(old_app):
    with old_app.app_context():
        upgrade()
        downgrade(revision="0002")
        db.session.remove()
        with db.engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT first_name, last_name, email, phone, date_of_birth, conditions, phq9_3, phq9_9, "
                "medications FROM consultation_requests WHERE reference = 'KT-QLD222'"
            ).one()
            assert row[:4] == (CLEAR["first_name"], CLEAR["last_name"], CLEAR["email"], CLEAR["phone"])
            assert str(row[4]) == "1971-07-19"
            conditions = row[5] if isinstance(row[5], list) else json.loads(row[5])
            assert conditions == ["hypertension", "seizures"]
            assert (row[6], row[7], row[8]) == (3, 1, CLEAR["medications"])
            assert conn.exec_driver_sql("SELECT body FROM notes").scalar() == NOTE
            recipients = conn.exec_driver_sql("SELECT recipients FROM outbox_messages").scalar()
            assert (recipients if isinstance(recipients, list) else json.loads(recipients)) == [
                CLEAR["email"]
            ]
            assert conn.exec_driver_sql("SELECT count(*) FROM login_failures").scalar() == 0
        upgrade()  # and up again
        request = db.session.scalar(
            select(ConsultationRequest).where(ConsultationRequest.reference == "KT-QLD222")
        )
        assert request.first_name == CLEAR["first_name"] and request.phq9_answers == ANSWERS
        assert db.session.scalar(select(Note.body)) == NOTE
