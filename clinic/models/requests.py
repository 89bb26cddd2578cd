from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from clinic.crypto.lookup import email_key, name_key, phone_keys
from clinic.extensions import db
from clinic.models.sealed import SealedRow
from clinic.models.types import BlindIndex, Encrypted, UTCDateTime, enum_column
from clinic.timeutil import utcnow
from clinic.triage.enums import ContactOutcome, Modality, Phq9Band, PreferredContact, Priority, RequestStatus
from clinic.triage.workflow import queue_position

if TYPE_CHECKING:
    from clinic.models.bookings import Booking
    from clinic.models.staff import StaffUser


def lookup_values(
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> dict[str, str]:
    """The blind-index columns that follow the fields given, with the normalised values they hash.

    The model keeps them itself; a bulk insert through the table (bench/dataset.py, the migrations) adds
    `**lookup_values(first_name=..., ...)` to each row.
    """
    values: dict[str, str] = {}
    if first_name is not None:
        values["first_name_digest"] = name_key(first_name)
    if last_name is not None:
        values["last_name_digest"] = name_key(last_name)
    if email is not None:
        values["email_digest"] = email_key(email)
    if phone is not None:
        keys = phone_keys(phone)
        values |= {"phone_digest": keys.e164, "phone7_digest": keys.last7, "phone4_digest": keys.last4}
    return values


# The statuses still waiting for the clinic (workflow.OPEN_STATUSES), as SQL for the partial index.
OPEN_PREDICATE = "status IN ('new', 'contacted', 'scheduled', 'no_show')"


class ConsultationRequest(SealedRow, db.Model):
    """A prospective patient's request for an initial consultation, with the screening computed on submit."""

    __tablename__ = "consultation_requests"
    __table_args__ = (
        sa.Index("ix_requests_queue", "priority_rank", "queue_group", "queue_at", "id"),
        sa.Index("ix_requests_status_queue", "status", "priority_rank", "queue_group", "queue_at", "id"),
        # The default view, open requests in queue order, reads this (small) index from the start: its
        # cost follows the open workload, never the history of closed requests.
        sa.Index(
            "ix_requests_open_queue",
            "priority_rank",
            "queue_group",
            "queue_at",
            "id",
            postgresql_where=sa.text(OPEN_PREDICATE),
            sqlite_where=sa.text(OPEN_PREDICATE),
        ),
        # Covers the queue's 12-week overview (a range of created_at, grouped by priority and band), so it
        # reads the index alone.
        sa.Index("ix_requests_created", "created_at", "priority", "phq9_band"),
        sa.CheckConstraint("phq9_score BETWEEN 0 AND 27", name="phq9_score_range"),
        sa.CheckConstraint("antidepressant_trials BETWEEN 0 AND 20", name="trials_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(12), unique=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)  # signed into the manage link
    # Signed into the manage link too: a patient who asks for a fresh link bumps it, and every older link
    # stops working.
    link_version: Mapped[int] = mapped_column(default=1, server_default="1")
    status: Mapped[RequestStatus] = mapped_column(
        enum_column(RequestStatus, "request_status"), default=RequestStatus.NEW
    )
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, "priority"))
    priority_rank: Mapped[int] = mapped_column(
        sa.SmallInteger
    )  # Priority.rank, so the queue sorts on an index

    # Health and contact data are encrypted at rest (models/types.py Encrypted); score, band, priority,
    # status, reference and times stay in clear, so the queue sorts, filters and counts on them.
    first_name: Mapped[str] = mapped_column(Encrypted("text", "consultation_requests.first_name"))
    last_name: Mapped[str] = mapped_column(Encrypted("text", "consultation_requests.last_name"))
    email: Mapped[str] = mapped_column(Encrypted("text", "consultation_requests.email"))
    phone: Mapped[str] = mapped_column(Encrypted("text", "consultation_requests.phone"))  # E.164
    date_of_birth: Mapped[date] = mapped_column(Encrypted("date", "consultation_requests.date_of_birth"))
    preferred_contact: Mapped[PreferredContact] = mapped_column(
        enum_column(PreferredContact, "preferred_contact")
    )
    # The language the patient used ("en" or "es"; a CHECK in migration 0013): every email to them is in it.
    language: Mapped[str] = mapped_column(sa.String(5), default="en", server_default="en")

    # The nine answers, items 1 to 9, in one encrypted list.
    phq9_answers: Mapped[list[int]] = mapped_column(Encrypted("json", "consultation_requests.phq9_answers"))
    phq9_score: Mapped[int] = mapped_column(sa.SmallInteger)
    phq9_band: Mapped[Phq9Band] = mapped_column(enum_column(Phq9Band, "phq9_band"))
    # The PHQ-9's closing question (how difficult the problems make daily life), 0-3: optional and never
    # scored. None when the patient skipped it, and for requests made before it was asked.
    # The unscored closing question, 0-3 (the form checks the range: an encrypted value has no CHECK).
    phq9_difficulty: Mapped[int | None] = mapped_column(
        Encrypted("int", "consultation_requests.phq9_difficulty")
    )
    antidepressant_trials: Mapped[int] = mapped_column(sa.SmallInteger)
    treatment_resistant: Mapped[bool]
    conditions: Mapped[list[str]] = mapped_column(
        Encrypted("json", "consultation_requests.conditions"), default=list
    )
    modality: Mapped[Modality] = mapped_column(enum_column(Modality, "modality"))
    medications: Mapped[str] = mapped_column(
        Encrypted("text", "consultation_requests.medications"), default=""
    )
    notes: Mapped[str] = mapped_column(Encrypted("text", "consultation_requests.notes"), default="")

    # Blind indexes for exact search (crypto/lookup.py says what each hashes), kept by `_keep_lookups`
    # whenever a name, the email or the phone is set.
    first_name_digest: Mapped[str] = mapped_column(BlindIndex("consultation_requests.first_name"), index=True)
    last_name_digest: Mapped[str] = mapped_column(BlindIndex("consultation_requests.last_name"), index=True)
    email_digest: Mapped[str] = mapped_column(BlindIndex("consultation_requests.email"), index=True)
    phone_digest: Mapped[str] = mapped_column(BlindIndex("consultation_requests.phone"), index=True)
    phone7_digest: Mapped[str] = mapped_column(BlindIndex("consultation_requests.phone7"), index=True)
    phone4_digest: Mapped[str] = mapped_column(BlindIndex("consultation_requests.phone4"), index=True)

    consent_version: Mapped[str] = mapped_column(sa.String(20))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    assigned_to_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_users.id", ondelete="SET NULL"), index=True
    )
    # The start of the active booking, kept by the booking services so the queue sorts and filters
    # by slot time without a join. None when the request has no active booking.
    appointment_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    # When the patient last cancelled their booking themselves, until staff next move the request. An
    # urgent (or high) request stays open after it (workflow.status_after_patient_cancel), marked so.
    patient_cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The day staff plan to call the patient again, set with each contact logged (a clinic-local date).
    follow_up_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    # The queue's order within a priority (workflow.queue_position), kept on every insert and update so
    # ix_requests_open_queue serves the order: never NULL once written.
    queue_group: Mapped[int] = mapped_column(sa.SmallInteger, server_default=sa.text("0"))
    queue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    bookings: Mapped[list["Booking"]] = relationship(back_populates="request", order_by="Booking.starts_at")
    notes_list: Mapped[list["Note"]] = relationship(back_populates="request", order_by="Note.created_at")
    contacts: Mapped[list["ContactAttempt"]] = relationship(
        back_populates="request", order_by="ContactAttempt.id", passive_deletes=True
    )
    assigned_to: Mapped["StaffUser | None"] = relationship()

    @validates("first_name", "last_name", "email", "phone")
    def _keep_lookups(self, key: str, value: str) -> str:
        for column, normalised in lookup_values(**{key: value}).items():
            setattr(self, column, normalised)
        return value

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def active_booking(self) -> "Booking | None":
        return next((b for b in self.bookings if b.cancelled_at is None), None)


@sa.event.listens_for(ConsultationRequest, "before_insert")
@sa.event.listens_for(ConsultationRequest, "before_update")
def _keep_queue_position(_mapper, _connection, target: ConsultationRequest) -> None:
    """Write the request's place in the queue with every change of status, slot or cancellation mark."""
    if target.created_at is None:
        target.created_at = utcnow()
    target.queue_group, target.queue_at = queue_position(
        target.status or RequestStatus.NEW,
        patient_cancelled=target.patient_cancelled_at is not None,
        created_at=target.created_at,
        appointment_at=target.appointment_at,
    )


class Note(SealedRow, db.Model):
    """A staff note on a request, signed by its author and timestamped."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation_requests.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Encrypted("text", "notes.body"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[ConsultationRequest] = relationship(back_populates="notes_list")
    author: Mapped["StaffUser | None"] = relationship()


class ContactAttempt(SealedRow, db.Model):
    """One attempt to reach the patient (a call, a voicemail, an email or a text), with its outcome."""

    __tablename__ = "contact_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation_requests.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    outcome: Mapped[ContactOutcome] = mapped_column(enum_column(ContactOutcome, "contact_outcome"))
    # What was said or left, encrypted like the staff notes; None when nothing was written.
    note: Mapped[str | None] = mapped_column(Encrypted("text", "contact_attempts.note"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[ConsultationRequest] = relationship(back_populates="contacts")
    author: Mapped["StaffUser | None"] = relationship()


class RequestTally(db.Model):
    """How many requests there are per status and priority, so the queue counts without reading them all.

    Kept by database triggers on consultation_requests (migration 0002), in the same transaction as every
    insert, status or priority change and delete, whatever writes it. One row per pair, created up front.
    """

    __tablename__ = "request_tallies"

    status: Mapped[RequestStatus] = mapped_column(
        enum_column(RequestStatus, "tally_status"), primary_key=True
    )
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, "tally_priority"), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)
    # How many times n has changed (never decreases): tells a reader that something moved even when the
    # counts come back to the same values.
    changes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
