"""clinic.services.unit_of_work: one commit on success, nothing kept on an error, no nesting."""

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import AuditEvent
from clinic.services import NestedUnitOfWork, unit_of_work
from clinic.services.audit.record import record


def events() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_the_block_commits_once_it_succeeds(app):
    with app.app_context():
        with unit_of_work():
            record("test.kept", actor_id=None)
        db.session.remove()
        assert events() == 1


def test_an_error_rolls_back_everything_already_flushed(app):
    with app.app_context():
        with pytest.raises(LookupError), unit_of_work():
            record("test.lost", actor_id=None)
            db.session.flush()
            raise LookupError("refused")
        db.session.remove()
        assert events() == 0


def test_a_unit_of_work_refuses_to_nest_and_keeps_nothing(app):
    with app.app_context():
        with pytest.raises(NestedUnitOfWork), unit_of_work():
            record("test.outer", actor_id=None)
            with unit_of_work():
                record("test.inner", actor_id=None)
        db.session.remove()
        assert events() == 0
        with unit_of_work():  # and the session is usable again
            record("test.after", actor_id=None)
        assert events() == 1


def test_it_decorates_a_use_case_with_a_fresh_unit_per_call(app):
    @unit_of_work()
    def add(action: str) -> None:
        record(action, actor_id=None)

    with app.app_context():
        add("test.one")
        add("test.two")
        db.session.remove()
        assert events() == 2
