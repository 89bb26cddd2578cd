"""A fresh manage link: the old one stops working at once, the new one is emailed, never shown."""

from datetime import UTC, datetime, timedelta

import pytest

from clinic.extensions import db
from clinic.models import ConsultationRequest
from clinic.services.booking import links, renewal

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_renewing_ends_the_old_link_and_emails_a_new_one(app, ctx, add_request, sent):
    request_id = add_request(slot=NOW + timedelta(days=3), email="pat@example.com")
    consultation = db.session.get(ConsultationRequest, request_id)
    old = links.manage_token(consultation)
    assert links.load_token(old, now=NOW) is not None
    with app.test_request_context():
        renewal.renew(consultation, now=NOW)
    assert links.load_token(old, now=NOW) is None
    new = links.manage_token(db.session.get(ConsultationRequest, request_id))
    assert links.load_token(new, now=NOW).id == request_id
    assert [message.to for message in sent] == [["pat@example.com"]]
    assert new in sent[0].body and old not in sent[0].body


def test_renewing_with_a_link_already_renewed_is_refused(app, ctx, add_request):
    request_id = add_request(slot=NOW + timedelta(days=3))
    stale = db.session.get(ConsultationRequest, request_id)
    db.session.expunge(stale)
    with app.test_request_context():
        renewal.renew(db.session.get(ConsultationRequest, request_id), now=NOW)
        stale.link_version = 1
        with pytest.raises(renewal.LinkChanged):
            renewal.renew(stale, now=NOW)
