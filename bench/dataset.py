"""A clinic network's worth of data: consultation requests over three years, with bookings, notes and audit.

The schema comes from the real migrations (`flask_migrate.upgrade`). Rows go in with SQLAlchemy Core
`insert()` executemany in batches, through the models' own tables (so UTCDateTime, enums, JSON and the
encrypted fields bind exactly as the app writes them: names, contact details, answers and notes encrypted,
blind indexes from `lookup_values`), never the ORM per row.

Layout (deterministic, seed 8): the same present, a growing past.
- The span: three years ending at the booking horizon (now + 60 days). Its grid is every Mon–Sat
  08:00–17:00 slot start in America/New_York: ~18,700 slots, ~980 of them still to come.
- The present is the same at every size: the first 900 requests hold bookings spread over the 60 days to
  come (about one per future slot), so the availability API, /book and the open queue face the same
  near-term load at 1,000 as at 100,000 requests, and the cost curve measures what history costs.
- Every later request is history: a booking on a past slot. 99,100 of them do not fit one seat per
  slot (~17,700 past slots), so the clinic gets ceil(99,100 / past slots) = 6 seats per slot (a
  six-chair network; capacity is a clinic setting, 1–20). History request j takes past slot
  perm[j % slots], seat j // slots + 1, with perm a fixed shuffle: the first thousand are already spread
  over three years, and growing the dataset (1,000 -> 10,000 -> 100,000) never reuses a (slot, seat),
  so the SlotClaim unique constraint holds throughout.
- Past slots end completed, no-show, cancelled or declined; future ones are new, contacted or scheduled
  (some cancelled). A cancelled or declined request's booking keeps its row with `cancelled_at` and
  has no SlotClaim, like the real cancel service.
- About half the requests carry a staff note; each has 2–3 audit events (views, status changes, notes).
- After the last step, `add_courses` gives the present treatment courses through the app's own services
  (not bulk inserts): chairs up to six, an infusion course of six sessions for each of the 30 newest
  completed requests, starting over the six days from tomorrow, and one check-in sent. The chair board,
  the course page and the check-in page then have something to show.
"""

from __future__ import annotations

import random
import time as clock
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from math import ceil
from zoneinfo import ZoneInfo

import layout
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from clinic.extensions import db
from clinic.models import (
    AuditEvent,
    Booking,
    ClinicSettings,
    ConsultationRequest,
    Note,
    SlotClaim,
    StaffUser,
    TreatmentCourse,
)
from clinic.models.requests import lookup_values
from clinic.models.sealed import bound_row
from clinic.services.accounts.passwords import hash_password
from clinic.services.casework import tallies
from clinic.triage.enums import Modality, Phq9Band, PreferredContact, Priority, RequestStatus, Role

TZ = ZoneInfo("America/New_York")
SPAN_DAYS = 3 * 365
HORIZON_DAYS = 60
SLOT = timedelta(minutes=30)
BATCH = 5_000
PRESENT = 900  # bookings in the 60 days to come, the same at every size
CHAIRS = 6  # treatment chairs, as many as the full-size network's seats per slot
COURSES = 30  # infusion courses for the present, booked after the last step
COURSE_TIMES = (time(8), time(9, 30), time(11), time(12, 30), time(14), time(15, 30))
TABLES = ("consultation_requests", "bookings", "slot_claims", "notes", "audit_events")
STAFF_EMAIL = "bench-staff@clinic.example"
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols, no 0/O or 1/I
CONDITIONS = (
    "aneurysm",
    "brain_bleed",
    "hypertension",
    "heart_disease",
    "psychosis",
    "substance_use",
    "pregnancy",
    "seizures",
)
FIRST = (
    "Ana",
    "Ben",
    "Chloé",
    "Dev",
    "Eitan",
    "Fatima",
    "Grace",
    "Hiro",
    "Inès",
    "Jon",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
    "Owen",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Vera",
    "Wei",
    "Yara",
)
LAST = (
    "Adams",
    "Brown",
    "Chen",
    "Díaz",
    "Evans",
    "Fischer",
    "García",
    "Hughes",
    "Ivanova",
    "Jones",
    "Kim",
    "López",
    "Miller",
    "Nguyen",
    "O'Brien",
    "Patel",
    "Quinn",
    "Rossi",
    "Smith",
    "Taylor",
    "Ueda",
    "Vargas",
    "Williams",
    "Zhang",
)
NOTE_BODIES = (
    "Left a voicemail, will try again tomorrow.",
    "Spoke with the patient; questions answered.",
    "Asked the referring clinician for records.",
    "Patient prefers mornings.",
    "Reviewed screening; clinician review booked.",
)


def band(score: int) -> Phq9Band:
    for limit, value in (
        (4, Phq9Band.MINIMAL),
        (9, Phq9Band.MILD),
        (14, Phq9Band.MODERATE),
        (19, Phq9Band.MODERATELY_SEVERE),
    ):
        if score <= limit:
            return value
    return Phq9Band.SEVERE


def reference(i: int) -> str:
    """A unique reference per index: an odd multiplier is a bijection on 32^6, then base-32."""
    n = (i * 387_420_489 + 12_345) % 32**6
    chars = []
    for _ in range(6):
        n, digit = divmod(n, 32)
        chars.append(REFERENCE_ALPHABET[digit])
    return "KT-" + "".join(chars)


def slot_grid(first: date, last: date) -> list[datetime]:
    """Every Mon–Sat 08:00–17:00 local slot start from `first` to `last`, in UTC."""
    slots = []
    day = first
    while day <= last:
        if day.weekday() < 6:
            start = datetime.combine(day, time(8), tzinfo=TZ)
            for k in range(19):
                slots.append((start + k * SLOT).astimezone(UTC))
        day += timedelta(days=1)
    return slots


@dataclass
class Dataset:
    """Grows one database step by step: `grow_to(1_000)`, measure, `grow_to(10_000)`, measure, …"""

    app: Flask
    target: int  # the largest size the run will reach; fixes the capacity
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    size: int = 0
    notes: int = 0
    audits: int = 0
    staff_ids: list[int] = field(default_factory=list)
    staff_password: str = ""
    rng: random.Random = field(default_factory=lambda: random.Random(8))
    all_active: bool = False
    maintenance_seconds: float = 0.0

    def __post_init__(self) -> None:
        today = self.now.astimezone(TZ).date()
        self.slots = slot_grid(
            today + timedelta(days=HORIZON_DAYS - SPAN_DAYS), today + timedelta(days=HORIZON_DAYS)
        )
        self.future = [slot for slot in self.slots if slot > self.now]
        self.past = [slot for slot in self.slots if slot <= self.now]
        self.perm = list(range(len(self.past)))
        random.Random(8).shuffle(self.perm)
        self.capacity = max(1, ceil(max(self.target - PRESENT, 0) / len(self.past)))

    def placement(self, i: int) -> tuple[datetime, int]:
        """Request i's slot start (UTC) and seat: the present first, then history."""
        if i < PRESENT:
            return self.future[(i * len(self.future)) // PRESENT], 1
        j = i - PRESENT
        return self.past[self.perm[j % len(self.past)]], j // len(self.past) + 1

    def create_schema(self) -> None:
        """The real migrations, then the staff accounts and the clinic's capacity."""
        with self.app.app_context():
            upgrade()
            self.staff_password = "bench-" + "".join(random.SystemRandom().choices(REFERENCE_ALPHABET, k=24))
            people = [
                (STAFF_EMAIL, "Bench Staff", Role.STAFF),
                ("bench-admin@clinic.example", "Bench Admin", Role.ADMIN),
            ]
            people += [(f"nurse{k}@clinic.example", f"Nurse {k}", Role.STAFF) for k in range(1, 5)]
            password_hash = hash_password(self.staff_password)
            users = [
                StaffUser(email=email, name=name, role=role, password_hash=password_hash)
                for email, name, role in people
            ]
            db.session.add_all(users)
            # The bench signs its staff user in with a password alone: two-factor sign-in stays an admin's
            # duty here (the benchmark measures pages, not sign-in).
            db.session.execute(
                sa.update(ClinicSettings).values(capacity=self.capacity, require_two_factor=False)
            )
            db.session.commit()
            self.staff_ids = [user.id for user in users]

    def grow_to(self, size: int, progress: Callable[[int], None] | None = None) -> float:
        """Insert requests self.size..size-1 with their rows; return the seconds the inserts took (the
        VACUUM ANALYZE or ANALYZE after them is `maintenance_seconds`)."""
        started = clock.perf_counter()
        with self.app.app_context():
            engine = db.engine
            with engine.begin() as conn:
                postgresql = engine.dialect.name == "postgresql"
                if postgresql:
                    # A bulk load's way with the request_tallies trigger: off for the load, then one
                    # recount (the same as `flask check-tallies --fix`), in this one transaction. Left on,
                    # 100,000 single-row inserts would update the same few tally rows 100,000 times.
                    conn.exec_driver_sql("ALTER TABLE consultation_requests DISABLE TRIGGER USER")
                # The app writes notes and audit events too (sign-ins, detail views): carry on after its rows.
                self.notes = conn.scalar(sa.select(sa.func.coalesce(sa.func.max(Note.id), 0)))
                self.audits = conn.scalar(sa.select(sa.func.coalesce(sa.func.max(AuditEvent.id), 0)))
                for first in range(self.size, size, BATCH):
                    last = min(first + BATCH, size)
                    requests, bookings, claims, notes, audits = self._rows(first, last)
                    conn.execute(
                        sa.insert(ConsultationRequest.__table__),
                        [bound_row(ConsultationRequest.__table__, row) for row in requests],
                    )
                    conn.execute(sa.insert(Booking.__table__), bookings)
                    if claims:
                        conn.execute(sa.insert(SlotClaim.__table__), claims)
                    if notes:
                        conn.execute(sa.insert(Note.__table__), [bound_row(Note.__table__, n) for n in notes])
                    conn.execute(sa.insert(AuditEvent.__table__), audits)
                    if progress:
                        progress(last - first)
                if postgresql:
                    conn.execute(tallies.recount_statement())
                    conn.exec_driver_sql("ALTER TABLE consultation_requests ENABLE TRIGGER USER")
                    for table in TABLES:
                        conn.exec_driver_sql(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                        )
            inserted = clock.perf_counter()
            # What autovacuum does after a bulk insert in production (statistics, and the visibility map that
            # lets PostgreSQL count from an index alone); on SQLite, the statistics of `PRAGMA optimize`.
            if engine.dialect.name == "postgresql":
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    for table in TABLES:
                        conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
            else:
                with engine.connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
                    conn.commit()
            self.maintenance_seconds = clock.perf_counter() - inserted
        self.size = size
        return inserted - started

    def add_courses(self, count: int = COURSES) -> dict:
        """The present's treatment courses, through the app's own services at the real clock: chairs up to
        CHAIRS (admin.save_chair), then an infusion course proposed and booked for each of the `count` newest
        completed requests (proposals.propose, booking.book_course), start days and preferred times spread
        so the chairs fill over the weeks to come, and one check-in sent (checkins.send).

        Returns the paths of the pages they give content to: "chair board" (the day holding the most
        sessions), "course page" and "check-in page" (signed with the app's SECRET_KEY, so the app under
        test must share it), with counts and the seconds it took."""
        from clinic.models import TreatmentSession
        from clinic.services.casework import checkins
        from clinic.services.courses import admin, booking, chairs, links, proposals
        from clinic.services.courses.errors import CourseError

        started = clock.perf_counter()
        now = datetime.now(UTC)
        staff_id, admin_id = self.staff_ids[0], self.staff_ids[1]
        today = now.astimezone(TZ).date()
        skipped = 0
        with self.app.app_context():
            names = {chair.name for chair in chairs.all_chairs()}
            number = 1
            while len(names) < CHAIRS:
                name = f"Chair {number}"
                if name not in names:
                    admin.save_chair(None, name, True, actor_id=admin_id, now=now, confirmed=False)
                    names.add(name)
                number += 1
            request_ids = db.session.scalars(
                sa.select(ConsultationRequest.id)
                .where(ConsultationRequest.status == RequestStatus.COMPLETED)
                .order_by(ConsultationRequest.id.desc())
                .limit(count)
            ).all()
            booked = []
            for k, request_id in enumerate(request_ids):
                # Five courses start on each of the days from tomorrow, at six preferred times in turn: the
                # pattern's sessions (2+ days apart) then overlap, and the chairs fill over three weeks.
                start = today + timedelta(days=1 + k // 5)
                preferred = COURSE_TIMES[k % len(COURSE_TIMES)]
                plan = proposals.propose(request_id, "infusion", start, preferred, now=now)
                if plan.proposal is None or not plan.proposal.complete or not plan.bookable:
                    skipped += 1
                    continue
                try:
                    course = booking.book_course(
                        request_id, "infusion", plan.proposal.starts, actor_id=staff_id, now=now
                    )
                except CourseError:
                    skipped += 1
                    continue
                booked.append(course.id)
            if not booked:
                raise RuntimeError(f"no treatment course could be booked ({skipped} refused)")
            first = db.session.get(TreatmentCourse, booked[0])
            course_path = f"/courses/{links.course_token(first)}"
            check_in = checkins.send(first.request_id, actor_id=staff_id, now=now)
            check_in_path = f"/check-ins/{checkins.token_for(check_in)}"
            starts = db.session.scalars(
                sa.select(TreatmentSession.starts_at).where(TreatmentSession.course_id.in_(booked))
            ).all()
            per_day = Counter(s.astimezone(TZ).date() for s in starts)
            board_day, on_board = min(per_day.items(), key=lambda item: (-item[1], item[0]))
        return {
            "paths": {
                "chair board": f"/staff/chairs?date={board_day.isoformat()}",
                "course page": course_path,
                "check-in page": check_in_path,
            },
            "chairs": len(names),
            "courses": len(booked),
            "skipped": skipped,
            "sessions": len(starts),
            "board_day": board_day,
            "board_sessions": on_board,
            "seconds": clock.perf_counter() - started,
        }

    def _rows(self, first: int, last: int) -> tuple[list, list, list, list, list]:
        requests, bookings, claims, notes, audits = [], [], [], [], []
        rng, now = self.rng, self.now
        for i in range(first, last):
            starts_at, seat = self.placement(i)
            created_at = min(starts_at - timedelta(hours=rng.randint(6, 24 * 21)), now - timedelta(minutes=5))
            answers, priority, conditions = self._screening(rng)
            future = starts_at > now
            if self.all_active:
                status = RequestStatus.SCHEDULED if future else RequestStatus.COMPLETED
            elif future:
                status = rng.choices(
                    (
                        RequestStatus.NEW,
                        RequestStatus.CONTACTED,
                        RequestStatus.SCHEDULED,
                        RequestStatus.CANCELLED,
                    ),
                    (45, 25, 22, 8),
                )[0]
            else:
                status = rng.choices(
                    (
                        RequestStatus.COMPLETED,
                        RequestStatus.NO_SHOW,
                        RequestStatus.CANCELLED,
                        RequestStatus.DECLINED,
                    ),
                    (70, 8, 12, 10),
                )[0]
            active = status not in (RequestStatus.CANCELLED, RequestStatus.DECLINED)
            first_name, last_name = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first_name}.{last_name}.{i}@example.com".lower().replace("'", "")
            phone = f"+1212555{i % 10_000:04d}"
            staff = self.staff_ids
            score = sum(answers)
            trials = rng.randint(0, 6)
            touched = min(created_at + timedelta(hours=rng.randint(1, 72)), now)
            request_id = i + 1
            requests.append(
                {
                    "id": request_id,
                    "reference": reference(i),
                    "public_id": f"{rng.getrandbits(128):032x}",
                    "status": status,
                    "priority": priority,
                    "priority_rank": priority.rank,
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": email,
                    "phone": phone,
                    **lookup_values(first_name=first_name, last_name=last_name, email=email, phone=phone),
                    "date_of_birth": date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 55)),
                    "preferred_contact": rng.choice(list(PreferredContact)),
                    "phq9_answers": answers,
                    "phq9_score": score,
                    "phq9_band": band(score),
                    "antidepressant_trials": trials,
                    "treatment_resistant": trials >= 2,
                    "conditions": conditions,
                    "modality": rng.choice(list(Modality)),
                    "medications": "",
                    "notes": "",
                    "consent_version": "2026-01",
                    "consented_at": created_at,
                    "created_at": created_at,
                    "updated_at": touched,
                    "assigned_to_id": rng.choice(staff) if rng.random() < 0.6 else None,
                    "appointment_at": starts_at if active else None,
                }
            )
            bookings.append(
                {
                    "id": request_id,
                    "request_id": request_id,
                    "starts_at": starts_at,
                    "ends_at": starts_at + SLOT,
                    "created_at": created_at,
                    "cancelled_at": None if active else touched,
                    "cancelled_by": None if active else rng.choice(("patient", "staff")),
                    "cancelled_by_staff_id": None,
                    "reminder_sent_at": None,
                    "flagged_at": None,
                    "flag_reason": None,
                }
            )
            if active:
                claims.append(
                    {"id": request_id, "starts_at": starts_at, "seat": seat, "booking_id": request_id}
                )
            actor = rng.choice(staff)
            audits.append(self._audit("request.view", actor, request_id, touched, None))
            if status != RequestStatus.NEW:
                audits.append(
                    self._audit(
                        "request.status",
                        actor,
                        request_id,
                        touched,
                        {"from": "new", "to": status.value},
                    )
                )
            if rng.random() < 0.5:
                self.notes += 1
                notes.append(
                    {
                        "id": self.notes,
                        "request_id": request_id,
                        "author_id": actor,
                        "body": rng.choice(NOTE_BODIES),
                        "created_at": touched,
                    }
                )
                audits.append(
                    self._audit("request.note", actor, request_id, touched, {"note_id": self.notes})
                )
        return requests, bookings, claims, notes, audits

    def _audit(self, action: str, actor: int, request_id: int, at: datetime, details: dict | None) -> dict:
        self.audits += 1
        return {
            "id": self.audits,
            "at": at,
            "actor_id": actor,
            "action": action,
            "record_type": "request",
            "record_id": request_id,
            "details": details,
        }

    @staticmethod
    def _screening(rng: random.Random) -> tuple[list[int], Priority, list[str]]:
        """PHQ-9 answers and conditions consistent with the triage rule (urgent 4%, high ~25%)."""
        roll = rng.random()
        conditions: list[str] = []
        if roll < 0.04:
            answers = [rng.randint(1, 3) for _ in range(8)] + [rng.randint(1, 3)]
            return answers, Priority.URGENT, conditions
        answers = [rng.randint(0, 3) for _ in range(8)] + [0]
        if roll < 0.16:
            conditions = rng.sample(CONDITIONS, rng.randint(1, 2))
        if sum(answers) >= 20 or conditions:
            return answers, Priority.HIGH, conditions
        return answers, Priority.ROUTINE, conditions


def steps(target: int) -> Iterator[int]:
    """The cost curve's sizes up to `target`: 1,000, 10,000, 100,000 (or fewer for a smaller run)."""
    size = 1_000
    while size < target:
        yield size
        size *= 10
    yield target


class LayoutDataset(Dataset):
    """The peer comparison's bookings (bench/layout.py): `count` active ones from tomorrow."""

    def __init__(self, app: Flask, *, target: int, tomorrow: date, count: int) -> None:
        starts = [
            datetime.combine(day, start, tzinfo=TZ).astimezone(UTC)
            for day, start, _ in layout.appointments(tomorrow, count)
        ]
        self.placements = []
        seats: dict[datetime, int] = {}
        for starts_at in starts:
            seats[starts_at] = seats.get(starts_at, 0) + 1
            self.placements.append((starts_at, seats[starts_at]))
        super().__init__(app, target=target, all_active=True)
        self.capacity = max(seats.values(), default=1)

    def placement(self, i: int) -> tuple[datetime, int]:
        return self.placements[i]
