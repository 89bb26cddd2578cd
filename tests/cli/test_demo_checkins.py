"""`seed-demo` adds check-ins before the courses' sessions: responders, a non-responder and one remission."""

from datetime import UTC, datetime

from sqlalchemy import select

from clinic.cli.demo_checkins import answers_for, score_after
from clinic.extensions import db
from clinic.models import CheckIn, ConsultationRequest
from clinic.triage.trajectory import build_trajectory

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York


def test_the_demo_trajectories_show_responders_a_non_responder_and_a_remission(app, runner, clock):
    clock.set(NOW)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "answered demo check-ins" in result.output
    with app.app_context():
        answered = db.session.scalars(select(CheckIn).where(CheckIn.answered_at.is_not(None))).all()
        by_request: dict[int, list[CheckIn]] = {}
        for c in answered:
            by_request.setdefault(c.request_id, []).append(c)
        outcomes = []
        for request_id, rows in by_request.items():
            baseline = db.session.get(ConsultationRequest, request_id).phq9_score
            trajectory = build_trajectory(baseline, [(c.answered_at, c.phq9_score) for c in rows])
            assert all(c.phq9_answers[8] == 0 and sum(c.phq9_answers) == c.phq9_score for c in rows)
            latest = trajectory.latest
            outcomes.append("remission" if latest.remission else "response" if latest.response else "none")
        assert outcomes.count("remission") >= 1 and outcomes.count("response") >= 1
        assert outcomes.count("none") >= 1
        assert all(c.answered_at <= NOW for c in answered)


def test_the_patterns():
    assert score_after("responder", 20, 3) == 8
    assert score_after("remission", 18, 5) == 2
    assert score_after("non_responder", 18, 3) == 18
    assert sum(answers_for(13)) == 13 and answers_for(13)[8] == 0
    assert sum(answers_for(27)) == 24
