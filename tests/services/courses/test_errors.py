"""clinic.services.courses.errors: what the course use cases refuse, each carrying what the page needs to
tell the person who must act (the reasons, the rule check, the sessions lost and their alternatives)."""

from datetime import UTC, datetime

import pytest

from clinic.scheduling.courses import CourseCheck, ProposedSession
from clinic.services.courses import errors

AT = datetime(2027, 3, 1, 14, 0, tzinfo=UTC)
ALTERNATIVE = ProposedSession(1, AT, AT, AT, 2)


@pytest.mark.parametrize(
    "error",
    [
        errors.RequestNotFound(7),
        errors.SessionNotFound(7),
        errors.CourseRefused(["No."]),
        errors.CourseInvalid(CourseCheck((), ())),
        errors.CourseConflict([], []),
        errors.SessionRefused("No."),
        errors.SessionInvalid(["No."]),
        errors.SessionConflict([]),
        errors.FieldErrors({"kind": "No."}),
    ],
)
def test_every_refusal_is_a_course_error(error):
    """Views catch CourseError once for all of them; nothing else is one."""
    assert isinstance(error, errors.CourseError)


def test_not_found_is_also_a_lookup_error_and_refusals_are_not():
    assert issubclass(errors.RequestNotFound, LookupError) and issubclass(errors.SessionNotFound, LookupError)
    assert not issubclass(errors.CourseRefused, LookupError)
    assert not issubclass(errors.SessionRefused, LookupError)


def test_refusals_keep_each_reason_and_read_as_one_message():
    reasons = ("Mark the consultation completed first.", "Record the REMS enrollment.")
    refused = errors.CourseRefused(reasons)
    assert refused.reasons == list(reasons)
    assert str(refused) == "Mark the consultation completed first. Record the REMS enrollment."
    invalid = errors.SessionInvalid(["The clinic is closed on Sundays.", "Too close to session 2."])
    assert invalid.problems == ["The clinic is closed on Sundays.", "Too close to session 2."]
    assert str(invalid) == "The clinic is closed on Sundays. Too close to session 2."


def test_field_errors_map_fields_to_messages_and_copy_them():
    given = {"enrolled_on": "Give the date.", "rems_id": "Give the ID."}
    error = errors.FieldErrors(given)
    given["kind"] = "added later"
    assert error.errors == {"enrolled_on": "Give the date.", "rems_id": "Give the ID."}
    assert str(error) == "Give the date.; Give the ID."


def test_a_conflict_lists_what_was_lost_and_keeps_the_starts_tried():
    lost = [errors.LostSession(3, AT, (ALTERNATIVE,)), errors.LostSession(4, AT, ())]
    starts = (AT, AT)
    conflict = errors.CourseConflict(lost, starts)
    assert str(conflict) == "2 session(s) could not be held"
    assert [s.number for s in conflict.lost] == [3, 4] and conflict.starts == [AT, AT]
    assert conflict.lost[0].alternatives == (ALTERNATIVE,)
    moved = errors.SessionConflict((ALTERNATIVE,))
    assert moved.alternatives == [ALTERNATIVE] and "no chair is free" in str(moved)


def test_an_invalid_course_carries_its_check():
    check = CourseCheck((), ())
    assert errors.CourseInvalid(check).check is check
    with pytest.raises(AttributeError):
        errors.LostSession(3, AT, ()).number = 4  # frozen: what the page shows cannot drift
