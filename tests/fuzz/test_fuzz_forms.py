"""Hypothesis-generated input to every public form and the API never yields a 500 (nor a 503: the
database is up, so a 503 would mean a database error escaped validation, e.g. a NUL byte on PostgreSQL)."""

import os
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from clinic import create_app
from clinic.extensions import db
from clinic.models import ConsultationRequest
from clinic.services.booking.links import manage_token
from tests.conftest import base_config, csrf_token_from

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))  # e.g. FUZZ_EXAMPLES=500 for a longer hunt
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
ALLOWED = {200, 302, 303, 400, 401, 403, 404, 409, 413, 422, 429}

# Any character UTF-8 can carry (control characters and NUL included), and some nastier favourites.
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=120)
NASTY = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "'; DROP TABLE consultation_requests;--",
        '"><script>alert(1)</script>',
        "%",
        "_",
        "\\",
        "9" * 400,
        "-1",
        "1e309",
        "NaN",
        "2026-02-30",
        "0000-00-00",
        "9999-12-31",
        "2026-11-23T08:00:00",
        "2026-11-23T08:00:00+14:00",
        "2026-11-23T08:00:00-05:00",
        "\u202e\u200b",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "x" * 2001,
    ]
)
VALUE = st.one_of(TEXT, NASTY)
# Edges tried on every query parameter, whatever the random draw: the ends of the calendar, huge numbers.
EDGES = ["9999-12-31", "0001-01-01", "9" * 40, "-1", "0", "\x00", "%", "'"]


def fuzz_params(strategy, keys):
    """@settings + @given(params=strategy), with an explicit example per (parameter, edge value)."""

    def decorate(test):
        for key in keys:
            for value in EDGES:
                test = example(params={key: value})(test)
        return FUZZ(given(params=strategy)(test))

    return decorate


PHQ = st.one_of(st.sampled_from(["0", "1", "2", "3"]), VALUE)
INTAKE_FIELDS = {
    "first_name": VALUE,
    "last_name": VALUE,
    "email": st.one_of(st.emails().map(str), VALUE),
    "phone": st.one_of(st.just("+12125550142"), VALUE),
    "date_of_birth": st.one_of(st.dates().map(str), VALUE),
    "preferred_contact": st.one_of(st.sampled_from(["email", "phone", "text"]), VALUE),
    "antidepressant_trials": st.one_of(st.integers(-5, 50).map(str), VALUE),
    "conditions": st.lists(
        st.one_of(st.sampled_from(["aneurysm", "psychosis", "seizures"]), VALUE), max_size=4
    ),
    "modality": st.one_of(st.sampled_from(["infusion", "nasal_spray", "undecided"]), VALUE),
    "medications": VALUE,
    "notes": VALUE,
    "consent_privacy": st.one_of(st.just("y"), VALUE),
    "consent_contact": st.one_of(st.just("y"), VALUE),
    "website": st.one_of(st.just(""), VALUE),
    "slot": VALUE,
    **{f"phq9_{i}": PHQ for i in range(1, 10)},
}
INTAKE = st.fixed_dictionaries({}, optional=INTAKE_FIELDS)
# "Save and finish later": mostly a valid email, so that most examples reach the saving.
DRAFT = st.fixed_dictionaries(
    {"email": st.one_of(st.just("fuzz@example.com"), VALUE), "draft": st.one_of(st.just(""), VALUE)},
    optional={name: value for name, value in INTAKE_FIELDS.items() if name != "email"},
)


@pytest.fixture
def app(database_url):
    """Rate limits off: every generated request must reach the validators."""
    app = create_app({**base_config(database_url), "RATELIMIT_ENABLED": False, "PROPAGATE_EXCEPTIONS": False})
    yield app
    with app.app_context():
        db.engine.dispose()


def check(response, what) -> None:
    assert response.status_code in ALLOWED, f"{what} gave {response.status_code}"
    body = response.get_data(as_text=True)
    assert "Traceback" not in body, what


def first_slot(client) -> str:
    days = client.get("/api/v1/availability?days=14").get_json()["days"]
    return next(slot["start"] for day in days for slot in day["slots"])


def test_intake_form(client):
    slot = first_slot(client)
    token = csrf_token_from(client.get("/consultation", query_string={"slot": slot}).get_data(as_text=True))

    @FUZZ
    @given(form=INTAKE, keep_slot=st.booleans())
    @example(
        form=dict.fromkeys(("first_name", "last_name", "email", "medications", "notes"), "\x00"),
        keep_slot=True,
    )
    @example(form={"date_of_birth": "9999-12-31", "antidepressant_trials": "9" * 40}, keep_slot=True)
    @example(
        form={"date_of_birth": "0001-01-01", "phq9_1": "9" * 40, "slot": "9999-12-31T23:59:59+14:00"},
        keep_slot=False,
    )
    def post(form, keep_slot):
        data = {"csrf_token": token, **form}
        if keep_slot:
            data["slot"] = slot
        check(client.post("/consultation", data=data), f"POST /consultation {form!r}")

    post()


def test_save_for_later(client):
    token = csrf_token_from(client.get("/consultation").get_data(as_text=True))

    @FUZZ
    @given(form=DRAFT)
    @example(form=dict.fromkeys(("email", "first_name", "notes", "slot", "draft", "conditions"), "\x00"))
    @example(
        form={"email": "fuzz@example.com", **dict.fromkeys(("first_name", "notes", "slot", "draft"), "\x00")}
    )
    def post(form):
        check(
            client.post("/consultation/save", data={"csrf_token": token, **form}),
            f"POST /consultation/save {form!r}",
        )

    post()


def test_resume_link(client):
    @FUZZ
    @given(token=VALUE)
    def get(token):
        path = f"/consultation/resume/{quote(token, safe='')}"
        check(client.get(path), f"GET {path}")

    get()


def test_intake_form_query_string(client):
    @FUZZ
    @given(slot=VALUE)
    def get(slot):
        check(client.get("/consultation", query_string={"slot": slot}), f"GET /consultation?slot={slot!r}")

    get()


def test_staff_login_form(client):
    token = csrf_token_from(client.get("/staff/login").get_data(as_text=True))

    # Each failed sign-in hashes a password on purpose (no timing oracle): fewer random draws.
    @settings(FUZZ, max_examples=max(10, EXAMPLES // 2))
    @given(email=st.one_of(st.emails().map(str), VALUE), password=VALUE, next_url=VALUE)
    @example(email="\x00", password="x", next_url="")
    @example(email="a@b.example", password="\x00", next_url="")
    @example(email="%", password="x", next_url="//evil.example/")
    @example(email="x" * 5000, password="x" * 5000, next_url="")
    def post(email, password, next_url):
        response = client.post(
            "/staff/login",
            query_string={"next": next_url},
            data={"csrf_token": token, "email": email, "password": password},
        )
        check(response, f"POST /staff/login {email!r}")

    post()


def test_reschedule_and_manage_pages(app, client, make_request):
    request_id = make_request()
    with app.app_context():
        manage = manage_token(db.session.get(ConsultationRequest, request_id))
    page = client.get(f"/appointments/{manage}/reschedule")
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))

    @FUZZ
    @given(
        slot=VALUE,
        path_token=st.one_of(VALUE.filter(lambda t: "/" not in t and "?" not in t), st.just(manage)),
    )
    def post(slot, path_token):
        check(
            client.post(f"/appointments/{manage}/reschedule", data={"csrf_token": token, "slot": slot}),
            f"POST reschedule {slot!r}",
        )
        check(client.get("/appointments/" + path_token.replace("#", "")), f"GET manage {path_token!r}")

    post()


def test_api_query_string(client):
    @fuzz_params(
        st.dictionaries(
            st.one_of(st.sampled_from(["start", "days"]), TEXT),
            st.one_of(st.dates().map(str), st.integers(-10, 10_000).map(str), VALUE),
            max_size=4,
        ),
        ["start", "days"],
    )
    def get(params):
        response = client.get("/api/v1/availability", query_string=params)
        check(response, f"GET /api/v1/availability {params!r}")
        assert response.is_json
        if response.status_code == 400:
            assert "error" in response.get_json()

    get()


def test_slot_picker_query_string(client):
    @fuzz_params(st.fixed_dictionaries({"week": st.one_of(st.dates().map(str), VALUE)}), ["week"])
    def get(params):
        check(client.get("/book", query_string=params), f"GET /book {params!r}")

    get()


STAFF_VIEWS = {
    "/staff/": ["status", "priority", "q", "from", "to", "assigned", "page"],
    "/staff/requests.csv": ["status", "priority", "q", "from", "to", "assigned"],
    "/staff/schedule": ["date", "view"],
}


@pytest.mark.parametrize("path", list(STAFF_VIEWS))
def test_staff_filters(client, make_staff, login_as, path):
    login_as(client, make_staff(email="fuzz.staff@clinic.example"))

    values = st.one_of(VALUE, st.dates().map(str), st.integers().map(str))

    @fuzz_params(st.dictionaries(st.sampled_from(STAFF_VIEWS[path]), values, max_size=5), STAFF_VIEWS[path])
    def get(params):
        response = client.get(path, query_string=params)
        check(response, f"GET {path} {params!r}")  # check() reads the whole body, so a streamed CSV too

    get()
