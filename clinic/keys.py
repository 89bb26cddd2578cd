"""The app's encryption keys: from the configuration, or generated into the instance folder in development.

`CLINIC_DATA_KEYS` holds the data keys, comma-separated, newest first (the newest seals everything new; the
older ones still open what they sealed until `flask --app clinic rotate-keys` has re-sealed it).
`CLINIC_INDEX_KEY` is the separate key of the blind indexes. Production refuses to start without both;
development and testing without them use `instance/encryption-keys.json`, written on the first run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, current_app

from clinic.crypto.keyring import KeyProblem, Keyring, new_key, parse_key, parse_keys

EXTENSION = "clinic.keyring"
KEY_FILE = "encryption-keys.json"
HOW_TO_GENERATE = "generate each with `python -m clinic.crypto`"


def init_app(app: Flask, *, may_generate: bool) -> None:
    """Build the keyring from the configuration; without keys, generate them (development) or refuse."""
    data_keys = app.config.get("DATA_KEYS")
    index_key = app.config.get("INDEX_KEY")
    if not data_keys or not index_key:
        if not may_generate:
            raise RuntimeError(
                "CLINIC_DATA_KEYS and CLINIC_INDEX_KEY must be set in production: random 32-byte keys in "
                f"base64, the data keys comma-separated and newest first; {HOW_TO_GENERATE}"
            )
        stored = instance_keys(Path(app.instance_path) / KEY_FILE)
        data_keys = data_keys or stored["data_keys"]
        index_key = index_key or stored["index_key"]
    try:
        keyring = Keyring(
            parse_keys(data_keys, "CLINIC_DATA_KEYS key"), parse_key(index_key, "CLINIC_INDEX_KEY")
        )
    except KeyProblem as problem:
        raise RuntimeError(f"Encryption keys: {problem} ({HOW_TO_GENERATE})") from None
    app.extensions[EXTENSION] = keyring


def instance_keys(path: Path) -> dict:
    """The development keys in `path`, written on the first run (readable by the owner only).

    Written to a temporary file and linked into place, so two processes starting at once agree on one set.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        content = json.dumps({"data_keys": [new_key()], "index_key": new_key()}, indent=2) + "\n"
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(content)
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process wrote them first: use theirs
        finally:
            temporary.unlink(missing_ok=True)
    return json.loads(path.read_text(encoding="utf-8"))


def current() -> Keyring:
    """The keyring of the app in context."""
    return current_app.extensions[EXTENSION]
