"""Every encrypted value is bound to its column and its row (models/sealed.py): a value copied into the same
column of another row, or into another column, does not decrypt; a page that meets one fails with the
generic error page and a log line naming the column, never the value; the REMS ID is encrypted too."""

import logging
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from clinic.crypto.keyring import Undecryptable
from clinic.extensions import db
from clinic.models import ConsultationRequest, Note, OutboxMessage, RemsEnrolment, StaffUser
from clinic.models.sealed import bound_row
from clinic.models.types import Encrypted

NOW = datetime(2027, 2, 22, 15, 0, tzinfo=UTC)
R = ConsultationRequest
THEIRS = "copied.canary@example.com"


def raw(column, row_id):
    """The stored token of one row, as text (no decryption)."""
    return db.session.scalar(select(sa.type_coerce(column, sa.Text)).where(column.table.c.id == row_id))


def write_raw(column, row_id, token) -> None:
    table = column.table
    db.session.execute(
        table.update()
        .where(table.c.id == row_id)
        .values({column.key: sa.type_coerce(sa.literal(token), sa.Text)})
    )
    db.session.commit()


@pytest.fixture
def two(app, make_request):
    """Two requests; the first one's email is THEIRS."""
    return make_request(email=THEIRS, last_name="Firstrow"), make_request(last_name="Secondrow")


def test_a_value_copied_into_the_same_column_of_another_row_does_not_decrypt(app, two):
    first, second = two
    with app.app_context():
        own = raw(R.email, second)
        write_raw(R.email, second, raw(R.email, first))
        with pytest.raises(Undecryptable, match=r"consultation_requests\.email") as error:
            db.session.get(R, second)
        assert THEIRS not in str(error.value)
        db.session.rollback()
        with pytest.raises(Undecryptable):
            db.session.scalar(select(R.email).where(R.id == second))  # a bare column too (the CSV's way)
        db.session.rollback()
        assert db.session.get(R, first).email == THEIRS  # the row it was written for still reads it
        write_raw(R.email, second, own)  # put back, it reads again: only its place was wrong
        assert db.session.get(R, second).last_name == "Secondrow"


def test_a_value_copied_into_another_column_of_the_same_row_does_not_decrypt(app, two):
    first, _ = two
    with app.app_context():
        write_raw(R.phone, first, raw(R.email, first))
        with pytest.raises(Undecryptable, match=r"consultation_requests\.phone"):
            db.session.scalar(select(R.phone).where(R.id == first))


def test_notes_outbox_staff_and_rems_rows_are_bound_too(app, two, make_staff, enrol):
    first, second = two
    enrol(first, "RP-FIRST-1")
    enrol(second, "RP-SECOND-2")
    staff = [make_staff(two_factor=True), make_staff(two_factor=True)]
    with app.app_context():
        db.session.add_all(
            Note(request_id=r, author_id=staff[0], body=f"note {r}", created_at=NOW) for r in two
        )
        db.session.commit()
        notes = db.session.scalars(select(Note.id).order_by(Note.id)).all()
        messages = db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)).all()[:2]
        enrolments = [
            db.session.scalar(select(RemsEnrolment.id).where(RemsEnrolment.request_id == r)) for r in two
        ]
        assert "RP-FIRST-1" not in raw(RemsEnrolment.rems_id, enrolments[0])  # stored encrypted
        for model, column, ids in (
            (Note, Note.body, notes),
            (OutboxMessage, OutboxMessage.recipients, messages),
            (StaffUser, StaffUser.totp_secret, staff),
            (RemsEnrolment, RemsEnrolment.rems_id, enrolments),
        ):
            write_raw(column, ids[1], raw(column, ids[0]))
            with pytest.raises(Undecryptable, match=rf"{column.table.name}\.{column.key}"):
                db.session.get(model, ids[1])
            db.session.rollback()
            assert db.session.get(model, ids[0]) is not None  # the first row still reads


def test_a_page_meeting_a_copied_value_shows_the_error_page_and_logs_the_column_only(
    app, two, staff_client, caplog
):
    first, second = two
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        write_raw(R.email, second, raw(R.email, first))
    caplog.set_level(logging.ERROR)
    page = staff_client.get(f"/staff/requests/{second}")
    text = page.get_data(as_text=True)
    assert page.status_code == 500 and "Something went wrong on our side" in text
    assert THEIRS not in text and "Secondrow" not in text
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records) + caplog.text
    assert "Undecryptable" in logged and "consultation_requests.email" in logged
    assert THEIRS not in logged
    assert staff_client.get(f"/staff/requests/{first}").status_code == 200  # the other rows still show


def test_every_new_row_gets_its_own_seal_at_creation_and_keeps_it(app, two):
    with app.app_context():
        made = R(first_name="Jo")
        assert made.seal and len(made.seal) == 32 and made.seal != R(first_name="Jo").seal
        seals = db.session.scalars(select(R.seal)).all()
        assert len(set(seals)) == 2
        request = db.session.get(R, two[0])
        request.seal = "0" * 32
        with pytest.raises(ValueError, match="seal never changes"):
            db.session.flush()
        db.session.rollback()


def test_every_table_with_an_encrypted_column_has_a_seal():
    for table in db.metadata.sorted_tables:
        if any(isinstance(c.type, Encrypted) for c in table.columns):
            assert "seal" in table.c and not table.c.seal.nullable, table.name


def test_a_write_through_core_must_bind_its_values(app, two):
    with app.app_context():
        template = db.session.get(R, two[1])
        columns = {
            c.key: getattr(template, c.key) for c in R.__table__.columns if c.key not in ("id", "seal")
        }
        fresh = {**columns, "reference": "KT-CORE22", "public_id": "c" * 32}
        with pytest.raises(sa.exc.StatementError, match="bound to its row"):
            db.session.execute(sa.insert(R.__table__).values(fresh))
        db.session.rollback()
        added = db.session.scalar(
            sa.insert(R.__table__).values(bound_row(R.__table__, fresh)).returning(R.id)
        )
        db.session.commit()
        assert db.session.get(R, added).last_name == "Secondrow"
