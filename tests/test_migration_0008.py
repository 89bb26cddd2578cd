"""Migration 0008 on a database with rows from before it (values bound to their column only, REMS IDs in
clear): every row gets its seal, every value is bound to its row and reads through the models, the REMS IDs
are encrypted, the tallies still count; and back down to the binding of 0005, on both databases."""

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from clinic import keys
from clinic.crypto.keyring import Undecryptable, encode
from clinic.extensions import db
from clinic.models import ConsultationRequest, Note, OutboxMessage, RemsEnrolment, StaffUser
from clinic.services.casework import search, tallies

NOW = datetime(2027, 2, 22, 15, 0, tzinfo=UTC)
SEALED = {
    "consultation_requests": [
        "first_name",
        "last_name",
        "email",
        "phone",
        "date_of_birth",
        "phq9_answers",
        "conditions",
        "medications",
        "notes",
    ],
    "notes": ["body"],
    "outbox_messages": ["recipients", "body_text"],
    "staff_users": ["totp_secret"],
}
OLD_NOTE = "OLD-NOTE-0007-CANARY"
OLD_REMS = "RP-OLD-0007-CANARY"
REMS_CANARY = "RP-CANARY-8008"


def column_only(table: str, column: str, token: str) -> bytes:
    """What the code before 0008 did: open a value bound to its column alone."""
    return keys.current().open(token, f"{table}.{column}")


def raw_rows(sql: str) -> list:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql(sql).all()


def test_0008_binds_the_rows_from_before_and_goes_back(app, make_request, make_staff, enrol):
    first = make_request(
        last_name="Migrationfirst", email="first.canary@example.com", medications="MED-CANARY"
    )
    second = make_request(last_name="Migrationsecond")
    enrol(first, REMS_CANARY)
    staff = make_staff(two_factor=True)
    with app.app_context():
        db.session.add(Note(request_id=first, author_id=staff, body="NOTE-CANARY", created_at=NOW))
        db.session.commit()
        db.session.remove()

        # Down to 0007: the values are bound to their column only again, the REMS ID in clear.
        downgrade(revision="0007")
        db.session.remove()
        for table, columns in SEALED.items():
            for row in raw_rows(f"SELECT {', '.join(columns)} FROM {table}"):
                for column, token in zip(columns, row, strict=True):
                    if token is not None:
                        column_only(table, column, token)  # raises if not as 0005 left it
        assert raw_rows("SELECT rems_id FROM rems_enrolments") == [(REMS_CANARY,)]
        assert "seal" not in {c["name"] for c in sa.inspect(db.engine).get_columns("notes")}

        # Rows written before 0008, by the code of the time.
        keyring = keys.current()
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO notes (request_id, author_id, body, created_at) VALUES (:r, :a, :b, :at)"
                ),
                {
                    "r": second,
                    "a": staff,
                    "b": keyring.seal(encode("text", OLD_NOTE), "notes.body"),
                    "at": NOW.replace(tzinfo=None),
                },
            )
            conn.execute(
                sa.text(
                    "INSERT INTO rems_enrolments (request_id, enrolled_on, rems_id, recorded_at) "
                    "VALUES (:r, :on, :id, :at)"
                ),
                {"r": second, "on": date(2027, 2, 1), "id": OLD_REMS, "at": NOW.replace(tzinfo=None)},
            )

        upgrade()
        db.session.remove()
        dump = "\n".join(
            repr(tuple(row))
            for table in [*SEALED, "rems_enrolments"]
            for row in raw_rows(f"SELECT * FROM {table}")
        )
        for canary in (REMS_CANARY, OLD_REMS, OLD_NOTE, "NOTE-CANARY", "first.canary", "MED-CANARY"):
            assert canary not in dump, canary
        for table in [*SEALED, "rems_enrolments"]:
            seals = [seal for (seal,) in raw_rows(f"SELECT seal FROM {table}")]
            assert all(seal and len(seal) == 32 for seal in seals) and len(set(seals)) == len(seals), table
            for (token,) in raw_rows(f"SELECT {SEALED.get(table, ['rems_id'])[0]} FROM {table}"):
                if token is not None:  # bound to the row now: the column alone no longer opens it
                    try:
                        column_only(table, SEALED.get(table, ["rems_id"])[0], token)
                    except Undecryptable:
                        continue
                    raise AssertionError(f"{table}: a value is still bound to its column only")

        # Through the models: everything reads, searches, counts.
        request = db.session.get(ConsultationRequest, first)
        assert (request.last_name, request.email, request.medications) == (
            "Migrationfirst",
            "first.canary@example.com",
            "MED-CANARY",
        )
        assert [n.body for n in request.notes_list] == ["NOTE-CANARY"]
        assert [n.body for n in db.session.get(ConsultationRequest, second).notes_list] == [OLD_NOTE]
        rems = {e.request_id: e.rems_id for e in db.session.scalars(select(RemsEnrolment))}
        assert rems == {first: REMS_CANARY, second: OLD_REMS}
        assert (
            db.session.get(StaffUser, staff).has_two_factor and db.session.get(StaffUser, staff).totp_secret
        )
        assert all(m.recipients for m in db.session.scalars(select(OutboxMessage)))
        found = db.session.scalars(
            select(ConsultationRequest.id).where(search.matches("first.canary@example.com"))
        )
        assert list(found) == [first]

        # A value copied into another row no longer decrypts.
        table = RemsEnrolment.__table__
        token = db.session.scalar(
            select(sa.type_coerce(table.c.rems_id, sa.Text)).where(table.c.request_id == first)
        )
        db.session.execute(
            table.update()
            .where(table.c.request_id == second)
            .values(rems_id=sa.type_coerce(sa.literal(token), sa.Text))
        )
        try:
            db.session.scalars(select(RemsEnrolment)).all()
        except Undecryptable as error:
            assert "rems_enrolments.rems_id" in str(error) and REMS_CANARY not in str(error)
        else:
            raise AssertionError("a REMS ID copied into another row decrypted")
        db.session.rollback()

        # The schema is the models', the tally triggers survived (SQLite recreated the tables).
        db.session.add(
            ConsultationRequest(
                reference="KT-MIG888",
                public_id="m" * 32,
                status="new",
                priority="urgent",
                priority_rank=1,
                first_name="After",
                last_name="Migration",
                email="after@example.com",
                phone="+12125550188",
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
        db.session.remove()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                assert conn.exec_driver_sql("SELECT count(*) FROM notes").scalar() == 2  # nothing cascaded
