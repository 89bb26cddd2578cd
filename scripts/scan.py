"""`make scan`: a Wapiti dynamic scan of the app on 127.0.0.1 with demo data.

It migrates a scratch SQLite database, seeds the demo data and an admin for the scan, serves the app with
gunicorn (production settings, except plain HTTP on the loopback and no rate limit, so that attacks reach the
validators), signs in through the real login form, and runs Wapiti with a time limit. The JSON report is
summarised by severity into docs/security-scan.md. Exit status 1 on any high or critical finding, or on any
500 the scan provoked.
"""

import argparse
import base64
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "scan-report"
DOC = ROOT / "docs" / "security-scan.md"
VENV_BIN = Path(sys.executable).parent
SCAN_EMAIL = "scanner@clinic.example"
MODULES = [
    "xss",
    "permanentxss",
    "sql",
    "blindsql",
    "exec",
    "file",
    "crlf",
    "redirect",
    "csrf",
    "http_headers",
    "csp",
    "cookieflags",
    "methods",
    "backup",
    "htaccess",
    "xxe",
    "shellshock",
]  # no ssrf (it needs wapiti's public endpoint), no nikto or buster (wordlists of other products)
LEVELS = {4: "critical", 3: "high", 2: "medium", 1: "low", 0: "info"}
# Excluded from the crawl: signing out (the scan would lose its session) and account management (it could
# reset its own password or deactivate itself, which also ends the session; wrong current passwords would
# pause the account).
EXCLUDED = ["/staff/logout", "/admin/staff*", "/staff/account/*"]
# Where the crawl starts besides "/": the public site does not link to the staff and admin areas, and the API
# is only reached with its query string.
START = [
    "/staff/login",
    "/staff/",
    "/staff/schedule?view=week",
    "/admin/hours",
    "/admin/closures",
    "/admin/settings",
    "/admin/audit",
    "/api/v1/availability?start=2026-01-05&days=7",
    "/healthz",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scan_env(database: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLINIC_", "GUNICORN_")) and k != "DATABASE_URL"
    }
    env.update(
        CLINIC_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        CLINIC_DATA_KEYS=base64.b64encode(secrets.token_bytes(32)).decode(),
        CLINIC_INDEX_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        DATABASE_URL=f"sqlite:///{database}",
        CLINIC_INSTANCE_PATH=str(OUT / "instance"),
        CLINIC_FORCE_HTTPS="false",  # plain HTTP on the loopback only
        CLINIC_SESSION_COOKIE_SECURE="false",
        CLINIC_RATELIMIT_ENABLED="false",
        CLINIC_MAIL_BACKEND="dummy",
        CLINIC_BASE_URL="http://127.0.0.1",
    )
    return env


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "clinic", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def prepare_database(env: dict[str, str], password: str) -> None:
    upgraded = flask(env, "db", "upgrade")
    if upgraded.returncode:
        sys.exit(f"scan: migrations failed:\n{upgraded.stderr[-3000:]}")
    seeded = flask(env, "seed-demo")
    print("scan: demo data seeded" if seeded.returncode == 0 else "scan: no demo data (seed-demo failed)")
    created = flask(
        env, "create-user", SCAN_EMAIL, "--name", "Scan Admin", "--role", "admin", "--password", password
    )
    if created.returncode:
        print(f"scan: could not create the scan admin, scanning anonymously: {created.stderr.strip()[-300:]}")


FIND_MANAGE_LINK = """
from sqlalchemy import select
from clinic import create_app
from clinic.models import ConsultationRequest as Request
from clinic.services.booking.links import manage_token
with create_app().app_context():
    from clinic.extensions import db
    for consultation in db.session.scalars(select(Request).order_by(Request.id.desc())):
        if consultation.active_booking is not None:
            print(manage_token(consultation))
            break
"""


def a_manage_token(env: dict[str, str]) -> str | None:
    """A demo patient's manage link, so the self-service pages are scanned too."""
    result = subprocess.run(
        [sys.executable, "-c", FIND_MANAGE_LINK],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    token = result.stdout.strip().splitlines()[-1:] if result.returncode == 0 else []
    return token[0] if token else None


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("scan: gunicorn exited before it served a request")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # nosec B310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    sys.exit("scan: the app did not answer /healthz in time")


def sign_in(base: str, password: str) -> dict | None:
    """Log in through the real form; return the session in Wapiti's JSON cookie format (or None)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    try:
        page = opener.open(base + "/staff/login", timeout=10).read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if not token:
            return None
        data = urllib.parse.urlencode(
            {"csrf_token": token.group(1), "email": SCAN_EMAIL, "password": password}
        )
        response = opener.open(base + "/staff/login", data=data.encode(), timeout=10)
    except OSError as error:
        print(f"scan: sign-in failed ({error}), scanning anonymously")
        return None
    if "/staff/login" in response.url:
        print("scan: sign-in refused, scanning anonymously")
        return None
    if response.url.endswith("/staff/account/two-factor") and not set_up_two_factor(opener, base, response):
        print("scan: two-factor setup failed, scanning anonymously")
        return None
    cookies = {
        c.name: {"value": c.value, "expires": None, "secure": False, "port": None, "version": 0} for c in jar
    }
    return {"127.0.0.1": {"/": cookies}}


def set_up_two_factor(opener, base: str, response) -> bool:
    """A new admin must set up two-factor sign-in before any page opens: do it as a person would, reading
    the key from the page and typing the code an authenticator app would show."""
    import pyotp

    page = response.read().decode()
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', page)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if not secret or not token:
        return False
    data = urllib.parse.urlencode({"csrf_token": token.group(1), "code": pyotp.TOTP(secret.group(1)).now()})
    try:
        done = opener.open(base + "/staff/account/two-factor", data=data.encode(), timeout=10)
    except OSError:
        return False
    return done.status == 200 and "recovery-codes" in done.read().decode()


# Debian's Wapiti 3.0.4 builds its `-x` exclusion patterns with a trailing inline flag, which Python 3.11
# refuses (the scan then crashes): run it with that one function replaced.
WAPITI = r"""
import re, sys
from importlib.metadata import distribution
import wapitiCore.net.crawler as crawler

def wildcard_translate(pattern):
    return re.compile("(?ms)" + ".*".join(re.escape(part) for part in pattern.split("*")) + r"\Z")

crawler.wildcard_translate = wildcard_translate
entries = distribution("wapiti3").entry_points
entry = next(e for e in entries if e.group == "console_scripts" and e.name == "wapiti")
sys.argv[0] = "wapiti"
sys.exit(entry.load()())
"""


def run_wapiti(
    base: str, cookie_file: Path | None, max_scan_time: int, report: Path, extra_start: list[str]
) -> int:
    options = ["-u", base + "/", "--scope", "folder", "-m", ",".join(MODULES)]
    options += ["--max-scan-time", str(max_scan_time), "--max-attack-time", str(max(30, max_scan_time // 6))]
    options += ["--max-links-per-page", "40", "--max-files-per-dir", "12", "-d", "4", "-t", "10"]
    options += ["--flush-session", "--store-session", str(OUT / "session"), "--no-bugreport", "-v", "1"]
    options += ["-f", "json", "-o", str(report)]
    for path in EXCLUDED:
        options += ["-x", base + path]
    for path in START + extra_start:
        options += ["-s", base + path]
    if cookie_file is not None:
        options += ["-c", str(cookie_file)]
    print("scan: wapiti " + re.sub(r"/appointments/[^/\s]+", "/appointments/[token]", " ".join(options)))
    with open(OUT / "wapiti.log", "w", encoding="utf-8") as log:
        return subprocess.run(
            ["/usr/bin/python3", "-c", WAPITI, *options],
            cwd=OUT,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=max_scan_time + 600,
        ).returncode


def findings(report: dict) -> list[dict]:
    found = []
    for kind in ("vulnerabilities", "anomalies"):
        for category, items in (report.get(kind) or {}).items():
            for item in items:
                found.append(
                    {
                        "kind": kind,
                        "category": category,
                        "level": int(item.get("level") or 0),
                        "method": item.get("method", ""),
                        "path": item.get("path", ""),
                        "parameter": item.get("parameter", ""),
                        "info": item.get("info", ""),
                    }
                )
    return found


def is_server_error(item: dict) -> bool:
    return item["kind"] == "anomalies" and "internal server error" in item["category"].lower()


# Findings this set-up produces by design, and why they do not apply to the deployed app.
EXPECTED = {
    "X-XSS-Protection": "deliberately not sent: the header is obsolete (browsers removed the filter, which "
    "could leak data); a Content-Security-Policy without inline script protects instead",
    "Strict-Transport-Security": "HSTS is sent on HTTPS responses only; production runs behind TLS "
    "(FORCE_HTTPS), while this scan speaks plain HTTP to 127.0.0.1",
    "Secure flag": "the scan turns the session cookie's Secure flag off to use plain HTTP on the loopback; "
    "production sets Secure (SESSION_COOKIE_SECURE)",
}


def crawled_paths() -> list[str]:
    """The distinct paths Wapiti explored, from its log (query strings and ids folded)."""
    log = OUT / "wapiti.log"
    if not log.is_file():
        return []
    paths = set()
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = re.match(r"\[\+\] (?:GET |POST )?https?://[^/\s]+(/[^?\s]*)", line)
        if match:
            path = re.sub(r"/appointments/[^/]+", "/appointments/<token>", match.group(1))
            paths.add(re.sub(r"/\d+(?=/|$)", "/<id>", path))
    return sorted(paths)


def explanation(item: dict) -> str:
    return next((why for key, why in EXPECTED.items() if key.lower() in item["info"].lower()), "")


def summary_markdown(
    found: list[dict], authenticated: bool, seconds: float, modules: list[str], max_scan_time: int
) -> str:
    by_level = Counter(
        LEVELS.get(item["level"], str(item["level"])) for item in found if item["kind"] == "vulnerabilities"
    )
    errors = [item for item in found if is_server_error(item)]
    lines = [
        "# Dynamic security scan (Wapiti)",
        "",
        f"Run by `make scan` (scripts/scan.py) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with Debian's "
        f"{wapiti_version()}, against the app served by gunicorn on 127.0.0.1 with the demo data, "
        f"{'signed in as an admin' if authenticated else 'anonymously'}, in {seconds:.0f} s "
        f"(limit {max_scan_time} s).",
        "",
        f"Modules: {', '.join(modules)}.",
        "",
        f"Paths explored and attacked ({len(crawled := crawled_paths())}): "
        + ", ".join(f"`{path}`" for path in crawled)
        + ".",
        "",
        "| severity | findings |",
        "| --- | --- |",
        *(f"| {name} | {by_level.get(name, 0)} |" for name in ("critical", "high", "medium", "low", "info")),
        f"| server errors (500) provoked | {len(errors)} |",
        "",
    ]
    if found:
        lines += [
            "## Findings",
            "",
            "| severity | category | request | parameter | what Wapiti says | assessment |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for item in sorted(found, key=lambda i: (-i["level"], i["category"], i["path"])):
            severity = LEVELS.get(item["level"], str(item["level"]))
            info = " ".join(item["info"].split()).replace("|", "\\|")[:160]
            lines.append(
                f"| {severity} | {item['category']} | `{item['method']} {item['path']}` "
                f"| {item['parameter'] or '-'} | {info} | {explanation(item) or 'to review'} |"
            )
        lines.append("")
    else:
        lines += ["No vulnerability and no anomaly was reported.", ""]
    lines += [
        "The scan fails (exit status 1) on any high or critical finding and on any 500 it provokes.",
        "The full JSON report and Wapiti's log stay in `scan-report/` (not committed).",
        "",
    ]
    return "\n".join(lines)


def wapiti_version() -> str:
    result = subprocess.run(["wapiti", "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"Wapiti[- ]\S+", result.stdout + result.stderr)
    return match.group(0) if match else "Wapiti"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-scan-time", type=int, default=int(os.environ.get("SCAN_MAX_TIME", "480")))
    parser.add_argument("--anonymous", action="store_true", help="do not sign in")
    parser.add_argument(
        "--summarise-only", action="store_true", help="re-read scan-report/ instead of scanning"
    )
    args = parser.parse_args()
    report_path = OUT / "wapiti.json"
    if args.summarise_only:
        meta = json.loads((OUT / "meta.json").read_text(encoding="utf-8"))
        found = findings(json.loads(report_path.read_text(encoding="utf-8")))
        return summarise(found, meta["authenticated"], meta["seconds"], meta["max_scan_time"])
    if not shutil.which("wapiti"):
        print("scan: wapiti is not installed (apt-get install -y wapiti)")
        return 2
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    env = scan_env(OUT / "scan.db")
    password = secrets.token_urlsafe(24)
    prepare_database(env, password)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2"}
    with open(OUT / "gunicorn.log", "w", encoding="utf-8") as server_log:
        server = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "clinic:create_app()"],
            cwd=ROOT,
            env=server_env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(base, server)
            cookies = None if args.anonymous else sign_in(base, password)
            cookie_file = None
            if cookies:
                cookie_file = OUT / "cookies.json"
                cookie_file.write_text(json.dumps(cookies), encoding="utf-8")
            started = time.monotonic()
            token = a_manage_token(env)
            extra = [f"/appointments/{token}", f"/appointments/{token}/reschedule"] if token else []
            status = run_wapiti(base, cookie_file, args.max_scan_time, report_path, extra)
            seconds = time.monotonic() - started
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    if not report_path.is_file():
        print(f"scan: wapiti wrote no report (exit {status}); see {OUT / 'wapiti.log'}")
        return 2
    meta = {"authenticated": cookies is not None, "seconds": seconds, "max_scan_time": args.max_scan_time}
    (OUT / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    found = findings(json.loads(report_path.read_text(encoding="utf-8")))
    return summarise(found, cookies is not None, seconds, args.max_scan_time)


def summarise(found: list[dict], authenticated: bool, seconds: float, max_scan_time: int) -> int:
    """Write docs/security-scan.md, print the summary; 1 on any high or critical finding or server error."""
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(summary_markdown(found, authenticated, seconds, MODULES, max_scan_time), encoding="utf-8")
    counts = Counter(LEVELS.get(i["level"], str(i["level"])) for i in found if i["kind"] == "vulnerabilities")
    errors = [i for i in found if is_server_error(i)]
    print(
        f"scan: {seconds:.0f}s; vulnerabilities by severity: "
        + ", ".join(f"{name} {counts.get(name, 0)}" for name in ("critical", "high", "medium", "low", "info"))
        + f"; anomalies {sum(1 for i in found if i['kind'] == 'anomalies')} (500s: {len(errors)})"
    )
    for item in found:
        print(
            f"  {item['kind']}: [{LEVELS.get(item['level'], item['level'])}] {item['category']}: "
            f"{item['method']} {item['path']} {item['parameter']}"
        )
    print(f"scan: summary written to {DOC.relative_to(ROOT)}")
    blocking = [i for i in found if i["kind"] == "vulnerabilities" and i["level"] >= 3] + errors
    if blocking:
        print(f"scan: FAILED, {len(blocking)} high/critical finding(s) or server error(s)")
        return 1
    print("scan: passed (no high or critical finding, no server error)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
