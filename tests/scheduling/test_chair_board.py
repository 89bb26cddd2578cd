"""The chair board's layout, with no app and no database."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinic.scheduling import DayHours
from clinic.scheduling.chair_board import COVERED, FREE, BoardSession, Cell, lay_out

NY = ZoneInfo("America/New_York")
HOURS = DayHours(time(8), time(17, 30))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NY).astimezone(UTC)


def session(chair: int, starts: datetime, dose: int, monitoring: int, turnover: int, item="x"):
    minutes = timedelta(minutes=1)
    return BoardSession(
        chair,
        starts,
        starts + dose * minutes,
        starts + (dose + monitoring) * minutes,
        starts + (dose + monitoring + turnover) * minutes,
        item,
    )


def test_rows_run_from_opening_to_closing_in_quarter_hours():
    board = lay_out(date(2027, 3, 1), HOURS, NY, [1, 2], [])
    assert len(board.rows) == 38
    assert board.rows[0].starts_at == at(date(2027, 3, 1), 8)
    assert all(row.cells == (FREE, FREE) and row.is_open for row in board.rows)


def test_the_monday_after_the_spring_change_still_opens_at_eight():
    board = lay_out(date(2027, 3, 15), HOURS, NY, [1], [])
    assert board.rows[0].starts_at.astimezone(NY).time() == time(8)
    assert board.rows[0].starts_at == datetime(2027, 3, 15, 12, 0, tzinfo=UTC)


def test_a_turnover_past_closing_adds_rows_and_they_are_not_open():
    day = date(2027, 3, 1)
    late = session(1, at(day, 15, 15), 15, 120, 15)
    board = lay_out(day, HOURS, NY, [1], [late])
    assert board.rows[-1].starts_at == at(day, 17, 30) and not board.rows[-1].is_open
    cells = [r.cells[0] for r in board.rows if isinstance(r.cells[0], Cell)]
    assert [(c.phase, c.rows) for c in cells] == [("dose", 1), ("monitoring", 8), ("turnover", 1)]
    assert [c.first for c in cells] == [True, False, False]


def test_a_closed_day_has_no_rows_unless_a_session_sits_there():
    day = date(2027, 3, 7)
    assert lay_out(day, None, NY, [1], []).rows == ()
    kept = lay_out(day, None, NY, [1], [session(1, at(day, 10), 40, 30, 15)])
    assert len(kept.rows) == 6 and not any(r.is_open for r in kept.rows)


def test_sessions_the_grid_cannot_draw_are_kept_apart():
    day = date(2027, 3, 1)
    one = session(1, at(day, 9), 40, 30, 15, "one")
    clash = session(1, at(day, 9, 30), 40, 30, 15, "clash")
    elsewhere = session(9, at(day, 9), 40, 30, 15, "no such chair")
    board = lay_out(day, HOURS, NY, [1], [one, clash, elsewhere])
    assert [s.item for s in board.undrawn] == ["no such chair", "clash"]  # in time order
    drawn = [c.session.item for r in board.rows for c in r.cells if isinstance(c, Cell)]
    assert set(drawn) == {"one"}
    assert COVERED in board.rows[5].cells
