"""Development mail: each message written to its own .eml file (instance/mail/ unless MAIL_FILE_PATH), which
any mail client opens (double-click it) with its HTML part, links and calendar attachment."""

import secrets
from datetime import datetime
from pathlib import Path

from flask_mailman.backends.file import EmailBackend as FileBackend


class EmailBackend(FileBackend):
    """Flask-Mailman's `file` backend, one .eml file per message instead of one .log file per connection."""

    def open(self) -> bool:
        return False

    def close(self) -> None:
        return None

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages or []:
            name = f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.eml"
            (Path(self.file_path) / name).write_bytes(message.message().as_bytes())
            sent += 1
        return sent
