"""The Encrypted and BlindIndex column types, through the models: values in and out, nothing comparable in
SQL, and the blind indexes that follow a changed name, email or phone."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import ConsultationRequest, OutboxMessage
from clinic.models.types import Encrypted

R = ConsultationRequest


def raw(column, request_id):
    return db.session.scalar(select(sa.type_coerce(column, sa.Text)).where(R.id == request_id))


def test_every_kind_round_trips_and_is_stored_sealed(app, make_request):
    request_id = make_request(
        first_name="Zoë",
        date_of_birth=date(1971, 7, 19),
        phq9=[3, 2, 1, 0, 3, 2, 1, 0, 1],
        conditions=["seizures"],
    )
    with app.app_context():
        request = db.session.get(R, request_id)
        assert request.first_name == "Zoë" and request.date_of_birth == date(1971, 7, 19)
        assert request.phq9_answers == [3, 2, 1, 0, 3, 2, 1, 0, 1] and request.conditions == ["seizures"]
        for column in (R.first_name, R.date_of_birth, R.phq9_answers, R.conditions, R.medications):
            stored = raw(column, request_id)
            assert (
                ":" in stored
                and "Zoë" not in stored
                and "1971-07-19" not in stored
                and "seizures" not in stored
            )
        message = db.session.scalars(select(OutboxMessage)).first()
        assert message.body_html is None or isinstance(message.body_html, str)
        assert isinstance(message.recipients, list)


@pytest.mark.parametrize(
    "expression",
    [
        lambda: R.email == "jo@example.com",
        lambda: R.last_name.like("%o%"),
        lambda: R.first_name.in_(["Jo"]),
        lambda: R.date_of_birth < date(2000, 1, 1),
        lambda: R.last_name.asc(),
    ],
)
def test_encrypted_columns_refuse_comparison_and_sorting_in_sql(expression):
    with pytest.raises(TypeError, match="is encrypted"):
        expression()


def test_null_tests_still_work_on_encrypted_columns(app, make_request):
    make_request()
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(R.email.is_not(None))) == 1
        assert db.session.scalar(select(func.count()).where(OutboxMessage.body_text.is_(None))) == 0


def test_blind_indexes_follow_a_changed_email_and_name(app, make_request):
    request_id = make_request(email="old@example.com", last_name="Avery")
    with app.app_context():
        request = db.session.get(R, request_id)
        request.email = "  New@Example.com"
        request.last_name = "Núñez"
        db.session.commit()
        assert db.session.scalar(select(R.id).where(R.email_digest == "new@example.com")) == request_id
        assert db.session.scalar(select(R.id).where(R.email_digest == "old@example.com")) is None
        assert db.session.scalar(select(R.id).where(R.last_name_digest == "nunez")) == request_id
        assert len(raw(R.email_digest, request_id)) == 32


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        Encrypted("blob", "t.c")


def test_every_encrypted_column_has_its_own_context():
    contexts = [
        column.type.context
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Encrypted)
    ]
    assert len(contexts) == len(set(contexts)) >= 14
