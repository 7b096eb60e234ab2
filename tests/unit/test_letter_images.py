"""Visual test per script: a letter's first page, rendered, against a reviewed reference image.

The references in ``tests/data/letters/`` were looked at by a person (Latin, Arabic shaped and
right-to-left with Latin names and dates inside, Cyrillic, the Ethiopic name of Tigrinya in the
German-only notice). A change of fonts, shaping or layout shows here as changed pixels;
``MSA_UPDATE_LETTER_IMAGES=1`` writes new references, which must be looked at again.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from app.services.documents.letters import render_letter

REFERENCES = Path(__file__).resolve().parents[1] / "data" / "letters"
DATA = {
    "person": "Samir Haddad",
    "organisation": "Caritas Werder",
    "caseworker": "Anna Schulz",
    "date": dt.date(2026, 12, 15),
    "time": "10:30",
    "place": "Beratungsstelle Werder, Raum 2",
    "title": "Erstgespräch",
    "interpreter": True,
}
#: one language per script
SCRIPTS = {"fr": "Latin", "ar": "Arabic", "ru": "Cyrillic", "ti": "Ethiopic"}


def _first_page(pdf: bytes) -> Image.Image:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "letter.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", str(path), f"{tmp}/page"],
            check=True,
        )
        (png,) = Path(tmp).glob("page*.png")
        return Image.open(io.BytesIO(png.read_bytes())).convert("L")


@pytest.mark.parametrize("code", list(SCRIPTS))
def test_letter_page_matches_the_reviewed_reference(code: str) -> None:
    page = _first_page(render_letter("appointment", code, DATA, today=dt.date(2026, 12, 6)))
    reference_path = REFERENCES / f"appointment_{code}.png"
    if os.environ.get("MSA_UPDATE_LETTER_IMAGES") == "1":
        page.save(reference_path)
    reference = Image.open(reference_path).convert("L")
    assert page.size == reference.size
    diff = ImageChops.difference(page, reference)
    changed = sum(diff.point(lambda v: 255 if v > 48 else 0).histogram()[255:])
    share = changed / (page.size[0] * page.size[1])
    assert share < 0.002, f"{SCRIPTS[code]}: {share:.2%} of the page differs from the reference"
