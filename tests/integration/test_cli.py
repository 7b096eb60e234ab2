"""`flask msa …` commands of INTERFACES.md."""

from __future__ import annotations

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
