"""Migration 0003 (phq9_difficulty): existing requests keep NULL, the tally triggers survive, the CHECK
holds, and it goes down and up again, on both databases."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from clinic.extensions import db
from clinic.models import ConsultationRequest, RequestTally


def columns(table: str = "consultation_requests") -> set[str]:
    return {column["name"] for column in sa.inspect(db.engine).get_columns(table)}


def tally_total() -> int:
    return db.session.scalar(sa.select(sa.func.sum(RequestTally.n)))


def test_existing_requests_keep_null_and_the_triggers_survive(app, make_request):
    before = make_request(phq9_difficulty=2)
    with app.app_context():
        downgrade(revision="0002")
        db.session.remove()
        assert "phq9_difficulty" not in columns()
        upgrade()
        db.session.remove()
        assert "phq9_difficulty" in columns()
        assert db.session.get(ConsultationRequest, before).phq9_difficulty is None  # asked before: NULL
        assert tally_total() == 1
    make_request(phq9_difficulty=3)
    with app.app_context():
        assert tally_total() == 2, "the request-tally triggers were lost"
        stored = db.session.scalars(sa.select(ConsultationRequest.phq9_difficulty)).all()
        assert sorted(stored, key=lambda v: -1 if v is None else v) == [None, 3]
