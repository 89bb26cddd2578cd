"""Encryption at rest, proven on the stored bytes: after a whole intake with canary values and a staff note,
a `pg_dump` of the PostgreSQL database, and the SQLite file with its write-ahead log, hold none of them in
clear; and a value copied from one column into another does not decrypt."""

import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.engine import make_url

from clinic import create_app
from clinic.crypto.keyring import Undecryptable
from clinic.extensions import db
from clinic.models import ConsultationRequest, Note
from tests.conftest import base_config
from tests.privacy.test_log_canaries import (
    CANARIES,
    NOTE,
    PASSWORD,
    PATIENT,
    STAFF_EMAIL,
    FlaskClientAdapter,
    Secrets,
    patient_journey,
    staff_journey,
)

# Every canary of the journeys (patient fields, the note, the passwords), the condition ticked and the bad
# email typed into a refused form.
STORED_CANARIES = [*CANARIES, "hypertension", "canary zq81"]


@pytest.fixture
def app(database_url):
    app = create_app({**base_config(database_url), "RATELIMIT_ENABLED": False})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def journeys(app, client, make_staff) -> str:
    """A full intake (with a reschedule and a cancellation), then a staff search, detail, note and export;
    returns the request's reference."""
    make_staff(email=STAFF_EMAIL, name="Canary Staff", password=PASSWORD, two_factor=True)
    c = FlaskClientAdapter(client)
    patient_journey(c, Secrets())
    staff_journey(c, Secrets())
    with app.app_context():
        request = db.session.scalar(select(ConsultationRequest))
        assert request.last_name == PATIENT["last_name"] and request.medications == PATIENT["medications"]
        assert [note.body for note in request.notes_list] == [NOTE]
        return request.reference


def leaks(stored: str) -> list[str]:
    lowered = stored.lower()
    return [canary for canary in STORED_CANARIES if canary.lower() in lowered]


def test_pg_dump_shows_no_patient_data(app, backend, journeys):
    if backend != "postgresql":
        pytest.skip("pg_dump reads PostgreSQL; the SQLite file has its own test")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    dump = subprocess.run(
        [
            pg_dump,
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            url.database,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert dump.returncode == 0, dump.stderr[-2000:]
    assert (
        journeys in dump.stdout and "COPY public.consultation_requests" in dump.stdout
    )  # the rows are there
    assert leaks(dump.stdout) == []


def test_the_sqlite_file_and_its_wal_show_no_patient_data(app, backend, journeys):
    if backend != "sqlite":
        pytest.skip("the SQLite file; PostgreSQL has pg_dump")
    path = Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)
    files = [p for p in (path, Path(f"{path}-wal")) if p.exists()]
    stored = b"".join(p.read_bytes() for p in files).decode("utf-8", "replace")
    assert Path(f"{path}-wal").exists() and journeys in stored  # the rows written are in what is read
    assert "Canary Staff" in stored  # and clear text would show (a staff name is not patient data)
    assert leaks(stored) == []


def test_a_value_copied_into_another_column_does_not_decrypt(app, journeys):
    table = ConsultationRequest.__table__
    with app.app_context():
        email = db.session.scalar(select(sa.type_coerce(table.c.email, sa.Text)))
        body = db.session.scalar(select(sa.type_coerce(Note.__table__.c.body, sa.Text)))
        db.session.execute(table.update().values(phone=sa.type_coerce(sa.literal(email), sa.Text)))
        db.session.execute(Note.__table__.update().values(body=sa.type_coerce(sa.literal(email), sa.Text)))
        db.session.commit()
        with pytest.raises(Undecryptable, match=r"consultation_requests\.phone") as error:
            db.session.scalar(select(ConsultationRequest.phone))
        assert PATIENT["email"] not in str(error.value)
        with pytest.raises(Undecryptable, match=r"notes\.body"):
            db.session.scalar(select(Note.body))
        db.session.rollback()
        # Put back where it was written, each value reads again: only its place was wrong.
        db.session.execute(Note.__table__.update().values(body=sa.type_coerce(sa.literal(body), sa.Text)))
        db.session.commit()
        assert db.session.scalar(select(Note.body)) == NOTE
        assert db.session.scalar(select(ConsultationRequest.email)) == PATIENT["email"]
