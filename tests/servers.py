"""Real servers for the tests that go over real HTTP: a free local port, one request, and gunicorn.

`gunicorn(...)` serves `clinic:create_app()` from the repository with its gunicorn.conf.py, configured by
environment variables alone, as an operator starts it.
"""

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import DATA_KEY, INDEX_KEY

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "gunicorn-test-secret-key-0123456789-abcdefghijkl"
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_request(
    port: int,
    method: str,
    path: str,
    body: str | None = None,
    cookie: str | None = None,
    *,
    timeout: float = 60,
) -> tuple[int, str, list[str]]:
    """(status, page, cookies set) of one request to 127.0.0.1:`port`; a body is sent as a form."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    if cookie:
        headers["Cookie"] = cookie
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read().decode("utf-8", "replace")
    finally:
        connection.close()  # also when the server is not up yet and the request times out
    cookies = [
        value.split(";", 1)[0] for name, value in response.getheaders() if name.lower() == "set-cookie"
    ]
    return response.status, content, cookies


@dataclass(frozen=True)
class Server:
    port: int
    log: Path  # what gunicorn printed, stdout and stderr

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _environment(database_url: str, tmp_path: Path, port: int, production: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLINIC_", "GUNICORN_"))}
    env.update(
        CLINIC_RATELIMIT_ENABLED="false",
        CLINIC_DATA_KEYS=DATA_KEY,
        CLINIC_INDEX_KEY=INDEX_KEY,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
    )
    if production:  # as an operator sets it, over plain HTTP, with mail kept in memory
        env.update(
            CLINIC_ENV="production",
            SECRET_KEY=SECRET_KEY,
            DATABASE_URL=database_url,
            CLINIC_FORCE_HTTPS="false",
            CLINIC_SESSION_COOKIE_SECURE="false",
            CLINIC_MAIL_BACKEND="locmem",
            CLINIC_INSTANCE_PATH=str(tmp_path / "instance"),
        )
    else:
        env.update(
            CLINIC_ENV="testing",
            CLINIC_SQLALCHEMY_DATABASE_URI=database_url,
            CLINIC_SECRET_KEY=SECRET_KEY,
        )
    return env


@contextmanager
def gunicorn(database_url: str, tmp_path: Path, *, production: bool = False, **env: str) -> Iterator[Server]:
    """gunicorn serving the app on `database_url` at a free port of 127.0.0.1: yields once /healthz answers
    200, and stops it after (what it printed stays in `Server.log`, under `tmp_path`).

    Its environment is this process's without CLINIC_ and GUNICORN_ variables, then the tests' keys, no
    rate limit, one worker and the testing settings (with `production`, the production settings over plain
    HTTP), then `env`: GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_ACCESS_LOG and the like.
    """
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "clinic:create_app()"],
            cwd=ROOT,
            env=_environment(database_url, tmp_path, port, production) | env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while not _healthy(port):
                assert server.poll() is None, f"gunicorn stopped: {log.read_text()[-2000:]}"
                assert time.monotonic() < deadline, f"gunicorn did not start: {log.read_text()[-2000:]}"
                time.sleep(0.2)
            yield Server(port, log)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _healthy(port: int) -> bool:
    try:
        return http_request(port, "GET", "/healthz", timeout=2)[0] == 200
    except OSError:
        return False
