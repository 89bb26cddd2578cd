"""Course links are patients' keys: their tokens never reach a log line."""

import pytest

from clinic.log_privacy import redact


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /courses/WyJhYmMiLDFd.sig HTTP/1.1", "GET /courses/[token] HTTP/1.1"),
        ("GET /courses/abc.def/calendar.ics HTTP/1.1", "GET /courses/[token]/calendar.ics HTTP/1.1"),
        (
            "POST /courses/abc.def/sessions/3/driver HTTP/1.1",
            "POST /courses/[token]/sessions/3/driver HTTP/1.1",
        ),
        ("GET /appointments/abc.DEF-12_x HTTP/1.1", "GET /appointments/[token] HTTP/1.1"),
        ("GET /staff/courses/12 HTTP/1.1", "GET /staff/courses/12 HTTP/1.1"),
        (
            "link http://127.0.0.1:5000/courses/abc.def sent",
            "link http://127.0.0.1:5000/courses/[token] sent",
        ),
    ],
)
def test_course_tokens_are_redacted(line, expected):
    assert redact(line) == expected
