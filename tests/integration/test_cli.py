"""`flask msa …` commands of INTERFACES.md."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.models import MsaUser, Organisation, Person


def test_create_organisation_and_user(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["msa", "create-organisation", "AWO Test", "--kind", "provider"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            "msa",
            "create-user",
            "anna",
            "--role",
            "Fachkraft",
            "--organisation",
            "AWO Test",
            "--fte",
            "0.5",
        ],
        env={"MSA_PASSWORD": "ein-langes-Passwort-123"},
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = app.appbuilder.sm.find_user(username="anna")
        org = Organisation.query.filter_by(name="AWO Test").one()
        assert user.organisation_id == org.id and float(user.fte) == 0.5
        assert [r.name for r in user.roles] == ["Fachkraft"]


def test_create_user_errors_are_german_and_nonzero(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["msa", "create-user", "bob", "--role", "Fachkraft", "--organisation", "Gibtsnicht"],
        env={"MSA_PASSWORD": "ein-langes-Passwort-123"},
    )
    assert result.exit_code != 0
    assert "Organisation 'Gibtsnicht' gibt es nicht" in result.output
    result = runner.invoke(
        args=["msa", "create-user", "bob", "--role", "Zauberer"],
        env={"MSA_PASSWORD": "ein-langes-Passwort-123"},
    )
    assert result.exit_code != 0 and "Unbekannte Rolle" in result.output


def test_demo_data(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["msa", "demo-data", "--persons", "40", "--seed", "3"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert Person.query.count() == 40
        assert MsaUser.query.filter_by(username="fachkraft.caritas").count() == 1
    result = runner.invoke(
        args=[
            "msa",
            "demo-data",
            "--persons",
            "10",
            "--organisation",
            "Diakonisches Werk Musterkreis",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        diakonie = Organisation.query.filter_by(name="Diakonisches Werk Musterkreis").one()
        assert Person.query.filter_by(organisation_id=diakonie.id).count() >= 10


def _flask(args: list[str], env: dict[str, str]) -> str:
    """``flask …`` in a process of its own: everything it prints, stdout and stderr."""
    import subprocess  # nosec B404 (the command under test)
    import sys
    from pathlib import Path

    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run(  # nosec B603 (fixed arguments)
        [str(flask), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_commands_print_no_framework_warnings(tmp_path: Any) -> None:
    """`flask msa …` prints its result, not FAB's or SQLAlchemy's warnings (a fresh database:
    ``init`` runs every migration, including the rebuild of the user table)."""
    import os

    env = {
        **os.environ,
        "FLASK_APP": "run.py",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "SECRET_KEY": "cli-test-" + "x" * 32,
    }
    outputs = [
        _flask(["msa", "init"], env),
        _flask(["msa", "create-organisation", "AWO Test", "--kind", "provider"], env),
    ]
    for out in outputs:
        noise = [
            line
            for line in out.splitlines()
            if "WARNING" in line or "Warning" in line or "deprecated" in line
        ]
        assert not noise, out
    assert outputs[1].strip().splitlines() == [outputs[1].strip().splitlines()[-1]]
    assert "AWO Test" in outputs[1]
