"""The English locale: template texts wrapped for the catalogue, values and texts made in code
shown in English in an English request, German unchanged in a German one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, session

from app.i18n_templates import wrap_template


# -- the wrapping of template texts (no app needed) -------------------------------------------
def test_text_nodes_attributes_and_text_literals_are_wrapped() -> None:
    out = wrap_template(
        '<dt>Geburtsdatum</dt><a title="Fallakte öffnen">x</a>'
        '{{ m.dl_row("Aktenzeichen", p.no) }}{{ "ja" if a else "nein" }}'
    )
    assert '{{ _("Geburtsdatum") }}' in out
    assert 'title="{{ _("Fallakte öffnen") }}"' in out
    assert 'm.dl_row(_("Aktenzeichen"), p.no)' in out
    assert '_("ja") if a else _("nein")' in out


@pytest.mark.parametrize(
    "source",
    [
        '{% if status == "Offen" %}x{% endif %}',  # compared
        '{{ appbuilder.sm.has_access("can_write", "Social Report") }}',  # a permission's name
        "{{ url_for('PersonView.show', pk=1) }}",
        '{{ {"Aktenzeichen": 1} }}',  # a dictionary key
        "<script>var a = 'Hallo Welt';</script>",
        "<style>.a { content: 'Seite' }</style>",
        '{{ _("Schon übersetzt") }}',
        "<p>50 % erledigt</p>",  # a per-cent sign (Jinja's new-style gettext formats)
        "{# msa: nur deutsch #}<p>Schreiben an Sie</p>",  # a letter to a client
    ],
)
def test_names_code_and_german_only_templates_stay_as_they_are(source: str) -> None:
    assert wrap_template(source) == source


def test_an_underscore_variable_does_not_hide_the_translation() -> None:
    out = wrap_template('{% set _ = q.update({"a": 1}) %}<a>Excel</a>')
    assert "{% set _msa_unused = " in out and '{{ _("Excel") }}' in out


# -- display in the request's language ---------------------------------------------------------
@pytest.fixture
def in_language(app: Flask) -> Iterator[Any]:
    contexts: list[Any] = []

    def enter(locale: str) -> None:
        ctx = app.test_request_context("/")
        ctx.push()
        contexts.append(ctx)
        session["locale"] = locale

    yield enter
    for ctx in reversed(contexts):
        ctx.pop()


def test_values_and_texts_made_in_code_in_english(in_language: Any, app: Flask) -> None:
    from app.formatting import de_month, de_number, display
    from app.i18n import named, title, translate
    from app.services import catalogues

    with app.app_context():
        in_language("en")
        assert display(True) == "yes"
        assert display(dt.date(2026, 12, 7)) == "7 Dec 2026"
        assert de_number(1234.5) == "1,234.50"
        assert de_month("2026-07") == "July 2026"
        assert translate("Personen") == "Persons"
        assert translate("Beratungsvermerk vom 05.12.2026 gespeichert.") == (
            "Contact note of 05.12.2026 saved."
        )
        assert (
            translate(
                "Der Vermerk wurde nicht gespeichert. Bitte prüfen Sie die markierten Felder."
            )
            == "The note was not saved. Please check the marked fields."
        )
        assert title("Beratungsvermerk vom 05.12.2026 – Mehmet Yıldız") == (
            "Contact note of 05.12.2026 – Mehmet Yıldız"
        )
        assert title("Aktenprüfung 4. Quartal 2026 – Caritas") == "File audit Q4 2026 – Caritas"
        assert named("nach Vereinbarung") == "nach Vereinbarung"  # free text stays
        labels = catalogues.labels("residence_status_group")
        assert labels["asylum_procedure"] == "In the asylum procedure"


def test_german_is_unchanged(in_language: Any, app: Flask) -> None:
    from app.formatting import de_number, display
    from app.i18n import title, translate
    from app.services import catalogues

    with app.app_context():
        in_language("de")
        assert display(True) == "ja"
        assert display(dt.date(2026, 12, 7)) == "07.12.2026"
        assert de_number(1234.5) == "1.234,50"
        assert translate("Personen") == "Personen"
        assert title("Beratungsvermerk vom 05.12.2026 – X") == "Beratungsvermerk vom 05.12.2026 – X"
        assert catalogues.labels("residence_status_group")["asylum_procedure"] == (
            "Im Asylverfahren"
        )


def test_the_case_file_reads_in_english_and_back_in_german(
    app: Flask, login_as: Any, factory: Any
) -> None:
    from app.security import matrix

    org = factory.make_org()
    person = factory.make_person(org, birth_date=dt.date(1990, 3, 4), file_number="MSA-990001")
    client = login_as(matrix.ROLE_CASEWORKER, org)
    client.get("/lang/en")
    page = client.get(f"/personview/show/{person.id}").get_data(as_text=True)
    assert "File number" in page and "Date of birth" in page and "4 Mar 1990" in page
    assert "Aktenzeichen" not in page and "Geburtsdatum" not in page
    client.get("/lang/de")
    page = client.get(f"/personview/show/{person.id}").get_data(as_text=True)
    assert "Aktenzeichen" in page and "04.03.1990" in page
