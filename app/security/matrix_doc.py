"""Render the roles × permissions matrix as a Markdown table (docs/security.md).

``python -m app.security.matrix_doc`` prints the table, ``… --write`` updates
docs/security.md; a test checks the document holds the current table.
"""

from __future__ import annotations

from app.security import matrix

BEGIN = "<!-- matrix:begin (python -m app.security.matrix_doc) -->"
END = "<!-- matrix:end -->"


def _cell(perms: frozenset[str]) -> str:
    if "can_write" in perms:
        return "lesen + schreiben"
    if "can_read" in perms:
        return "lesen"
    return "–"


def markdown_table() -> str:
    """Return the resource table and the menu table of the matrix."""
    resources = sorted({r for perms in matrix.RESOURCES.values() for r in perms})
    roles = list(matrix.MSA_ROLES)
    lines = [
        f"Matrix-Version {matrix.MATRIX_VERSION}. Admin (FAB) hat alle Rechte.",
        "",
        "| Ressource | " + " | ".join(roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for res in resources:
        cells = [_cell(matrix.RESOURCES.get(role, {}).get(res, frozenset())) for role in roles]
        lines.append(f"| {res} | " + " | ".join(cells) + " |")
    lines += ["", "| Menü | " + " | ".join(roles) + " |", "|---|" + "---|" * len(roles)]
    menus = sorted({m for ms in matrix.MENUS.values() for m in ms})
    for menu in menus:
        cells = ["ja" if menu in matrix.MENUS.get(role, frozenset()) else "–" for role in roles]
        lines.append(f"| {menu} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Alle Rollen: eigenes Profil, eigenes Passwort, Zwei-Faktor-Anmeldung (Selbstbedienung).",
        "Kreis-Admin zusätzlich: Benutzerverwaltung (anlegen, bearbeiten, Passwörter "
        "zurücksetzen).",
    ]
    return "\n".join(lines)


def block() -> str:
    """Return the table between its markers, as it appears in docs/security.md."""
    return f"{BEGIN}\n{markdown_table()}\n{END}"


def write(path: str = "docs/security.md") -> None:
    """Replace the table between the markers in ``path``."""
    from pathlib import Path

    doc = Path(path)
    text = doc.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(head + block() + tail, encoding="utf-8")


if __name__ == "__main__":
    import sys

    if "--write" in sys.argv:
        write()
    else:
        print(block())
