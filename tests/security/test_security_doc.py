"""docs/security.md shows the current roles × permissions matrix."""

from __future__ import annotations

from pathlib import Path

from app.security import matrix_doc

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_doc_table_matches_the_matrix() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert matrix_doc.block() in text, (
        "docs/security.md ist veraltet: python -m app.security.matrix_doc --write"
    )


def test_table_names_every_role_and_resource() -> None:
    table = matrix_doc.markdown_table()
    from app.security import matrix

    for role in matrix.MSA_ROLES:
        assert role in table
    for perms in matrix.RESOURCES.values():
        for resource in perms:
            assert f"| {resource} |" in table
