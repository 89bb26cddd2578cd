"""Use cases, grouped by domain. No request, session or current_user here.

Every use case is one transaction: it runs its steps inside `unit_of_work()`, which commits once when the
block succeeds and rolls everything back when it raises. Inner steps (a seat held, a booking released, an
audit event, an outbox message) only add and flush. Mail leaves after the commit, through the outbox.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from clinic.extensions import db

_OPEN = "clinic.unit_of_work"


class NestedUnitOfWork(RuntimeError):
    """A use case was called from inside another one: call its inner steps instead."""


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Commit once if the block succeeds; roll back everything if it raises.

    Refuses to nest: a use case inside another would send its mail before anything is committed, and
    would make two use cases one transaction without saying so.
    """
    session = db.session()
    if session.info.get(_OPEN):
        raise NestedUnitOfWork("a unit of work is already open")
    session.info[_OPEN] = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_OPEN, None)
