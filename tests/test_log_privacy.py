"""The redaction applied to every log line the app and its servers write."""

import logging

import pytest

from clinic.log_privacy import DropResultRows, redact


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /appointments/abc.DEF-12_x HTTP/1.1", "GET /appointments/[token] HTTP/1.1"),
        ("POST /appointments/abc.def/cancel HTTP/1.1", "POST /appointments/[token]/cancel HTTP/1.1"),
        ("GET /staff/?q=Jane%20Doe&status=new HTTP/1.1", "GET /staff/?q=[search]&status=new HTTP/1.1"),
        ("GET /staff/requests.csv?q=jane@example.org", "GET /staff/requests.csv?q=[search]"),
        ("GET /book?week=2026-11-23 HTTP/1.1", "GET /book?week=2026-11-23 HTTP/1.1"),
        (
            "GET /consultation/resume/IkFi.x-Y_z?lang=es HTTP/1.1",
            "GET /consultation/resume/[token]?lang=es HTTP/1.1",
        ),
        ("POST /consultation/save HTTP/1.1", "POST /consultation/save HTTP/1.1"),
    ],
)
def test_redact(line, expected):
    assert redact(line) == expected


def test_sql_result_rows_are_dropped_but_statements_kept():
    rows = DropResultRows()
    row = logging.LogRecord("sqlalchemy.engine", logging.DEBUG, "x.py", 1, "Row %r", (("Jane",),), None)
    sql = logging.LogRecord("sqlalchemy.engine.Engine", logging.INFO, __file__, 1, "SELECT 1", None, None)
    assert not rows.filter(row)
    assert rows.filter(sql)
