"""Where the encryption keys come from: configuration, or the instance folder in development."""

import json
import os
import runpy
import stat
from pathlib import Path

from clinic import create_app, keys
from clinic.crypto.keyring import key_id, parse_key
from tests.conftest import DATA_KEY, INDEX_KEY, base_config

SECRET = base_config("sqlite://")["SECRET_KEY"]


def test_testing_uses_the_fixed_keys_of_the_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINIC_INSTANCE_PATH", str(tmp_path))
    app = create_app(base_config(f"sqlite:///{tmp_path / 'x.db'}"))
    assert app.extensions[keys.EXTENSION].newest == key_id(parse_key(DATA_KEY))
    assert not (tmp_path / keys.KEY_FILE).exists()


def test_development_generates_keys_into_the_instance_folder_once(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINIC_ENV", "development")
    monkeypatch.setenv("CLINIC_INSTANCE_PATH", str(tmp_path))
    for name in ("CLINIC_DATA_KEYS", "CLINIC_INDEX_KEY"):
        monkeypatch.delenv(name, raising=False)
    first = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.db'}", "SECRET_KEY": SECRET})
    path = tmp_path / keys.KEY_FILE
    stored = json.loads(path.read_text())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    second = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.db'}", "SECRET_KEY": SECRET})
    assert json.loads(path.read_text()) == stored  # the same keys on every later start
    newest = key_id(parse_key(stored["data_keys"][0]))
    assert first.extensions[keys.EXTENSION].newest == second.extensions[keys.EXTENSION].newest == newest
    with first.app_context():
        token = keys.current().seal(b"x", "notes.body")
    with second.app_context():
        assert keys.current().open(token, "notes.body") == b"x"


def test_configured_keys_win_over_the_instance_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINIC_ENV", "development")
    monkeypatch.setenv("CLINIC_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CLINIC_DATA_KEYS", DATA_KEY)
    monkeypatch.setenv("CLINIC_INDEX_KEY", INDEX_KEY)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.db'}", "SECRET_KEY": SECRET})
    assert app.extensions[keys.EXTENSION].newest == key_id(parse_key(DATA_KEY))
    assert not (tmp_path / keys.KEY_FILE).exists()


def test_two_first_starts_at_once_agree_on_the_keys_written_first(tmp_path, monkeypatch):
    path = tmp_path / keys.KEY_FILE
    theirs = {"data_keys": [DATA_KEY], "index_key": INDEX_KEY}

    def another_process_was_faster(source, target):
        Path(target).write_text(json.dumps(theirs))
        raise FileExistsError(target)

    monkeypatch.setattr(keys.os, "link", another_process_was_faster)
    assert keys.instance_keys(path) == theirs
    assert [p.name for p in tmp_path.iterdir()] == [keys.KEY_FILE]  # no temporary file left behind


def test_python_m_clinic_crypto_prints_a_new_key(capsys):
    runpy.run_module("clinic.crypto", run_name="__main__")
    printed = capsys.readouterr().out.strip()
    assert len(parse_key(printed)) == 32
