"""clinic.services.mail.files: development mail as one .eml file per message, which mail clients open."""

import email
from email import policy

from clinic.services.mail import outbox


def test_the_file_backend_writes_one_eml_file_per_message(app, ctx, tmp_path):
    app.config.update(MAIL_BACKEND="file", MAIL_FILE_PATH=str(tmp_path))
    messages = [
        outbox.add(
            "test", ["ada@example.com"], "Your consultation", "Plain text", "<p>HTML <a href='x'>link</a></p>"
        ),
        outbox.add(
            "test",
            ["bo@example.com"],
            "Your consultation",
            "Second",
            attachments=[
                {"filename": "consultation.ics", "mimetype": "text/calendar", "content": "BEGIN:VCALENDAR"}
            ],
        ),
    ]
    from clinic.extensions import db

    db.session.commit()
    assert outbox.deliver(messages) == 2
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2 and not list(tmp_path.glob("*.log"))
    parsed = [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert sorted(m["To"] for m in parsed) == ["ada@example.com", "bo@example.com"]
    first = next(m for m in parsed if m["To"] == "ada@example.com")
    assert first.get_body(("html",)).get_content().startswith("<p>HTML")
    second = next(m for m in parsed if m["To"] == "bo@example.com")
    assert [part.get_filename() for part in second.iter_attachments()] == ["consultation.ics"]


def test_without_a_path_it_writes_to_the_instance_folder(app, ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    app.config.update(MAIL_BACKEND="file", MAIL_FILE_PATH=None)
    from clinic.extensions import db

    message = outbox.add("test", ["ada@example.com"], "Your consultation", "Plain text")
    db.session.commit()
    assert outbox.deliver([message]) == 1
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1
