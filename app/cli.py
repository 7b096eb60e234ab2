"""``flask msa …`` commands (INTERFACES.md)."""

from __future__ import annotations

import json
import os
import sys
from typing import NoReturn

import click
from flask import current_app
from flask.cli import AppGroup


class _OneLineErrors(AppGroup):
    """``flask msa …``: an unexpected error is one line on stderr and exit status 1 (issue 16).

    Click's own errors (usage, abort, exit) pass through unchanged.
    """

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:
            current_app.logger.debug("msa command failed", exc_info=True)
            message = " ".join(str(exc).split())[:300] or type(exc).__name__
            if "no such table" in message or "does not exist" in message:
                message = "Datenbank nicht eingerichtet – bitte zuerst `flask msa init`."
            _fail(message)


msa_cli = _OneLineErrors("msa", help="MSA-Portal: Einrichtung, Konten, Demo-Daten, Statistik.")


def _fail(message: str) -> NoReturn:
    click.echo(f"Fehler: {message}", err=True)
    sys.exit(1)


@msa_cli.command("init")
def init_command() -> None:
    """Upgrade the schema to head, sync roles, permissions and catalogues (idempotent)."""
    from flask_migrate import upgrade

    from app.services.setup import sync_security_and_catalogues

    upgrade()
    result = sync_security_and_catalogues()
    click.echo(
        f"Schema aktuell; Rollen: {', '.join(f'{k} ({v})' for k, v in result['roles'].items())}; "
        f"neue Katalogeinträge: {result['catalogue_entries']}"
    )


@msa_cli.command("create-organisation")
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice(["county", "provider", "specialist-service"]),
    required=True,
)
def create_organisation_command(name: str, kind: str) -> None:
    """Create an organisation."""
    from app.services.organisations import DomainError, create_organisation

    try:
        org = create_organisation(name, kind)
    except DomainError as exc:
        _fail(str(exc))
    click.echo(f"Organisation {org.id}: {org.name} ({org.kind_label})")


@msa_cli.command("create-user")
@click.argument("username")
@click.option("--role", required=True)
@click.option("--organisation", default=None)
@click.option("--fte", type=float, default=1.0)
@click.option("--first-name", default=None)
@click.option("--last-name", default=None)
@click.option("--email", default=None)
@click.option(
    "--actor",
    default=None,
    help="im Auftrag dieses Kontos anlegen: dessen Vergaberegeln gelten (app/security/granting.py)",
)
def create_user_command(
    username: str,
    role: str,
    organisation: str | None,
    fte: float,
    first_name: str | None,
    last_name: str | None,
    email: str | None,
    actor: str | None,
) -> None:
    """Create a user; the password comes from MSA_PASSWORD or a prompt."""
    from app.extensions import db
    from app.models import MsaUser
    from app.services.organisations import DomainError
    from app.services.staff.accounts import create_user

    acting = None
    if actor:
        acting = db.session.query(MsaUser).filter_by(username=actor).one_or_none()
        if acting is None or not acting.active:
            _fail(f"Konto '{actor}' gibt es nicht oder es ist deaktiviert")

    password = os.environ.get("MSA_PASSWORD") or click.prompt(
        "Passwort", hide_input=True, confirmation_prompt=True
    )
    try:
        user = create_user(
            username,
            password,
            role,
            organisation=organisation,
            fte=fte,
            first_name=first_name,
            last_name=last_name,
            email=email,
            actor=acting,
        )
    except DomainError as exc:
        _fail(str(exc))
    click.echo(f"Benutzer {user.id}: {user.username} ({role})")


@msa_cli.command("send-reminders")
@click.option("--dry-run", is_flag=True, help="nur zusammenstellen und anzeigen, nichts senden")
def send_reminders_command(dry_run: bool) -> None:
    """Send each user the daily digest (MSA_SMTP_URL, MSA_MAIL_FROM; links to MSA_BASE_URL).

    Prints a JSON summary (counts and usernames, never client data).
    """
    from app.services.reminders import send_reminders
    from app.services.reminders.mail import MailConfigError

    base_url = os.environ.get("MSA_BASE_URL") or current_app.config.get(
        "MSA_BASE_URL", "http://127.0.0.1:5000"
    )
    try:
        summary = send_reminders(
            smtp_url=os.environ.get("MSA_SMTP_URL"),
            sender=os.environ.get("MSA_MAIL_FROM"),
            base_url=str(base_url),
            dry_run=dry_run,
        )
    except MailConfigError as exc:
        _fail(str(exc))
    except OSError as exc:  # connection refused, TLS, authentication
        _fail(f"E-Mail-Versand fehlgeschlagen: {exc.__class__.__name__}: {exc}")
    click.echo(json.dumps(summary, ensure_ascii=False))


@msa_cli.command("demo-data")
@click.option("--persons", type=int, default=300, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--organisation", default=None, help="all generated persons belong to it")
def demo_data_command(persons: int, seed: int, organisation: str | None) -> None:
    """Load realistic demo organisations, accounts and persons with case histories."""
    from app.demo.data import DEMO_PASSWORD, load_demo_data
    from app.services.organisations import DomainError

    try:
        summary = load_demo_data(persons=persons, seed=seed, organisation=organisation)
    except DomainError as exc:
        _fail(str(exc))
    click.echo(", ".join(f"{k}: {v}" for k, v in summary.items()))
    if current_app.config.get("DEBUG") or os.environ.get("MSA_ENV", "development") != "production":
        click.echo(f"Demo-Passwort aller Demo-Konten: {DEMO_PASSWORD}")


@msa_cli.command("purge-expired")
@click.option("--dry-run", is_flag=True, help="nur anzeigen, was vernichtet würde")
def purge_expired_command(dry_run: bool) -> None:
    """Destroy case files whose retention has ended (R-8.1); prints ids and dates only."""
    from app.services.data_protection.retention import purge_expired, report_lines

    report = purge_expired(dry_run=dry_run, actor="cli:purge-expired")
    for line in report_lines(report):
        click.echo(line)


@msa_cli.command("backup")
@click.argument("target", required=False)
def backup_command(target: str | None) -> None:
    """Back up the database (SQLite online backup API, PostgreSQL pg_dump -Fc)."""
    import datetime as dt
    from pathlib import Path

    from app.services.data_protection.backup import BackupError, backup

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if target is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        suffix = "db" if url.startswith("sqlite") else "dump"
        target = str(Path(current_app.config["BACKUP_DIR"]) / f"msa-{stamp}.{suffix}")
    try:
        path = backup(url, target)
    except BackupError as exc:
        _fail(str(exc))
    click.echo(f"Sicherung geschrieben: {path}")


@msa_cli.command("restore")
@click.argument("source")
@click.option("--yes", is_flag=True, help="ohne Rückfrage überschreiben")
def restore_command(source: str, yes: bool) -> None:
    """Restore a backup into the configured database (replaces its content)."""
    from app.extensions import db
    from app.services.data_protection.backup import BackupError, restore

    if not yes and not click.confirm(
        "Die Datenbank wird mit der Sicherung überschrieben. Fortfahren?", default=False
    ):
        _fail("abgebrochen")
    db.session.remove()
    db.engine.dispose()
    try:
        restore(source, current_app.config["SQLALCHEMY_DATABASE_URI"])
    except BackupError as exc:
        _fail(str(exc))
    click.echo(f"Sicherung {source} wiederhergestellt.")


@msa_cli.command("statistics")
@click.option("--organisation", required=True, help="Name der Organisation")
@click.option("--year", type=int, required=True)
@click.option("--quarter", type=click.IntRange(1, 4), required=True)
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv", "xlsx"]), default="json", show_default=True
)
@click.option("--live", is_flag=True, help="aktuelle Zahlen neben dem eingereichten Stand")
def statistics_command(organisation: str, year: int, quarter: int, fmt: str, live: bool) -> None:
    """Print the quarterly statistics (Anlage 1) of an organisation to stdout.

    A submitted or reviewed quarter is answered by its snapshot, as on the page and in the API.
    """
    import json

    from app.extensions import db
    from app.models import Organisation
    from app.services.statistics import counting as st
    from app.services.statistics import exports
    from app.services.statistics.periods import reported_statistics

    org = db.session.query(Organisation).filter_by(name=organisation).one_or_none()
    if org is None:
        _fail(f"Organisation '{organisation}' gibt es nicht")
    try:
        stats = reported_statistics(org.id, year, quarter, live=live)
    except st.StatisticsError as exc:
        _fail(str(exc))
    if fmt == "json":
        click.echo(json.dumps(stats, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(exports.to_csv(stats), nl=False)
    else:
        stream = click.get_binary_stream("stdout")
        stream.write(exports.to_xlsx(stats))
        stream.flush()


@msa_cli.command("refresh-statistics")
@click.option("--months", default=15, show_default=True, help="Monate bis einschließlich heute")
def refresh_statistics_command(months: int) -> None:
    """Voraggregation der Auswertungen neu berechnen (geplanter Job, docs/deployment.md)."""
    from app.services.statistics import rollup as statistics_rollup

    if months < 12:
        _fail("Mindestens 12 Monate (die Diagramme zeigen 12 Monate).")
    result = statistics_rollup.refresh(months=months)
    click.echo(
        f"Voraggregation {result.first_month} bis {result.last_month}: "
        f"{result.month_rows} Monatszeilen, {result.topic_rows} Themenzeilen, "
        f"{result.seconds:.1f} s"
    )


@msa_cli.command("letters-coverage")
def letters_coverage_command() -> None:
    """Which client letters are ready in which language: JSON kind × language → reviewed |
    unreviewed | missing (docs/letters.md)."""
    from app.services.documents.letters import coverage

    click.echo(json.dumps(coverage(), ensure_ascii=False))


@msa_cli.command("create-accommodation")
@click.argument("name")
@click.option("--organisation", required=True, help="Name des Trägers, der sie betreibt")
@click.option("--capacity", type=int, default=None)
@click.option(
    "--kind",
    type=click.Choice(["transitional-home", "shared-accommodation", "flat"]),
    default="transitional-home",
    show_default=True,
)
def create_accommodation_command(
    name: str, organisation: str, capacity: int | None, kind: str
) -> None:
    """Create an accommodation run by a provider (assignment lists name accommodations)."""
    from app.services.organisations import DomainError, create_accommodation

    try:
        acc = create_accommodation(name, organisation, capacity=capacity, kind=kind)
    except DomainError as exc:
        _fail(str(exc))
    click.echo(f"Unterkunft {acc.id}: {acc.name} ({organisation})")


@msa_cli.command("import-assignments")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Nur prüfen, nichts schreiben")
def import_assignments_command(file: str, dry_run: bool) -> None:
    """Import an assignment list (Zuweisungsliste, .xlsx or .csv); print a JSON summary."""
    import json
    from pathlib import Path

    from app.services.intake.assignment_import import ImportFileError, import_file

    path = Path(file)
    try:
        content = path.read_bytes()
    except OSError as exc:
        _fail(f"Die Datei {file} kann nicht gelesen werden ({exc.strerror}).")
    try:
        summary = import_file(content, path.name, dry_run=dry_run)
    except ImportFileError as exc:
        _fail(str(exc))
    click.echo(json.dumps(summary, ensure_ascii=False))
