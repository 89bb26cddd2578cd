"""CSV cells are neutralised wherever a spreadsheet could start a formula (issue 15, finding 10): at the
start of a cell, and after `;`, `,`, a tab or a line break inside it. The export is parsed with `,` and with
`;` as the delimiter (as a European spreadsheet would): no cell begins with = + - or @."""

import csv
import io

import pytest

from clinic.services.casework.export import neutralise

PAYLOADS = [
    ("x;=1+1", "a,@SUM(A1:A9)"),
    ("Ann;+cmd|' /C calc'!A0", "Lee; -2+3"),
    ('=HYPERLINK("http://evil")', "@x"),
    ("Zoë", "O'Brien-Smith"),
]
FORMULA_STARTS = ("=", "+", "-", "@")


@pytest.fixture
def export(staff_client, make_request):
    for i, (first, last) in enumerate(PAYLOADS):
        make_request(first_name=first, last_name=last, email=f"-{i}+x@example.com")
    response = staff_client.get("/staff/requests.csv?status=all")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_no_cell_starts_a_formula_whatever_the_delimiter(export, delimiter):
    rows = list(csv.reader(io.StringIO(export), delimiter=delimiter))
    assert len(rows) == len(PAYLOADS) + 1
    starting = [cell for row in rows for cell in row if cell.lstrip(" ").startswith(FORMULA_STARTS)]
    assert starting == []


def test_the_values_are_still_readable(export):
    rows = list(csv.DictReader(io.StringIO(export)))
    names = {(row["first_name"], row["last_name"]) for row in rows}
    assert ("x;'=1+1", "a,'@SUM(A1:A9)") in names
    assert ("Zoë", "O'Brien-Smith") in names  # nothing to neutralise: unchanged
    assert all(row["email"].startswith("'-") for row in rows)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x\t=1", "x\t'=1"),
        ("x\n-2", "x\n'-2"),
        ("x\r\n+1", "x\r\n'+1"),
        ("x; =1", "x; '=1"),
        ("\t=1", "'\t'=1"),
        (" =1", "' =1"),
        ("Smith-Jones", "Smith-Jones"),
        ("2026-11-23 09:00", "2026-11-23 09:00"),
        (None, ""),
        (7, "7"),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected
