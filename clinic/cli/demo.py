"""Demo data for `flask --app clinic seed-demo`: logins to try the dashboard, and weeks of fictional requests.

Everything is fictional: names from a fixed list, emails at example.com/.org, phone numbers in the
555-01xx range. Bookings sit on real slots of the clinic's hours and hold their seats through SlotClaim
rows, so capacity and the agenda behave as they would with real patients. Safe to run twice: the demo
logins keep their published password and authenticator key (README; outside production only), and requests
are only added to a database that has none yet.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from clinic.cli import demo_checkins, demo_courses
from clinic.extensions import db
from clinic.models import AuditEvent, Booking, Closure, ConsultationRequest, Note, SlotClaim, StaffUser
from clinic.scheduling import Schedule, SlotUnavailable
from clinic.services import unit_of_work
from clinic.services.accounts import two_factor
from clinic.services.accounts.passwords import hash_password, verify_password
from clinic.services.booking.intake import CONSENT_VERSION
from clinic.services.booking.references import new_public_id, new_reference
from clinic.services.booking.seats import claim_seat
from clinic.services.rules.read import clinic_info, schedule_for
from clinic.timeutil import utcnow
from clinic.triage.enums import Modality, PreferredContact, RequestStatus, Role
from clinic.triage.screening import CONDITIONS, screen

ADMIN = ("admin@clinic.example", "Alex Morgan (demo admin)", Role.ADMIN)
STAFF = [
    ("staff@clinic.example", "Sam Rivera (demo nurse)", Role.STAFF),
    ("priya.nair@clinic.example", "Priya Nair (demo nurse)", Role.STAFF),
]
FIRST_NAMES = [
    "Avery",
    "Blake",
    "Camila",
    "Dario",
    "Elif",
    "Farah",
    "Gideon",
    "Hana",
    "Ines",
    "Jonah",
    "Keiko",
    "Lena",
    "Marcus",
    "Noor",
    "Oskar",
    "Paloma",
    "Quentin",
    "Rosa",
    "Soren",
    "Talia",
    "Umar",
    "Vera",
    "Wren",
    "Yusuf",
    "Zoe",
    "Amélie",
    "Björn",
    "Chloé",
    "Siobhán",
    "Mateo",
]
LAST_NAMES = [
    "Abernathy",
    "Brightwater",
    "Castellano",
    "Delacroix",
    "Eastwood",
    "Fairbanks",
    "Galloway",
    "Holloway",
    "Ishikawa",
    "Jablonski",
    "Kowalczyk",
    "Lindqvist",
    "Marchetti",
    "Northcott",
    "O'Donnell",
    "Pemberton",
    "Quintero",
    "Rosenthal",
    "Szabo",
    "Thistlewood",
    "Underhill",
    "Valdés",
    "Whitlock",
    "Yamamoto",
    "Zielinski",
]
MEDICATIONS = [
    "",
    "",
    "Sertraline 100 mg daily",
    "Escitalopram 10 mg; bupropion 150 mg",
    "Venlafaxine 150 mg, trazodone 50 mg at night",
    "Lamotrigine 100 mg",
    "None at the moment",
]
PATIENT_NOTES = [
    "",
    "",
    "Prefer mornings, I work afternoons.",
    "I tried therapy for two years; looking for something else.",
    "Please call after 5 pm if possible.",
    "My psychiatrist suggested I ask about ketamine.",
]
STAFF_NOTES = [
    "Left a voicemail; will try again tomorrow morning.",
    "Spoke with the patient: medication list confirmed, BP history to review with Dr. Chen.",
    "Patient asked about costs and insurance; sent the information sheet by email.",
    "Confirmed the appointment by phone. Prefers text reminders.",
    "Clinician review needed before scheduling the first session.",
]


@dataclass(frozen=True, slots=True)
class _Plan:
    created_ago: timedelta
    band_score: int
    urgent: bool = False
    conditions: tuple[str, ...] = ()


# The demo logins, the same on every run so a developer's password manager and authenticator app keep working
# (README lists them). Published, so only ever used outside production: a production start gets fresh random
# ones (seed_demo(stable=False)).
DEMO_LOGINS = {
    ADMIN[0]: ("northfield-demo-admin", "NORTHFIELDDEMOADMINKEYTWOFACTORA"),
    STAFF[0][0]: ("northfield-demo-staff", "NORTHFIELDDEMOSTAFFKEYTWOFACTORS"),
    STAFF[1][0]: ("northfield-demo-nurse", "NORTHFIELDDEMONURSEKEYTWOFACTORP"),
}


def _password() -> str:
    """A fresh random password, printed once: long enough for the policy and never a common one."""
    return f"demo-{secrets.token_urlsafe(12)}"


def _account(email: str, name: str, role: Role, now: datetime, *, stable: bool = True) -> tuple[str, str]:
    """A demo login with its password and an authenticator key already set up (both printed), so the demo
    signs in at once: type the key into an app, or run `flask --app clinic demo-codes`.

    `stable`: the published demo password and key, left as they are when the account already has them (its
    sessions go on); otherwise a fresh random password and key."""
    password, secret = DEMO_LOGINS[email] if stable else (_password(), two_factor.new_secret())
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
    if user is None:
        user = StaffUser(email=email, name=name, role=role, password_hash=hash_password(password))
        db.session.add(user)
    elif not (stable and verify_password(user.password_hash, password)):
        user.password_hash = hash_password(password)
        user.session_version += 1
    user.is_active = True
    if user.totp_secret != secret or not user.has_two_factor:
        user.totp_secret = secret
        user.two_factor_enabled_at = now
        user.totp_last_step = None
    return password, secret


def demo_codes(now: datetime) -> list[str]:
    """The code each demo login's authenticator shows at `now` (demo accounts only)."""
    lines = []
    for email, _, role in (ADMIN, *STAFF):
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        if user is not None and user.has_two_factor and user.totp_secret:
            lines.append(f"{role.value} {email}: {two_factor.current_code(user.totp_secret, now)}")
    db.session.rollback()
    return lines


def _answers(rng: random.Random, score: int, *, urgent: bool) -> list[int]:
    """Nine answers adding up to about `score`, item 9 above 0 only when urgent."""
    answers = [0] * 9
    if urgent:
        answers[8] = rng.choice([1, 1, 2, 3])
    remaining = max(0, score - answers[8])
    while remaining > 0:
        i = rng.randrange(8)
        if answers[i] < 3:
            answers[i] += 1
            remaining -= 1
        elif all(a == 3 for a in answers[:8]):
            break
    return answers


def _plans(rng: random.Random) -> list[_Plan]:
    scores = [3, 7, 8, 11, 12, 13, 14, 16, 17, 18, 19, 21, 23, 25]
    plans = [
        _Plan(timedelta(hours=1, minutes=20), 22, urgent=True),
        _Plan(timedelta(hours=6), 18, urgent=True),  # past its 4-hour target
        _Plan(timedelta(days=9), 20, urgent=True),
        _Plan(timedelta(days=30), 16, urgent=True),
        _Plan(timedelta(hours=30), 12, conditions=("hypertension",)),
        _Plan(timedelta(days=4), 9, conditions=("heart_disease", "substance_use")),
    ]
    for _ in range(38):
        conditions = tuple(rng.sample(sorted(CONDITIONS), 1)) if rng.random() < 0.15 else ()
        ago = timedelta(
            days=rng.choice([0, 0, 1, 1, 2, 3, 5]) if rng.random() < 0.3 else rng.uniform(3, 38),
            hours=rng.uniform(0, 10),
        )
        plans.append(_Plan(ago, rng.choice(scores), conditions=conditions))
    return plans


def _book(
    rng: random.Random, schedule: Schedule, request: ConsultationRequest, capacity: int
) -> Booking | None:
    """Hold a real slot, 1–12 days after the request, at least the minimum notice after it was made."""
    earliest = request.created_at + timedelta(hours=max(2, schedule.rules.min_notice_hours))
    first_day = earliest.astimezone(schedule.tz).date()
    for offset in rng.sample(range(1, 13), 12):
        slots = [s for s in schedule.grid(first_day + timedelta(days=offset)) if s.starts_at >= earliest]
        rng.shuffle(slots)
        for slot in slots[:6]:
            booking = Booking(
                request=request, starts_at=slot.starts_at, ends_at=slot.ends_at, created_at=request.created_at
            )
            db.session.add(booking)
            db.session.flush()
            try:
                claim_seat(booking, capacity=capacity)
            except SlotUnavailable:
                db.session.delete(booking)
                db.session.flush()
                continue
            return booking
    return None


# Statuses dealt in turn rather than drawn, so every status shows up whatever day the demo is seeded.
PAST_STATUSES = (
    RequestStatus.COMPLETED,
    RequestStatus.NO_SHOW,
    RequestStatus.COMPLETED,
    RequestStatus.CANCELLED,
    RequestStatus.COMPLETED,
    RequestStatus.DECLINED,
    RequestStatus.COMPLETED,
)
FUTURE_STATUSES = (
    RequestStatus.SCHEDULED,
    RequestStatus.CONTACTED,
    RequestStatus.SCHEDULED,
    RequestStatus.NEW,
    RequestStatus.CANCELLED,
    RequestStatus.CONTACTED,
)


def _status_for(counter: dict[str, int], plan: _Plan, booking: Booking, now: datetime) -> RequestStatus:
    if plan.urgent and plan.created_ago < timedelta(days=1):
        return RequestStatus.NEW  # waiting on the queue: the one a nurse must see first
    if plan.created_ago < timedelta(days=2):
        kind, cycle = "recent", (RequestStatus.NEW, RequestStatus.NEW, RequestStatus.CONTACTED)
    elif booking.starts_at < now:
        kind, cycle = "past", PAST_STATUSES
    else:
        kind, cycle = "future", FUTURE_STATUSES
    counter[kind] = counter.get(kind, -1) + 1
    return cycle[counter[kind] % len(cycle)]


def _training_closure(now: datetime, tz) -> None:
    """A staff-training afternoon next week, so the agenda shows how closures look."""
    day = now.astimezone(tz).date() + timedelta(days=7)
    while day.weekday() != 2:  # a Wednesday
        day += timedelta(days=1)
    exists = db.session.scalar(select(Closure.id).where(Closure.start_date == day))
    if exists is None:
        db.session.add(
            Closure(
                start_date=day,
                end_date=day,
                start_time=time(13, 0),
                end_time=time(17, 30),
                reason="Staff training afternoon",
            )
        )
        db.session.flush()


def _requests(now: datetime, staff_ids: list[int]) -> int:
    # A fixed seed: the same fictional data every time, nothing secret.
    rng = random.Random(20261121)  # nosec B311
    info = clinic_info()
    tz = info.rules.tz
    _training_closure(now, tz)
    today = now.astimezone(tz).date()
    schedule = schedule_for(today - timedelta(days=45), today + timedelta(days=30))
    flagged = False
    made = 0
    dealt: dict[str, int] = {}
    for index, plan in enumerate(sorted(_plans(rng), key=lambda p: p.created_ago, reverse=True)):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        answers = _answers(rng, plan.band_score, urgent=plan.urgent)
        trials = rng.choice([0, 1, 2, 2, 3, 4, 5, 6])
        result = screen(answers, trials, plan.conditions)
        created = now - plan.created_ago
        local_part = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
        request = ConsultationRequest(
            reference=new_reference(),
            public_id=new_public_id(),
            priority=result.priority,
            priority_rank=result.priority.rank,
            first_name=first,
            last_name=last,
            email=f"{local_part}{index}@example.{'com' if index % 3 else 'org'}",
            phone=f"+1212555{100 + index:04d}",
            date_of_birth=date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28)),
            preferred_contact=rng.choice(list(PreferredContact)),
            phq9_answers=list(answers),
            phq9_score=result.score,
            phq9_band=result.band,
            antidepressant_trials=trials,
            treatment_resistant=result.treatment_resistant,
            conditions=list(plan.conditions),
            modality=rng.choice(list(Modality)),
            medications=rng.choice(MEDICATIONS),
            notes=rng.choice(PATIENT_NOTES),
            consent_version=CONSENT_VERSION,
            consented_at=created,
            created_at=created,
            updated_at=created,
        )
        db.session.add(request)
        db.session.flush()
        db.session.add(
            AuditEvent(at=created, action="request.create", record_type="request", record_id=request.id)
        )
        booking = _book(rng, schedule, request, info.capacity)
        if booking is None:
            db.session.delete(request)
            db.session.flush()
            continue
        status = _status_for(dealt, plan, booking, now)
        request.status = status
        if status in (RequestStatus.CANCELLED, RequestStatus.DECLINED):
            booking.cancelled_at = min(now, booking.starts_at - timedelta(hours=rng.randint(3, 48)))
            booking.cancelled_at = max(booking.cancelled_at, created)
            booking.cancelled_by = (
                "staff" if status == RequestStatus.DECLINED else rng.choice(["patient", "staff"])
            )
            db.session.execute(SlotClaim.__table__.delete().where(SlotClaim.booking_id == booking.id))
        else:
            request.appointment_at = booking.starts_at
            if not flagged and booking.starts_at > now + timedelta(days=2):
                booking.flagged_at = now
                booking.flag_reason = "Outside the opening hours after an admin change"
                flagged = True
        if status != RequestStatus.NEW or rng.random() < 0.3:
            request.assigned_to_id = rng.choice(staff_ids)
        if status != RequestStatus.NEW:
            actor = request.assigned_to_id or staff_ids[0]
            at = min(now, created + timedelta(hours=rng.randint(2, 30)))
            note = Note(request_id=request.id, author_id=actor, body=rng.choice(STAFF_NOTES), created_at=at)
            db.session.add(note)
            db.session.add(
                AuditEvent(
                    at=at,
                    actor_id=actor,
                    action="request.status",
                    record_type="request",
                    record_id=request.id,
                    details={"from": "new", "to": status.value},
                )
            )
        made += 1
    return made


@unit_of_work()
def seed_demo(*, stable: bool = True) -> list[str]:
    """Create (or refresh) the demo logins and, in an empty database, a few weeks of requests.

    Returns the lines to print, with the logins first. One transaction: nothing is kept if it fails.
    `stable`: the published demo logins (development); otherwise fresh random ones (a production start).
    """
    now = utcnow()
    admin_password, admin_secret = _account(*ADMIN, now, stable=stable)
    staff_password, staff_secret = _account(*STAFF[0], now, stable=stable)
    _account(*STAFF[1], now, stable=stable)
    db.session.flush()
    lines = [
        f"Demo admin: {ADMIN[0]} / {admin_password}",
        f"  two-factor key: {admin_secret} (code now: {two_factor.current_code(admin_secret, now)})",
        f"Demo staff: {STAFF[0][0]} / {staff_password}",
        f"  two-factor key: {staff_secret} (code now: {two_factor.current_code(staff_secret, now)})",
        "Sign-in asks for a 6-digit code: add a key to an authenticator app, or run "
        "`flask --app clinic demo-codes` for the codes of the moment.",
        'These demo logins stay the same on every run (README, "Demo logins").'
        if stable
        else "Production: these demo logins are random and printed only now.",
    ]
    if db.session.scalar(select(func.count()).select_from(ConsultationRequest)):
        lines.append("Requests already present: none added.")
        return lines
    staff_ids = list(db.session.scalars(select(StaffUser.id).where(StaffUser.role == Role.STAFF)))
    made = _requests(now, staff_ids)
    lines.append(f"Added {made} demo requests across the last weeks and the weeks ahead.")
    courses = demo_courses.seed_courses(now, staff_ids)
    lines.append(f"Added {courses} demo treatment courses: see the chair board at /staff/chairs.")
    answered = demo_checkins.seed_check_ins(now)
    lines.append(
        f"Added {answered} answered demo check-ins: each course's request page shows its trajectory."
    )
    return lines
