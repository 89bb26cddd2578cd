"""Rows whose encrypted values are bound to them: the `seal` column, and the flush that binds what it writes.

A model with Encrypted columns (models/types.py) inherits `SealedRow`: a `seal` column, 32 random hex
digits set when the object is created and never changed, bound into each of the row's encrypted values with
the column's name, so a value copied into another row does not decrypt. The seal rather than the id: the id
is known only after the INSERT, and the values are sealed before it.

Reading needs nothing: the column type selects each value with its row's seal. Writing: the type takes only
`Bound(value, seal)`. The models' flush makes them (`before_insert`/`before_update` wrap each encrypted value
written with the row's seal, `after_insert`/`after_update` put the plain values back), so services and views
set and read plain values. A write through Core, without a model object, binds its values itself:
`bound_row(table, row)` for an insert (a new seal included), `bound_values(seal, **values)` for an update.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Mapper, Session, configure_mappers, mapped_column, object_session

from clinic.models.types import SEAL_COLUMN, SEAL_LENGTH, Bound, Encrypted, new_seal

PENDING = "clinic.sealed.pending"  # Session.info: the objects whose values are wrapped during a flush


class SealedRow:
    """A model with Encrypted columns: its `seal`, which binds each encrypted value to the row."""

    seal: Mapped[str] = mapped_column(sa.String(SEAL_LENGTH), default=new_seal)


def encrypted_columns(table: sa.Table) -> list[sa.Column]:
    return [c for c in table.columns if isinstance(c.type, Encrypted)]


def bound_row(table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
    """A row for a Core insert into `table`: a seal (new unless given), every encrypted value bound to it."""
    seal = row.get(SEAL_COLUMN) or new_seal()
    names = {c.key for c in encrypted_columns(table)}
    return {
        **{key: Bound(value, seal) if key in names else value for key, value in row.items()},
        SEAL_COLUMN: seal,
    }


def bound_values(seal: str, **values: Any) -> dict[str, Bound]:
    """Encrypted values for a Core update of the row whose seal is `seal`."""
    return {key: Bound(value, seal) for key, value in values.items()}


def _encrypted_keys(mapper: Mapper) -> list[tuple[str, sa.Column]]:
    """The mapped attributes of `mapper` stored in an Encrypted column, with their column."""
    return [
        (prop.key, prop.columns[0])
        for prop in mapper.column_attrs
        if isinstance(prop.columns[0].type, Encrypted)
    ]


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Bound) else value


def _default(column: sa.Column) -> Any:
    """The Python-side default of `column` (`default=list`, `default=""`), or None."""
    default = column.default
    if default is None or not (default.is_scalar or default.is_callable):
        return None
    return default.arg(None) if default.is_callable else default.arg


def _wrap(target: SealedRow, keys: list[tuple[str, sa.Column]], *, inserting: bool) -> None:
    state = sa.inspect(target)
    wrapped = False
    for key, column in keys:
        if not inserting and key not in state.committed_state:
            continue  # not changed: not written
        value = _plain(state.dict.get(key))
        if value is None and inserting:
            value = _default(column)
        if value is not None:
            state.dict[key] = Bound(value, target.seal)
            wrapped = True
    if wrapped:
        session = object_session(target)
        if session is not None:
            session.info.setdefault(PENDING, set()).add(state)


def _unwrap(state) -> None:
    for key, value in list(state.dict.items()):
        if isinstance(value, Bound):
            state.dict[key] = value.value


@event.listens_for(SealedRow, "init", propagate=True)
def _new_seal(target: SealedRow, args, kwargs) -> None:
    """Every new object has its seal from the start."""
    if kwargs.get(SEAL_COLUMN) is None:
        configure_mappers()  # the first object of a class can come before the mappers are configured
        target.seal = new_seal()


@event.listens_for(SealedRow, "before_insert", propagate=True)
def _bind_insert(mapper: Mapper, _connection, target: SealedRow) -> None:
    if target.seal is None:
        target.seal = new_seal()
    _wrap(target, _encrypted_keys(mapper), inserting=True)


@event.listens_for(SealedRow, "before_update", propagate=True)
def _bind_update(mapper: Mapper, _connection, target: SealedRow) -> None:
    history = sa.inspect(target).attrs[SEAL_COLUMN].history
    if history.deleted and any(old is not None for old in history.deleted):
        raise ValueError(
            f"{mapper.local_table.name}: a row's seal never changes (its values are bound to it)"
        )
    _wrap(target, _encrypted_keys(mapper), inserting=False)


@event.listens_for(SealedRow, "after_insert", propagate=True)
@event.listens_for(SealedRow, "after_update", propagate=True)
def _unbind(_mapper: Mapper, _connection, target: SealedRow) -> None:
    state = sa.inspect(target)
    _unwrap(state)
    session = object_session(target)
    if session is not None:
        session.info.get(PENDING, set()).discard(state)


@event.listens_for(Session, "after_soft_rollback")
def _unbind_after_a_failed_flush(session: Session, _previous) -> None:
    """A flush that failed half-way leaves plain values in the objects it had not written yet, too."""
    for state in session.info.pop(PENDING, ()):
        _unwrap(state)
