"""`flask --app clinic run-jobs`: every time-driven job in one command, safe from cron every minute."""

import click
from flask import Flask

from clinic.services.jobs import run_all
from clinic.timeutil import utcnow


def register(app: Flask) -> None:
    @app.cli.command("run-jobs")
    def run_jobs_command() -> None:
        """Run every time-driven job once (reminders, driver confirmations, outbox retries); any number of
        hosts may run it in the same minute: each item is claimed in the database and done once."""
        results = run_all(now=utcnow())
        for result in results:
            state = "failed, will retry next run" if result.failed else f"{result.count}"
            click.echo(f"{result.job.description}: {state}")
        if any(result.failed for result in results):
            raise click.exceptions.Exit(1)
