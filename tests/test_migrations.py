"""The migrations are the schema: run them all on an empty database and compare with the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from clinic import create_app
from clinic.extensions import db
from clinic.models import ClinicSettings, OpeningHours
from tests.conftest import base_config


def test_migrations_match_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_fresh_database_has_default_rules(app):
    with app.app_context():
        settings = db.session.get(ClinicSettings, 1)
        assert (
            settings.slot_minutes,
            settings.capacity,
            settings.min_notice_hours,
            settings.horizon_days,
        ) == (
            30,
            1,
            2,
            60,
        )
        assert settings.timezone == "America/New_York"
        hours = {h.weekday: (h.opens, h.closes) for h in db.session.scalars(select(OpeningHours))}
        assert [str(hours[d][0]) for d in range(6)] == ["08:00:00"] * 6
        assert [str(hours[d][1]) for d in range(6)] == ["17:30:00"] * 6
        assert hours[6] == (None, None)


def test_migrations_run_down_and_up_on_an_empty_database(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path / 'empty.db'}"))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        upgrade()
        assert db.session.scalar(select(ClinicSettings.name))
        db.engine.dispose()
