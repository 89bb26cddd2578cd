"""In process, no HTTP server: CPU time per request of a few pages against the Flask hello app, in one run.

    .venv/bin/python bench/pipeline.py [path ...]   (default: an article, a static file, /book)

A quick check of the request pipeline that needs neither wrk nor the 100,000-request dataset (a fresh SQLite
database, migrated on first use, in a scratch folder). It times CPU (process_time), the best of five rounds,
so that other work on a shared machine mostly cancels out. Without an HTTP server in front the hello app is
about four times faster than under gunicorn, so these ratios are far lower than `make bench`'s: compare them
only with each other, from one run.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from bench.hello_app import app as hello  # noqa: E402
from clinic import create_app  # noqa: E402

SCRATCH = Path(os.environ.get("CLINIC_BENCH_SCRATCH", Path(tempfile.gettempdir()) / "clinic-bench-pipeline"))
PATHS = ["/learn/what-is-ketamine-therapy", "/static/img/favicon.svg", "/book"]
ROUNDS, PER_ROUND = 5, int(os.environ.get("CLINIC_BENCH_REQUESTS", "200"))


def clinic() -> Flask:
    SCRATCH.mkdir(parents=True, exist_ok=True)
    database = SCRATCH / "clinic.db"
    os.environ.update(CLINIC_ENV="production", CLINIC_INSTANCE_PATH=str(SCRATCH))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SECRET_KEY": "Vq3kLr9ZpW2mXc7TnB4yHs8dGf6jKa1eQu5oIw0tRv",
            "DATA_KEYS": "nbj+ATXv8LcY5yt2w2a4Yh1acsI6x4x0NzlUvvq7nEw=",
            "INDEX_KEY": "kAyDNHtDZzQE2DhZC6L7bB5ahWMjf6hkRb+p9E1JUj8=",
            "MAIL_BACKEND": "locmem",
            "RATELIMIT_STORAGE_URI": "memory://",
            "SINGLE_WORKER": True,
            "FORCE_HTTPS": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )
    if not database.exists():
        with app.app_context():
            upgrade()
    return app


def per_second(app: Flask, path: str, count: int) -> float:
    """Requests per CPU second, the best of ROUNDS rounds of `count` GETs of `path`."""
    environ = EnvironBuilder(path=path.split("?")[0], query_string=path.partition("?")[2]).get_environ()

    def start_response(status, headers, exc_info=None):
        assert status.startswith(("200", "304")), f"{path}: {status}"

    def one() -> None:
        body = app(dict(environ), start_response)
        for _ in body:
            pass
        getattr(body, "close", lambda: None)()

    for _ in range(20):
        one()
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(count):
            one()
        best = min(best, time.process_time() - started)
    return count / best


def main(paths: list[str]) -> None:
    app = clinic()
    before = per_second(hello, "/", PER_ROUND * 4)
    rows = [(path, per_second(app, path, PER_ROUND)) for path in paths]
    after = per_second(hello, "/", PER_ROUND * 4)
    ceiling = (before + after) / 2
    print(f"hello (the ceiling): {ceiling:,.0f}/s per CPU second ({before:,.0f} before, {after:,.0f} after)")
    for path, rate in rows:
        print(f"{path:45} {rate:9,.0f}/s  {rate / ceiling:6.1%}")


if __name__ == "__main__":
    main(sys.argv[1:] or PATHS)
