"""A production start refuses a default, missing or short SECRET_KEY, DEBUG, and missing encryption keys."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clinic import MIN_SECRET_KEY_LENGTH, create_app
from config import DEV_SECRET_KEY
from tests.conftest import DATA_KEY, INDEX_KEY

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "Jq7vR2mX9tL4wZ8kP3nB6yC1hF5dG0sA"  # 32 random characters


@pytest.fixture
def production(monkeypatch, tmp_path):
    monkeypatch.setenv("CLINIC_ENV", "production")
    monkeypatch.delenv("CLINIC_SECRET_KEY", raising=False)
    monkeypatch.delenv("CLINIC_DEBUG", raising=False)
    for name in ("CLINIC_DATA_KEYS", "CLINIC_INDEX_KEY"):
        monkeypatch.delenv(name, raising=False)
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",  # shared by every worker
        "DATA_KEYS": DATA_KEY,
        "INDEX_KEY": INDEX_KEY,
    }


@pytest.mark.parametrize(
    "key",
    [None, "", DEV_SECRET_KEY, "short", "x" * (MIN_SECRET_KEY_LENGTH - 1)],
    ids=["missing", "empty", "development-default", "short", "one-too-short"],
)
def test_production_refuses_an_unsafe_secret_key(production, key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({**production, "SECRET_KEY": key})


def test_production_refuses_debug(production):
    with pytest.raises(RuntimeError, match="DEBUG"):
        create_app({**production, "SECRET_KEY": GOOD_KEY, "DEBUG": True})


def test_production_refuses_testing_as_a_way_around_the_check(production):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({**production, "SECRET_KEY": DEV_SECRET_KEY, "TESTING": True})


def test_production_starts_with_a_long_random_key(production):
    app = create_app({**production, "SECRET_KEY": GOOD_KEY})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not app.debug


def run_flask(env_overrides: dict[str, str | None]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_") and k != "SECRET_KEY"}
    for name, value in env_overrides.items():
        if value is not None:
            env[name] = value
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "clinic", "routes"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_real_production_process_refuses_the_default_key(tmp_path):
    db = f"sqlite:///{tmp_path / 'prod.db'}"
    redis = "redis://127.0.0.1:6379/0"
    refused = run_flask({"CLINIC_ENV": "production", "DATABASE_URL": db, "RATELIMIT_STORAGE_URI": redis})
    assert refused.returncode != 0
    assert "SECRET_KEY" in refused.stderr
    keyless = run_flask(
        {
            "CLINIC_ENV": "production",
            "DATABASE_URL": db,
            "SECRET_KEY": GOOD_KEY,
            "RATELIMIT_STORAGE_URI": redis,
        }
    )
    assert keyless.returncode != 0
    assert "CLINIC_DATA_KEYS and CLINIC_INDEX_KEY must be set" in keyless.stderr
    started = run_flask(
        {
            "CLINIC_ENV": "production",
            "DATABASE_URL": db,
            "SECRET_KEY": GOOD_KEY,
            "RATELIMIT_STORAGE_URI": redis,
            "CLINIC_DATA_KEYS": DATA_KEY,
            "CLINIC_INDEX_KEY": INDEX_KEY,
        }
    )
    assert started.returncode == 0, started.stderr[-2000:]
    assert "/consultation" in started.stdout


@pytest.mark.parametrize("missing", ["DATA_KEYS", "INDEX_KEY"])
def test_production_refuses_to_start_without_encryption_keys(production, missing, tmp_path):
    with pytest.raises(RuntimeError, match="CLINIC_DATA_KEYS and CLINIC_INDEX_KEY must be set in production"):
        create_app({**production, "SECRET_KEY": GOOD_KEY, missing: None})
    assert not list(tmp_path.glob("**/encryption-keys.json"))  # nothing generated in production


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        ({"DATA_KEYS": "not-a-key"}, "CLINIC_DATA_KEYS key 1 is not base64|must decode to 32 bytes"),
        ({"DATA_KEYS": f"{DATA_KEY},{DATA_KEY}"}, "listed twice"),
        ({"INDEX_KEY": DATA_KEY}, "index key must differ"),
    ],
)
def test_production_refuses_malformed_or_reused_keys(production, keys, problem):
    with pytest.raises(RuntimeError, match=problem):
        create_app({**production, "SECRET_KEY": GOOD_KEY, **keys})
