"""Re-seal every encrypted value still under an older data key (`flask --app clinic rotate-keys`).

Resumable: it reads only rows holding a value whose key id is not the newest one, a batch at a time, one
transaction per batch, so a run stopped halfway leaves every row readable and the next run carries on. Once
it has finished, the older keys can be removed from CLINIC_DATA_KEYS.

Each value is re-sealed for the same column and row (the row's seal, which never changes), so the binding of
models/types.py Encrypted holds after a rotation. A row changed by the app between the read and the write of
its batch is left as the app wrote it (the update checks the values it read): the app's write sealed under
the newest key already, and any value still old is picked up by the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import func, select

from clinic import keys
from clinic.crypto.keyring import Undecryptable
from clinic.extensions import db
from clinic.models.types import SEAL_COLUMN, Encrypted
from clinic.services import unit_of_work

BATCH = 500


class RotationFailed(RuntimeError):
    """A stored value does not decrypt with any configured key (the message names table, row id and key)."""


@dataclass(frozen=True, slots=True)
class SealedTable:
    table: sa.Table
    columns: tuple[sa.Column, ...]  # its Encrypted columns

    def raw(self, column: sa.Column) -> sa.ColumnElement[str]:
        """The stored token, as text (no decryption, and comparable)."""
        return sa.type_coerce(column, sa.Text)

    def stale(self, newest: str) -> sa.ColumnElement[bool]:
        """Rows with at least one value sealed under another key than `newest`."""
        return sa.or_(
            *(
                sa.and_(
                    column.is_not(None), sa.not_(self.raw(column).startswith(f"{newest}:", autoescape=True))
                )
                for column in self.columns
            )
        )


def sealed_tables() -> list[SealedTable]:
    """Every table with an Encrypted column, from the models (so a new encrypted column is rotated too)."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = tuple(c for c in table.columns if isinstance(c.type, Encrypted))
        if columns:
            found.append(SealedTable(table, columns))
    return found


def pending() -> int:
    """How many rows still hold a value under an older key (one count per encrypted table)."""
    newest = keys.current().newest
    with unit_of_work():
        return sum(
            db.session.scalar(select(func.count()).select_from(t.table).where(t.stale(newest))) or 0
            for t in sealed_tables()
        )


def rotate(*, batch: int = BATCH, progress: Callable[[int], None] | None = None) -> int:
    """Re-seal every stale row under the newest key; return how many rows were re-sealed."""
    keyring = keys.current()
    done = 0
    for sealed in sealed_tables():
        table, last_id = sealed.table, 0
        guard = [sa.func.coalesce(sealed.raw(c), "") == sa.bindparam(f"old_{c.name}") for c in sealed.columns]
        update = (
            table.update()
            .where(table.c.id == sa.bindparam("row_id"), *guard)
            .values({c.name: sa.bindparam(f"new_{c.name}", type_=sa.Text) for c in sealed.columns})
        )
        while True:
            with unit_of_work():
                rows = db.session.execute(
                    select(
                        table.c.id,
                        table.c[SEAL_COLUMN],
                        *(sealed.raw(c).label(c.name) for c in sealed.columns),
                    )
                    .where(table.c.id > last_id, sealed.stale(keyring.newest))
                    .order_by(table.c.id)
                    .limit(batch)
                ).all()
                if not rows:
                    break
                values = []
                for row in rows:
                    params = {"row_id": row.id}
                    for column in sealed.columns:
                        token = getattr(row, column.name)
                        params[f"old_{column.name}"] = token or ""
                        params[f"new_{column.name}"] = _reseal(keyring, table.name, row, column, token)
                    values.append(params)
                db.session.execute(update, values)
            done += len(rows)
            last_id = rows[-1].id
            if progress:
                progress(len(rows))
    return done


def _reseal(keyring, table: str, row, column: sa.Column, token: str | None) -> str | None:
    """The value sealed again under the newest key, for the same column and row (its seal)."""
    if token is None:
        return None
    try:
        return keyring.reseal(token, column.type.context, getattr(row, SEAL_COLUMN))
    except Undecryptable as problem:
        raise RotationFailed(f"{table} row {row.id}: {problem}") from None
