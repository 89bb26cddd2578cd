"""Defaults that fail safe (issue 15, findings 3, 6 and 11): the public development key only under the
development server, no per-worker rate limits or guessable key in production, X-Forwarded-* trusted only
through PROXY_COUNT, and a Permissions-Policy that turns every powerful feature off."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clinic import create_app
from clinic.extensions import db
from config import DEV_SECRET_KEY
from tests.conftest import DATA_KEY, INDEX_KEY, base_config

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "Jq7vR2mX9tL4wZ8kP3nB6yC1hF5dG0sA"
REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("CLINIC_ENV", "CLINIC_SECRET_KEY", "SECRET_KEY", "FLASK_RUN_FROM_CLI", "CLINIC_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": None}


# the public development key ------------------------------------------------------------------------------


def test_a_start_outside_the_development_server_without_a_key_refuses(clean_env):
    """`gunicorn "clinic:create_app()"` without CLINIC_ENV: development settings, but not the dev server."""
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app(clean_env)


@pytest.mark.parametrize("env", ["testing", "production"])
def test_no_environment_falls_back_to_a_public_key(clean_env, monkeypatch, env):
    monkeypatch.setenv("CLINIC_ENV", env)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(clean_env)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({**clean_env, "SECRET_KEY": DEV_SECRET_KEY})


def test_the_development_server_gets_the_development_key(clean_env, monkeypatch):
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")  # set by `flask run` and every `flask` command
    app = create_app(clean_env)
    assert app.debug and app.config["SECRET_KEY"] == DEV_SECRET_KEY


def test_the_development_server_without_debug_needs_a_key(clean_env, monkeypatch):
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app({**clean_env, "DEBUG": False})


def test_a_configured_key_is_used_anywhere(clean_env):
    assert create_app({**clean_env, "SECRET_KEY": GOOD_KEY}).config["SECRET_KEY"] == GOOD_KEY


def child_env(**overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLINIC_", "FLASK_", "GUNICORN_")) and k not in {"SECRET_KEY", "DATABASE_URL"}
    }
    env.update(overrides)
    return env


def test_a_real_gunicorn_start_without_a_key_refuses(tmp_path):
    env = child_env(DATABASE_URL=f"sqlite:///{tmp_path / 'g.db'}", CLINIC_INSTANCE_PATH=str(tmp_path))
    started = subprocess.run(
        [str(ROOT / ".venv/bin/gunicorn"), "--no-control-socket", "-b", "127.0.0.1:0", "clinic:create_app()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.returncode != 0
    assert "SECRET_KEY is not set" in started.stdout + started.stderr


def test_make_run_still_works_with_no_configuration(tmp_path):
    """`make run`: `flask db upgrade`, `seed-demo`, `run`, all without a key, under the development server."""
    env = child_env(CLINIC_INSTANCE_PATH=str(tmp_path))
    for command in (["db", "upgrade"], ["seed-demo"], ["routes"]):
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "clinic", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    assert (
        "two-factor key"
        in subprocess.run(
            [sys.executable, "-m", "flask", "--app", "clinic", "seed-demo"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        ).stdout
    )


# production --------------------------------------------------------------------------------------------


@pytest.fixture
def production(clean_env, monkeypatch):
    monkeypatch.setenv("CLINIC_ENV", "production")
    return {
        **clean_env,
        "SECRET_KEY": GOOD_KEY,
        "RATELIMIT_STORAGE_URI": REDIS,
        "DATA_KEYS": DATA_KEY,
        "INDEX_KEY": INDEX_KEY,
    }


@pytest.mark.parametrize(
    "key", ["a" * 32, "abcabcabcabcabcabcabcabcabcabcab", "0123456789abcdef0123456789abcdef", "password" * 4]
)
def test_production_refuses_a_key_with_little_entropy(production, key):
    with pytest.raises(RuntimeError, match="too easy to guess"):
        create_app({**production, "SECRET_KEY": key})


def test_production_refuses_per_worker_rate_limits(production):
    with pytest.raises(RuntimeError, match="memory://"):
        create_app({**production, "RATELIMIT_STORAGE_URI": "memory://"})


def test_production_accepts_memory_limits_when_told_one_worker_runs(production):
    app = create_app({**production, "RATELIMIT_STORAGE_URI": "memory://", "SINGLE_WORKER": True})
    assert app.config["SINGLE_WORKER"] is True


def test_production_accepts_memory_storage_when_limits_are_off(production):
    create_app({**production, "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": False})


# HTTPS and forwarded headers -----------------------------------------------------------------------------


@pytest.fixture
def https_app(database_url):
    def make(**config):
        app = create_app({**base_config(database_url), "FORCE_HTTPS": True, **config})
        return app

    made = []
    yield lambda **config: made.append(make(**config)) or made[-1]
    for app in made:
        with app.app_context():
            db.engine.dispose()


def test_plain_http_is_sent_to_https(https_app):
    response = https_app().test_client().get("/learn/?x=1")
    assert response.status_code == 301
    assert response.headers["Location"] == "https://localhost/learn/?x=1"


def test_a_clients_forwarded_headers_are_not_believed_without_proxy_count(https_app):
    client = https_app().test_client()
    spoofed = client.get("/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"})
    assert spoofed.status_code == 301
    assert spoofed.headers["Location"] == "https://localhost/"


def test_behind_a_counted_proxy_its_headers_are_believed(https_app):
    client = https_app(PROXY_COUNT=1).test_client()
    via_proxy = client.get("/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
    assert via_proxy.status_code == 200
    plain = client.get("/", headers={"X-Forwarded-Proto": "http", "X-Forwarded-Host": "clinic.example"})
    assert plain.headers["Location"] == "https://clinic.example/"


def test_a_form_posted_over_http_is_redirected_keeping_its_method(https_app):
    response = https_app().test_client().post("/staff/login", data={})
    assert response.status_code == 308


def test_the_health_check_answers_over_plain_http(https_app):
    assert https_app().test_client().get("/healthz").status_code == 200


# Permissions-Policy --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/staff/login", "/nowhere", "/api/v1/availability", "/static/css/app.css"]
)
def test_permissions_policy_turns_powerful_features_off(client, path):
    response = client.get(path)
    policy = dict(
        part.strip().split("=", 1)
        for part in response.headers["Permissions-Policy"].split(",")
        if part.strip()
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics", "serial"):
        assert policy.get(feature) == "()", f"{path}: {feature}"
    response.close()
