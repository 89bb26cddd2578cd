"""Column types shared by the models."""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

from clinic import keys
from clinic.crypto.keyring import DIGEST_HEX, KINDS, decode, encode


def enum_column(enum: type[Enum], name: str, *, length: int = 24) -> sa.Enum:
    """A portable enum: a short VARCHAR with a CHECK constraint named `name`, storing the members' values."""
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=True,
        name=name,
        length=length,
        values_callable=lambda e: [m.value for m in e],
    )


class UTCDateTime(TypeDecorator):
    """An aware datetime stored in UTC. Naive datetimes are refused: they are always a bug here."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)  # one format, so equal instants compare equal as text
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


SEAL_COLUMN = "seal"
SEAL_LENGTH = 32  # hex digits: 128 random bits
SEPARATOR = "/"  # between the row's seal and the token, as an encrypted column is read (never in either)


def new_seal() -> str:
    """A row's seal: random, written with the row, never changed, bound into each of its encrypted values."""
    return secrets.token_hex(SEAL_LENGTH // 2)


@dataclass(frozen=True, slots=True, eq=False)  # never equal to a plain value: always written
class Bound:
    """A value to write into an encrypted column, with the seal of the row it goes to.

    The models' flush wraps what they write (clinic/models/sealed.py); a write through Core, with no model
    object, passes Bound values itself (`sealed.bound_row`, `sealed.bound_values`).
    """

    value: Any
    seal: str


class Encrypted(TypeDecorator):
    """A health or contact field, encrypted at rest (AES-256-GCM, clinic/crypto/keyring.py).

    `kind` is what the column holds in Python: "text" (str), "date", "int" or "json" (lists, dicts).
    Every value is bound, as associated data, to its column and to its row:
    - `context` names the column where the values were first written and must never change (a renamed
      column keeps its old context, or its values no longer decrypt);
    - the row's `seal` column (clinic/models/sealed.py SealedRow: random, set when the object is created,
      never changed) binds each value to its row.
    A value copied into another column, or into the same column of another row, fails to decrypt
    (Undecryptable). Every value is sealed with the newest key of CLINIC_DATA_KEYS; `flask --app clinic
    rotate-keys` re-seals the older ones.

    Reading: the column is selected together with its row's seal (`column_expression`: `seal || '/' ||
    column`, in SQL), so an entity, a joined or aliased one, or a bare column in a select() decrypts with
    nothing more to do. Writing: the value bound must be a `Bound` (the models' flush makes them).

    Encrypted values cannot be compared, sorted or searched in SQL (each encryption of the same value
    differs): such an expression raises at once. Search uses a BlindIndex column instead.
    """

    impl = sa.Text
    cache_ok = True

    def __init__(self, kind: str, context: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        super().__init__()
        self.kind = kind
        self.context = context

    def process_bind_param(self, value: Any, dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Bound):
            raise TypeError(
                f"{self.context} is encrypted and bound to its row: write it through its model, or as "
                "Bound(value, row_seal) (clinic/models/sealed.py bound_row)"
            )
        if value.value is None:
            return None
        return keys.current().seal(encode(self.kind, value.value), self.context, value.seal)

    def column_expression(self, column):
        """The stored token, read with its row's seal in front (`<seal>/<token>`; NULL stays NULL)."""
        table = getattr(column, "table", None)
        seal = table.c.get(SEAL_COLUMN) if table is not None else None
        if seal is None:
            raise TypeError(
                f"{self.context} is encrypted: select it as a column of its table (its row's seal is read "
                "with it)"
            )
        separator = sa.literal_column(f"'{SEPARATOR}'", sa.Text)
        expression = sa.type_coerce(seal, sa.Text) + separator + sa.type_coerce(column, sa.Text)
        return sa.type_coerce(expression, self)

    def process_result_value(self, value: str | None, dialect) -> Any:
        if value is None:
            return None
        seal, _, token = value.partition(SEPARATOR)
        return decode(self.kind, keys.current().open(token, self.context, seal))

    class comparator_factory(TypeDecorator.Comparator, sa.Text.Comparator):
        ALLOWED = frozenset({operators.is_, operators.is_not})

        def operate(self, op, *other, **kwargs):
            if op not in self.ALLOWED:
                raise TypeError(
                    f"{self.expr} is encrypted: it cannot be compared, sorted or searched in SQL "
                    "(search its blind index)"
                )
            return super().operate(op, *other, **kwargs)

        def reverse_operate(self, op, other, **kwargs):
            return self.operate(op, other, **kwargs)


class BlindIndex(TypeDecorator):
    """The keyed hash of a normalised value, for exact search of an encrypted field (CLINIC_INDEX_KEY).

    The value bound is hashed: both what is stored and what a query compares with, so
    `column == normalised_value` just works. `purpose` keeps the digests of different columns apart. What
    is read back is the digest: the value itself cannot be recovered from it.
    """

    impl = sa.String
    cache_ok = True

    def __init__(self, purpose: str, length: int = DIGEST_HEX) -> None:
        super().__init__(length)
        self.purpose = purpose
        self.length = length

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        return keys.current().digest(self.purpose, value)
