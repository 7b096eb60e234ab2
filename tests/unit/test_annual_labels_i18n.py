"""The lead's annual evaluation (page and PDF) in English: every label it prints from code is a
message of the catalogue.

The labels of the figures, the quarter's status, the commission's outcomes, the children's
places, the cooperation figures and the file-audit ratings are German strings made in code;
``_finalize`` shows them in English when the catalogue knows them. A label that is neither a
translated ``msgid`` of ``messages.po`` nor listed in ``app/i18n_code_texts.py`` (extracted by
``make translations``) stayed German in the English PDF ("Einzelberatungen/Begleitungen",
"eingereicht").
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def _translated() -> set[str]:
    with (ROOT / "app/translations/en/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh)
    return {str(m.id) for m in catalog if m.id and m.string}


def _template_status_labels() -> list[str]:
    template = (ROOT / "app/templates/documents/annual_evaluation.html").read_text("utf-8")
    match = re.search(r"set status_labels = (\{.*?\})", template)
    assert match is not None
    return list(ast.literal_eval(match.group(1)).values())


def test_every_label_of_the_annual_evaluation_is_a_message() -> None:
    from app.i18n_code_texts import TEXTS
    from app.models.housing import HARDSHIP_OUTCOME_LABELS
    from app.models.person import CHILD_PLACE_KINDS
    from app.models.retention import FINDING_RATINGS
    from app.services.cooperation import COOPERATION_FIGURE_LABELS
    from app.services.statistics.counting import FIGURE_LABELS

    labels = [
        *FIGURE_LABELS.values(),
        *HARDSHIP_OUTCOME_LABELS.values(),
        *CHILD_PLACE_KINDS.values(),
        *COOPERATION_FIGURE_LABELS.values(),
        *FINDING_RATINGS.values(),
        *_template_status_labels(),
    ]
    known = _translated() | set(TEXTS)
    missing = [label for label in labels if label not in known]
    assert not missing, f"Nicht übersetzbare Beschriftungen der Jahresauswertung: {missing}"
