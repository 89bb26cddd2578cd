"""Command-line tasks: `flask --app clinic <command>`. Each command parses, calls a service, reports."""

import click
from flask import Flask


def register(app: Flask) -> None:
    from clinic.cli import jobs

    jobs.register(app)

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--name", required=True, help="Full name shown to colleagues.")
    @click.option("--role", type=click.Choice(["staff", "admin"]), default="staff", show_default=True)
    @click.option(
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="Prompted for when left out.",
    )
    def create_user_command(email: str, name: str, role: str, password: str) -> None:
        """Create a staff or admin account."""
        from clinic.services.accounts import two_factor, users

        try:
            user = users.create_user(email=email, name=name, role=role, password=password, actor_id=None)
        except users.AccountError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Created {user.role.value} account {user.email}")
        from clinic.services.mail.notifications import base_url

        base = base_url()
        click.echo(f"Sign in at {base}/staff/login with this email and the password given.")
        if two_factor.needs_setup(user):
            click.echo(
                "Two-factor sign-in is required: at the first sign-in the account is asked to scan a QR code "
                f"with an authenticator app ({base}/staff/account/two-factor) and keep ten recovery codes."
            )

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Create the demo admin and staff logins (printed) and a few weeks of realistic requests."""
        import os

        from clinic.cli import demo

        # The published demo logins never reach a production database (a scan seeds one): random there.
        stable = os.environ.get("CLINIC_ENV", "development") != "production"
        for line in demo.seed_demo(stable=stable):
            click.echo(line)

    @app.cli.command("demo-codes")
    def demo_codes_command() -> None:
        """Print the two-factor codes of the demo logins right now (demo accounts only)."""
        from clinic.cli import demo
        from clinic.timeutil import utcnow

        lines = demo.demo_codes(utcnow())
        if not lines:
            raise click.ClickException("No demo login with two-factor sign-in: run seed-demo first.")
        for line in lines:
            click.echo(line)

    @app.cli.command("check-tallies")
    @click.option("--fix", is_flag=True, help="Recount the tallies that disagree.")
    def check_tallies_command(fix: bool) -> None:
        """Compare the queue's request tallies with the requests; exit 1 on a difference unless --fix."""
        from clinic.services.casework import tallies

        wrong = tallies.recount() if fix else tallies.differences()
        for d in wrong:
            click.echo(f"{d.status.value}/{d.priority.value}: tally {d.kept}, requests {d.counted}")
        if not wrong:
            click.echo("The request tallies match the requests.")
        elif fix:
            click.echo(f"Recounted: {len(wrong)} tallies were wrong and now match.")
        else:
            raise click.ClickException(f"{len(wrong)} tallies disagree: run with --fix to recount them.")

    @app.cli.command("rotate-keys")
    @click.option(
        "--batch",
        type=click.IntRange(1, 10_000),
        default=500,
        show_default=True,
        help="Rows per transaction.",
    )
    def rotate_keys_command(batch: int) -> None:
        """Re-encrypt every value still under an older key with the newest key of CLINIC_DATA_KEYS.

        Resumable: only rows still under an older key are read, so a stopped run just runs again. When it
        has finished, the older keys can be removed from CLINIC_DATA_KEYS.
        """
        from tqdm import tqdm

        from clinic.services.encryption import rotation

        total = rotation.pending()
        if not total:
            click.echo("Every encrypted value is under the newest key.")
            return
        with tqdm(total=total, unit="row", desc="re-encrypting") as bar:  # on stderr
            try:
                done = rotation.rotate(batch=batch, progress=bar.update)
            except rotation.RotationFailed as problem:
                raise click.ClickException(str(problem)) from None
        left = rotation.pending()
        if left:
            raise click.ClickException(f"Re-encrypted {done} rows; {left} changed meanwhile: run it again.")
        click.echo(f"Re-encrypted {done} rows: every encrypted value is under the newest key.")

    @app.cli.command("send-reminders")
    def send_reminders_command() -> None:
        """Email patients booked within the next 24 hours, once each (safe to run from cron)."""
        from clinic.services.mail import notifications

        count = notifications.send_reminders()
        click.echo(f"Queued {count} reminder(s).")

    @app.cli.command("send-outbox")
    @click.option("--retry-now", is_flag=True, help="Retry every waiting email now, whatever its wait.")
    def send_outbox_command(retry_now: bool) -> None:
        """Retry emails that could not be sent yet (mail server down), each when its wait is over."""
        from clinic.services.mail import outbox

        sent, waiting = outbox.send_pending(retry_now=retry_now)
        click.echo(f"Sent {sent}, still waiting {waiting}.")
        given_up = outbox.failed_count()
        if given_up:
            click.echo(
                f"{given_up} email(s) could not be sent and were given up (see outbox_messages.last_error)."
            )
