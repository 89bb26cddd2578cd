"""Demo check-ins for `seed-demo`, so each demo course's request page shows a trajectory: a check-in sent a
day before every session that has started or starts within a day, answered a few hours later when the session
is past. The scores follow a realistic course: responders (a drop of half or more), a non-responder, and one
patient in remission (below 5). Item 9 stays at 0, so the demo raises no crisis.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clinic.extensions import db
from clinic.models import CheckIn, CheckInReason, SessionStatus, TreatmentCourse
from clinic.services.casework.checkins import VALID_FOR
from clinic.triage.screening import band_for

# One pattern per course, in the order seed_courses booked them (the first has the most sessions behind it).
PATTERNS = ("remission", "responder", "non_responder", "responder", "responder", "non_responder")
ITEMS = 8  # items 1 to 8 carry the score; item 9 (thoughts of self-harm) stays 0


def score_after(pattern: str, baseline: int, number: int) -> int:
    """The PHQ-9 before session `number` (1-based) of a course, for a demo pattern."""
    if pattern == "remission":
        return max(2, round(baseline - (baseline - 2) * min(1.0, (number - 1) / 4)))
    if pattern == "responder":
        return round(baseline * (1 - 0.6 * min(1.0, (number - 1) / 2)))
    return max(0, baseline - (number % 3))  # a non-responder: small ups and downs


def answers_for(score: int) -> list[int]:
    """Nine answers adding up to `score` (at most 24 on items 1 to 8), item 9 at 0."""
    score = min(score, 3 * ITEMS)
    answers = [score // ITEMS + (1 if i < score % ITEMS else 0) for i in range(ITEMS)]
    return [*answers, 0]


def seed_check_ins(now: datetime) -> int:
    """Add the demo check-ins (inner step of seed-demo's transaction); returns how many were answered."""
    courses = db.session.scalars(
        select(TreatmentCourse)
        .options(selectinload(TreatmentCourse.sessions), selectinload(TreatmentCourse.request))
        .order_by(TreatmentCourse.id)
    ).all()
    answered = 0
    for course, pattern in zip(courses, PATTERNS, strict=False):
        baseline = course.request.phq9_score
        for session in course.sessions:
            sent_at = session.starts_at - timedelta(days=1)
            if sent_at > now or session.status == SessionStatus.CANCELLED:
                continue
            check_in = CheckIn(
                public_id=secrets.token_hex(16),
                request_id=course.request_id,
                session_id=session.id,
                reason=CheckInReason.SESSION,
                sent_at=sent_at,
                expires_at=sent_at + VALID_FOR,
            )
            answered_at = sent_at + timedelta(hours=3, minutes=17 * session.number % 60)
            if answered_at <= now and session.starts_at <= now:
                score = sum(answers_for(score_after(pattern, baseline, session.number)))
                check_in.answered_at = answered_at
                check_in.phq9_answers = answers_for(score)
                check_in.phq9_difficulty = 1 if score < 10 else 2
                check_in.phq9_score = score
                check_in.phq9_band = band_for(score)
                answered += 1
            db.session.add(check_in)
    db.session.flush()
    return answered
