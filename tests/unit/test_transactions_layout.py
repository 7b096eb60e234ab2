"""One transaction shape: services and views commit through ``unit_of_work`` only.

A verb opens ``with unit_of_work():`` (app/services/errors.py), which commits on success and
rolls back on any error; nothing in app/services or app/views calls ``<session>.commit()`` by
hand. The allow-list below names what is left and why, with the number of hand commits each
file still has: the list may only shrink. Also: case management and the statistics talk
through plain function calls — no service reaches into the views, and neither package keeps a
registry of callables that someone else (a view) has to fill in.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = (ROOT / "app" / "services", ROOT / "app" / "views")

#: file -> (hand commits it may still have, why)
ALLOWED: dict[str, tuple[int, str]] = {
    "app/services/errors.py": (1, "unit_of_work itself: the one commit of every verb"),
    # the case-file records are being moved to their verbs by the case-file work
    "app/services/casefile/sensitive.py": (1, "special categories, owned by the case-file work"),
    # intake and movement across providers: handovers, shares, imports, their views
    "app/services/intake/duplicates.py": (1, "intake, owned by the intake work"),
    "app/services/intake/handover.py": (3, "intake, owned by the intake work"),
    "app/services/intake/sharing.py": (2, "intake, owned by the intake work"),
    "app/services/intake/expiry.py": (1, "intake, owned by the intake work"),
    "app/services/intake/assignment_import.py": (1, "intake, owned by the intake work"),
    "app/views/intake.py": (4, "intake pages, owned by the intake work"),
    # housing: social reports and move procedures
    "app/services/housing/social_report.py": (4, "housing, owned by the housing work"),
    "app/services/housing/move_procedure.py": (2, "housing, owned by the housing work"),
}


def _files() -> list[Path]:
    return sorted(p for layer in LAYERS for p in layer.rglob("*.py"))


def _hand_commits(path: Path) -> list[int]:
    """Lines that call ``<something>.session.commit()`` or ``session.commit()``."""
    lines: list[int] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "commit":
            continue
        target = node.func.value
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "session":
            lines.append(node.lineno)
    return lines


def test_the_scanner_finds_a_hand_commit(tmp_path: Path) -> None:
    """The scanner sees the spellings in use (and not a commit of something else)."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(db, self, session, repo):\n"
        "    db.session.commit()\n"
        "    self.session.commit()\n"
        "    session.commit()\n"
        "    repo.commit()\n",
        encoding="utf-8",
    )
    assert _hand_commits(sample) == [2, 3, 4]


def test_no_hand_commit_outside_unit_of_work_and_the_allow_list() -> None:
    """Every commit of a service or a view is the unit of work's; the allow-list only shrinks."""
    offenders: list[str] = []
    for path in _files():
        rel = path.relative_to(ROOT).as_posix()
        lines = _hand_commits(path)
        allowed = ALLOWED.get(rel, (0, ""))[0]
        if len(lines) > allowed:
            offenders.append(f"{rel}: {len(lines)} commit(s) by hand (lines {lines})")
    assert not offenders, (
        "Schreibt mit unit_of_work (app/services/errors.py) statt von Hand zu committen:\n"
        + "\n".join(offenders)
    )


@pytest.mark.parametrize("rel", sorted(ALLOWED))
def test_allow_list_names_existing_files(rel: str) -> None:
    """An entry of a file that no longer exists (or commits no more) is removed."""
    path = ROOT / rel
    assert path.exists(), f"{rel} gibt es nicht mehr: Eintrag entfernen"
    if rel != "app/services/errors.py":
        assert _hand_commits(path), f"{rel} committet nicht mehr von Hand: Eintrag entfernen"


def test_unit_of_work_commits_once() -> None:
    """The one allowed commit of errors.py sits in unit_of_work."""
    tree = ast.parse((ROOT / "app/services/errors.py").read_text(encoding="utf-8"))
    (uow,) = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "unit_of_work"
    ]
    assert len(_hand_commits(ROOT / "app/services/errors.py")) == 1
    inside = [n.lineno for n in ast.walk(uow) if isinstance(n, ast.Call)]
    assert set(_hand_commits(ROOT / "app/services/errors.py")) <= set(inside)


STATISTICS_AND_CM = (
    ROOT / "app" / "services" / "statistics",
    ROOT / "app" / "services" / "case_management",
)


def test_services_never_import_the_views() -> None:
    """Statistics and case management talk through plain function calls of app/services: no
    service reaches into app/views (where a hook set by a view would live)."""
    offenders: list[str] = []
    for path in sorted((ROOT / "app" / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno}"
                for name in names
                if name == "app.views" or name.startswith("app.views.")
            ]
    assert not offenders, offenders


def test_no_hook_registry_between_case_management_and_statistics() -> None:
    """No ``register_…``/``set_…`` function that stores a callable for later and no module-level
    dict or list of callables in the statistics or case-management services."""
    offenders: list[str] = []
    for package in STATISTICS_AND_CM:
        for path in sorted(package.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:
                if isinstance(node, ast.FunctionDef) and node.name.startswith(
                    ("register_", "set_", "install_")
                ):
                    offenders.append(f"{path.relative_to(ROOT)}: {node.name}")
                if isinstance(node, ast.AnnAssign) and "Callable" in ast.unparse(node.annotation):
                    offenders.append(f"{path.relative_to(ROOT)}: {ast.unparse(node.target)}")
    assert not offenders, offenders
