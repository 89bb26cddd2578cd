"""`flask --app clinic rotate-keys`: every value re-sealed under the newest key, resumably; afterwards the old
key can go and every page, the CSV and the outbox still read."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from clinic import keys
from clinic.crypto.keyring import key_id, new_key, parse_key
from clinic.extensions import db
from clinic.models import ConsultationRequest, ContactAttempt, Note, OutboxMessage, StaffUser
from clinic.services.booking import links
from clinic.services.encryption import rotation
from tests.conftest import DATA_KEY

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York
NEW_KEY = new_key()
NEWEST = key_id(parse_key(NEW_KEY))
CANARY = "Rotationcanary"


def restart_with(app, data_keys: str) -> None:
    """What a restart with another CLINIC_DATA_KEYS does: the keyring is built again from configuration."""
    app.config["DATA_KEYS"] = data_keys
    keys.init_app(app, may_generate=False)


def stored_tokens(app) -> list[str]:
    """Every stored encrypted value, raw, from every encrypted table."""
    with app.app_context():
        tokens = []
        for sealed in rotation.sealed_tables():
            for column in sealed.columns:
                tokens += db.session.scalars(
                    select(sa.type_coerce(column, sa.Text)).where(column.is_not(None))
                ).all()
        return tokens


@pytest.fixture
def data(app, clock, make_request, staff_client):
    """Two requests through intake (with their emails in the outbox), a staff note and a contact's note, under
    the old key."""
    clock.set(NOW)
    first = make_request(last_name=CANARY, email="rotation.canary@example.com")
    make_request(first_name="Second")
    with app.app_context():
        author = db.session.scalar(select(StaffUser.id))
        db.session.add(Note(request_id=first, author_id=author, body="Rotation note canary", created_at=NOW))
        db.session.add(
            ContactAttempt(
                request_id=first,
                author_id=author,
                outcome="voicemail",
                note="Rotation call canary",
                created_at=NOW,
            )
        )
        db.session.commit()
    return first


def test_rotation_reseals_everything_and_the_old_key_can_then_go(app, runner, staff_client, client, data):
    old_count = len(stored_tokens(app))
    assert old_count > 20 and all(t.startswith(key_id(parse_key(DATA_KEY)) + ":") for t in stored_tokens(app))

    restart_with(app, f"{NEW_KEY},{DATA_KEY}")
    with app.app_context():
        # two requests, one note, one contact, two confirmation emails, the staff's secret
        assert rotation.pending() == 7
    result = runner.invoke(args=["rotate-keys", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 7 rows" in result.output
    tokens = stored_tokens(app)
    assert len(tokens) == old_count and all(t.startswith(NEWEST + ":") for t in tokens)

    restart_with(app, NEW_KEY)  # the old key removed
    for path in ("/staff/?status=all", f"/staff/requests/{data}", "/staff/?q=rotationcanary"):
        page = staff_client.get(path)
        assert page.status_code == 200 and CANARY in page.get_data(as_text=True), path
    assert "Rotation note canary" in staff_client.get(f"/staff/requests/{data}").get_data(as_text=True)
    csv = staff_client.get("/staff/requests.csv?status=all").get_data(as_text=True)
    assert "rotation.canary@example.com" in csv and CANARY in csv
    with app.app_context():
        token = links.manage_token(db.session.get(ConsultationRequest, data))
        assert [m.recipients for m in db.session.scalars(select(OutboxMessage))]  # the outbox reads
    assert client.get(f"/appointments/{token}").status_code == 200
    assert "Every encrypted value is under the newest key" in runner.invoke(args=["rotate-keys"]).output


def test_a_stopped_rotation_carries_on_where_it_stopped(app, data):
    restart_with(app, f"{NEW_KEY},{DATA_KEY}")
    batches = []

    def stop_after_the_first_batch(rows: int) -> None:
        batches.append(rows)
        raise KeyboardInterrupt

    with app.app_context():
        with pytest.raises(KeyboardInterrupt):
            rotation.rotate(batch=2, progress=stop_after_the_first_batch)
        assert batches == [2]
        assert rotation.pending() == 5  # the first batch was committed
        assert rotation.rotate(batch=2) == 5  # only what was left
        assert rotation.pending() == 0
    assert all(t.startswith(NEWEST + ":") for t in stored_tokens(app))


def test_a_value_that_does_not_decrypt_stops_the_rotation_with_its_place(app, runner, data):
    with app.app_context():
        email = db.session.scalar(
            select(sa.type_coerce(ConsultationRequest.email, sa.Text)).where(ConsultationRequest.id == data)
        )
        db.session.execute(  # a value copied into another column
            sa.update(ConsultationRequest.__table__)
            .where(ConsultationRequest.id == data)
            .values(notes=sa.type_coerce(sa.literal(email), sa.Text))
        )
        db.session.commit()
    restart_with(app, f"{NEW_KEY},{DATA_KEY}")
    result = runner.invoke(args=["rotate-keys"])
    assert result.exit_code == 1
    assert f"consultation_requests row {data}: consultation_requests.notes" in result.output
    assert "rotation.canary" not in result.output


def test_rows_left_under_an_old_key_after_a_run_are_reported(app, runner, data, monkeypatch):
    """Rows the app changed during the run are left as it wrote them; any still old asks for another run."""
    restart_with(app, f"{NEW_KEY},{DATA_KEY}")
    monkeypatch.setattr(rotation, "rotate", lambda **kwargs: 0)
    result = runner.invoke(args=["rotate-keys"])
    assert result.exit_code == 1
    assert "7 changed meanwhile: run it again" in result.output
