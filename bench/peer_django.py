"""The peer: django-appointment's slot computation on the layout of bench/layout.py.

Runs inside its own virtualenv (bench/.scratch/peer-venv, made by bench/run.py), in a throwaway Django
project set up as the package's README says: "appointment" in INSTALLED_APPS, its URLconf included,
`makemigrations appointment` (the wheel ships no migrations), then `migrate`, on SQLite.

For 0, 200 and 2,000 existing appointments it calls `appointment.services.get_available_slots_for_staff`
once per day for 60 days from tomorrow, as the package's own views do, and prints one JSON line: the
median wall-clock and CPU time of the 60-day runs, the SQL statements of one run and the slots offered.

    bench/.scratch/peer-venv/bin/python bench/peer_django.py --tomorrow 2026-11-22 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH / ".scratch" / "peer-project"
sys.path.insert(0, str(BENCH))

import layout  # noqa: E402

SETTINGS = """\
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "throwaway-benchmark-project-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "appointment",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "peerproject.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "peer.sqlite3"}}
TIME_ZONE = "America/New_York"
USE_TZ = True
USE_I18N = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
APPOINTMENT_WEBSITE_NAME = "Peer clinic"
APPOINTMENT_SLOT_DURATION = 30
APPOINTMENT_LEAD_TIME = (8, 0)
APPOINTMENT_FINISH_TIME = (17, 30)
APPOINTMENT_BUFFER_TIME = 0
LOGGING = {"version": 1, "disable_existing_loggers": True}
"""

URLS = """\
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("appointment/", include("appointment.urls")),
]
"""


def write_project() -> None:
    package = PROJECT / "peerproject"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(SETTINGS)
    (package / "urls.py").write_text(URLS)
    database = PROJECT / "peer.sqlite3"
    if database.exists():
        database.unlink()


def setup_django() -> None:
    sys.path.insert(0, str(PROJECT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "peerproject.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("makemigrations", "appointment", verbosity=0)
    call_command("migrate", verbosity=0)


def make_clinic():
    """One 30-minute service and one staff member working Mon–Sat 08:00–17:30, plus the Config row."""
    from appointment.models import Config, Service, StaffMember, WorkingHours
    from django.contrib.auth import get_user_model

    users = get_user_model()
    Config(
        slot_duration=layout.SLOT_MINUTES,
        lead_time=layout.OPENS,
        finish_time=layout.CLOSES,
        appointment_buffer_time=0,
        website_name="Peer clinic",
    ).save()
    service = Service.objects.create(name="Initial consultation", duration=timedelta(minutes=30), price=0)
    user = users.objects.create_user(username="staff", email="staff@peer.example", first_name="Sam")
    staff = StaffMember.objects.create(
        user=user,
        slot_duration=layout.SLOT_MINUTES,
        lead_time=layout.OPENS,
        finish_time=layout.CLOSES,
        work_on_saturday=True,
    )
    staff.services_offered.add(service)
    for weekday in layout.WORKDAYS:  # the package counts weekdays from Sunday = 0
        WorkingHours.objects.create(
            staff_member=staff, day_of_week=(weekday + 1) % 7, start_time=layout.OPENS, end_time=layout.CLOSES
        )
    client = users.objects.create_user(username="client", email="client@peer.example", first_name="Pat")
    return service, staff, client


def book(tomorrow: date, count: int, service, staff, client) -> None:
    """Replace every appointment with `count` ones from the shared layout (bulk, outside the timing)."""
    from appointment.models import Appointment, AppointmentRequest

    Appointment.objects.all().delete()
    AppointmentRequest.objects.all().delete()
    requests = AppointmentRequest.objects.bulk_create(
        [
            AppointmentRequest(
                date=day,
                start_time=start,
                end_time=end,
                service=service,
                staff_member=staff,
                id_request=f"bench{i}",
            )
            for i, (day, start, end) in enumerate(layout.appointments(tomorrow, count))
        ]
    )
    Appointment.objects.bulk_create(
        [
            Appointment(
                client=client,
                appointment_request=request,
                phone="+12125550100",
                address="1 Main St",
                id_request=f"bench{i}",
            )
            for i, request in enumerate(requests)
        ]
    )


def sixty_days(days: list[date], staff, service) -> int:
    from appointment.services import get_available_slots_for_staff
    from appointment.utils.db_helpers import get_weekday_num_from_date

    offered = 0
    for day in days:
        offered += len(
            get_available_slots_for_staff(day, staff, get_weekday_num_from_date(day), service=service)
        )
    return offered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tomorrow", type=date.fromisoformat, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    write_project()
    setup_django()
    import appointment
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    service, staff, client = make_clinic()
    days = layout.days_from(args.tomorrow)
    results = []
    for count in layout.APPOINTMENT_COUNTS:
        book(args.tomorrow, count, service, staff, client)
        sixty_days(days, staff, service)  # warm-up: the package caches its Config row
        with CaptureQueriesContext(connection) as captured:
            offered = sixty_days(days, staff, service)
        timings, cpu = [], []
        for _ in range(args.repeats):
            started, started_cpu = time.perf_counter(), time.process_time()
            sixty_days(days, staff, service)
            cpu.append(time.process_time() - started_cpu)
            timings.append(time.perf_counter() - started)
        results.append(
            {
                "appointments": count,
                "median_ms": statistics.median(timings) * 1000,
                "cpu_ms": statistics.median(cpu) * 1000,
                "queries": len(captured.captured_queries),
                "offered": offered,
            }
        )
    import django

    print(
        json.dumps(
            {
                "django": django.get_version(),
                "package": getattr(appointment, "__version__", "?"),
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
