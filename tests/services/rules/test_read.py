"""clinic.services.rules.read: the rules every page reads, read once per request, fresh after a change."""

from datetime import date, time

from sqlalchemy import update

from clinic.extensions import db
from clinic.models import ClinicSettings, Closure, OpeningHours
from clinic.scheduling import DayHours
from clinic.services.rules import read


def test_the_default_clinic(ctx):
    info = read.clinic_info()
    assert (info.name, info.timezone, info.slot_minutes, info.capacity) == (
        "Northfield Clinic",
        "America/New_York",
        30,
        1,
    )
    assert info.rules.slot_length.total_seconds() == 30 * 60
    week = read.weekly_hours()
    assert week[0] == DayHours(time(8), time(17, 30)) and week[6] is None
    assert read.stored_hours() == week


def test_closures_between_touches_the_range(ctx):
    db.session.add_all(
        [
            Closure(start_date=date(2026, 11, 26), end_date=date(2026, 11, 27), reason="Thanksgiving"),
            Closure(start_date=date(2026, 12, 24), end_date=date(2026, 12, 24), reason="Christmas Eve"),
        ]
    )
    db.session.commit()
    assert [c.reason for c in read.closures_between(date(2026, 11, 27), date(2026, 12, 1))] == [
        "Thanksgiving"
    ]
    assert read.closures_between(date(2026, 12, 1), date(2026, 12, 20)) == []


def test_a_request_reads_the_settings_once_until_forget(app, queries):
    with app.test_request_context():
        with queries() as statements:
            read.clinic_info()
            read.weekly_hours()
            read.schedule_for(date(2026, 11, 23), date(2026, 11, 29))
        assert len(statements) == 2  # settings with hours, then the closures
        db.session.execute(update(ClinicSettings).values(slot_minutes=45))
        db.session.execute(
            update(OpeningHours).where(OpeningHours.weekday == 0).values(opens=None, closes=None)
        )
        assert read.clinic_info().slot_minutes == 30  # the request's copy
        assert read.stored_hours()[0] is None  # read fresh
        read.forget()
        assert read.clinic_info().slot_minutes == 45 and read.weekly_hours()[0] is None
        db.session.rollback()


def test_the_layout_keeps_its_copy_for_a_few_seconds(app):
    app.config["SETTINGS_DISPLAY_SECONDS"] = 60
    with app.app_context():
        first = read.displayed_info()
        db.session.execute(update(ClinicSettings).values(name="Renamed Clinic"))
        db.session.commit()
        assert read.displayed_info() is first
        read.forget()
        assert read.displayed_info().name == "Renamed Clinic"
