"""Command-line tasks: the schema, the demo clinic, staff accounts, the email jobs, backups."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from booking.extensions import db


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema to the latest migration (safe to repeat)."""
    from flask_migrate import upgrade
    from sqlalchemy import inspect

    tables = set(inspect(db.engine).get_table_names())
    if "booking" in tables and "alembic_version" not in tables:
        raise click.ClickException(
            "This database was made before migrations existed. Back it up, then remove it "
            "(for SQLite, the file in instance/) and run init-db again."
        )
    upgrade()
    click.echo("Database ready.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo clinic, services and practitioners; outside production, also a
    fortnight of sample bookings and a demo owner and receptionist (idempotent)."""
    from booking.services.demo import seed_demo
    from booking.services.demo_fortnight import seed_fortnight

    added = seed_demo()
    click.echo("Added: " + ", ".join(added) if added else "Demo clinic already loaded.")
    for line in seed_fortnight().lines():
        click.echo(line)


@click.command("create-user")
@click.option("--email", required=True, help="Sign-in email address.")
@click.option("--role", required=True, type=click.Choice(["reception", "owner"]))
@click.option("--name", default="", help="Name shown to colleagues.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for when not given.",
)
@with_appcontext
def create_user_command(email: str, role: str, name: str, password: str) -> None:
    """Create a staff account (reception or owner)."""
    from booking.services.accounts import AccountError, create_user

    try:
        user = create_user(email, role, password, name)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.role} account for {user.email}.")


def _account(email: str):
    from booking.services.accounts import find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No staff account has the email {email.strip().lower()}.")
    return user


@click.command("unlock-user")
@click.option("--email", required=True, help="The locked account's sign-in email.")
@with_appcontext
def unlock_user_command(email: str) -> None:
    """Lift the lockout that repeated wrong passwords put on an account (audited)."""
    from booking.services.accounts import unlock

    user = _account(email)
    if unlock(user, actor=None):
        click.echo(f"Unlocked {user.email}: they can sign in again.")
    else:
        click.echo(f"{user.email} was not locked.")


@click.command("reset-password")
@click.option("--email", required=True, help="The account's sign-in email.")
@click.option(
    "--password",
    prompt="New password",
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for when not given.",
)
@with_appcontext
def reset_password_command(email: str, password: str) -> None:
    """Set a new password, lift any lockout and sign the account out everywhere (audited)."""
    from booking.services.accounts import AccountError, set_password

    user = _account(email)
    try:
        set_password(user, password, actor=None)
    except AccountError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Password changed for {user.email}; any session they had has ended.")


@click.command("reset-two-factor")
@click.option("--email", required=True, help="The account's sign-in email.")
@with_appcontext
def reset_two_factor_command(email: str) -> None:
    """Turn off two-step sign-in for an account whose phone is lost (audited)."""
    from booking.services.two_factor import reset

    user = _account(email)
    if reset(user, actor=None):
        click.echo(f"Two-step sign-in reset for {user.email}: their password alone signs them in.")
    else:
        click.echo(f"{user.email} did not have two-step sign-in on.")


@click.command("send-outbox")
@click.option(
    "--retry-failed",
    is_flag=True,
    help="First put back the messages given up on (e.g. after fixing the mail settings).",
)
@with_appcontext
def send_outbox_command(retry_failed: bool) -> None:
    """Send the emails and webhooks that are due (for cron, e.g. every minute; safe to run
    twice)."""
    from booking.services import outbox

    if retry_failed:
        click.echo(f"Put back {outbox.retry_failed()} message(s) to try again.")
    report = outbox.send_due()
    click.echo(report.summary(outbox.failed_count()))


@click.command("waitlist")
@with_appcontext
def waitlist_command() -> None:
    """Lapse unclaimed offers, remind, close old entries, offer free times down the line
    (for cron, every minute; safe to run twice or at once). Send with send-outbox."""
    from booking.services import waitlist

    click.echo(waitlist.tick().summary())


@click.command("send-reminders")
@with_appcontext
def send_reminders_command() -> None:
    """Queue reminders for appointments within BOOKING_REMINDER_HOURS, then send what is due."""
    from booking.models.base import utcnow
    from booking.services import outbox
    from booking.services.emails import queue_reminders

    queued = queue_reminders(utcnow())
    report = outbox.send_due()
    click.echo(f"Reminders: {queued} queued. {report.summary(outbox.failed_count())}")


@click.command("backup")
@click.option(
    "--to",
    "to_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the backups (made, owner-only, if missing).",
)
@click.option(
    "--keep",
    default=14,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many of the newest backups to keep there; older ones are removed.",
)
@with_appcontext
def backup_command(to_dir: Path, keep: int) -> None:
    """Copy the database while the site serves, with a SHA-256 beside it (for nightly cron)."""
    from booking.services import backups

    try:
        made = backups.backup(to_dir, keep)
    except backups.BackupError as error:
        raise click.ClickException(error.message) from error
    click.echo(
        f"Backed up to {made.path} ({_size(made.size)}, sha256 {made.sha256[:12]}, "
        f"schema {made.revision or 'unknown'}); {made.kept} backup(s) kept in {made.path.parent}."
    )


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore_command(file: Path, force: bool) -> None:
    """Check a backup's checksum and schema version, then restore it (stop the site first)."""
    from booking.services import backups

    try:
        done = backups.restore(file, force)
    except backups.BackupError as error:
        raise click.ClickException(error.message) from error
    click.echo(
        f"Restored {done.path.name} (schema {done.revision}) into {done.database}: "
        f"{done.bookings} booking(s)."
    )


@click.command("purge-expired")
@click.option(
    "--dry-run", is_flag=True, help="Only count the patients whose details would be removed."
)
@with_appcontext
def purge_expired_command(dry_run: bool) -> None:
    """Remove patients' details past the owner's retention period (for a daily cron job).

    Prints counts only, never a name.
    """
    from booking.models import ClinicSettings
    from booking.models.base import utcnow
    from booking.services import privacy

    years = db.session.execute(db.select(ClinicSettings.retention_years).limit(1)).scalar()
    if not years:
        click.echo("Retention is not set (Settings, on /admin/settings): nothing removed.")
        return
    if dry_run:
        due = len(privacy.expired_patients(utcnow(), years))
        click.echo(
            f"Would remove the details of {due} patient(s) whose last booking was "
            f"more than {years} year(s) ago."
        )
        return
    purged = privacy.purge_expired()
    click.echo(
        f"Removed the details of {purged.patients} patient(s) whose last booking was more "
        f"than {years} year(s) ago; {purged.bookings} booking(s) kept without a name."
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(purge_expired_command)
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(unlock_user_command)
    app.cli.add_command(reset_password_command)
    app.cli.add_command(reset_two_factor_command)
    app.cli.add_command(send_outbox_command)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(waitlist_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
