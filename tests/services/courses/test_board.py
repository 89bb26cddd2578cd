"""clinic.services.courses.board: the day's chair board, each session laid out in its chair by phase, with
the chairs shown, the day's closures and the cancelled sessions beside it."""

from datetime import UTC, date, time

from sqlalchemy import update

from clinic.extensions import db
from clinic.models import Chair, Closure, SessionStatus
from clinic.scheduling.chair_board import COVERED, FREE, Cell
from clinic.services.courses import board, sessions
from clinic.timeutil import utcnow
from tests.conftest import forget_process_caches
from tests.fixtures_courses import INFUSION_DAYS, local, spray_starts


def test_the_chair_board_draws_each_phase(app, infusion_course, completed_request, enrol, book):
    spray = completed_request(modality="nasal_spray", email="spray@example.com")
    enrol(spray)
    book(spray, "nasal_spray", spray_starts(9, 15))
    with app.app_context():
        day = board.day_board(INFUSION_DAYS[0])
        assert [c.name for c in day.chairs] == ["Chair 1", "Chair 2"]
        rows = day.board.rows
        assert rows[0].starts_at == local(INFUSION_DAYS[0], 8).astimezone(UTC)
        nine = next(
            i for i, r in enumerate(rows) if r.starts_at == local(INFUSION_DAYS[0], 9).astimezone(UTC)
        )
        dose = rows[nine].cells[0]
        assert isinstance(dose, Cell) and (dose.phase, dose.rows, dose.first) == ("dose", 3, True)
        assert rows[nine + 1].cells[0] is COVERED and rows[nine + 2].cells[0] is COVERED
        monitoring = rows[nine + 3].cells[0]
        assert (monitoring.phase, monitoring.rows) == ("monitoring", 2)  # 09:40–10:10 covers 09:45, 10:00
        assert (rows[nine + 5].cells[0].phase, rows[nine + 5].cells[0].rows) == ("turnover", 1)
        assert rows[nine + 6].cells[0] == FREE
        spray_cell = rows[nine + 1].cells[1]  # 09:15 in chair 2
        assert (spray_cell.phase, spray_cell.rows) == ("dose", 1)
        assert spray_cell.session.item.enrolment is not None
        assert day.session_count == 2


def test_a_cancelled_session_leaves_the_board_and_is_listed_beside_it(app, infusion_course):
    _, ids, staff = infusion_course
    with app.app_context():
        sessions.change_status(ids[0], SessionStatus.CANCELLED, actor_id=staff, now=utcnow())
        day = board.day_board(INFUSION_DAYS[0])
        assert day.session_count == 0
        assert [s.id for s in day.cancelled] == [ids[0]]
        assert all(cell == FREE for row in day.board.rows for cell in row.cells)
        assert board.day_board(INFUSION_DAYS[1]).session_count == 1


def test_a_chair_out_of_use_shows_only_on_days_it_still_holds_a_session(app, infusion_course):
    with app.app_context():
        db.session.execute(update(Chair).where(Chair.id == 1).values(is_active=False))
        db.session.execute(update(Chair).where(Chair.id == 2).values(is_active=True))
        db.session.commit()
        assert [c.name for c in board.day_board(INFUSION_DAYS[0]).chairs] == ["Chair 1", "Chair 2"]
        assert [c.name for c in board.day_board(date(2027, 3, 2)).chairs] == ["Chair 2"]  # nothing booked


def test_the_days_closures_come_with_the_board(app, course_now):
    with app.app_context():
        db.session.add_all(
            [
                Closure(start_date=date(2027, 3, 1), end_date=date(2027, 3, 1), reason="Holiday"),
                Closure(
                    start_date=date(2027, 3, 2),
                    end_date=date(2027, 3, 3),
                    start_time=time(12),
                    end_time=time(13),
                    reason="Training",
                ),
            ]
        )
        db.session.commit()
        forget_process_caches(app)
        holiday = board.day_board(date(2027, 3, 1))
        assert holiday.closure.reason == "Holiday" and holiday.part_closures == []
        training = board.day_board(date(2027, 3, 3))
        assert training.closure is None and [c.reason for c in training.part_closures] == ["Training"]
        assert board.day_board(date(2027, 3, 4)).closure is None
        assert board.day_board(date(2027, 3, 4)).part_closures == []
