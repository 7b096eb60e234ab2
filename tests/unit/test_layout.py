"""The layout holds: no import circle in app/, the layers point downwards, demo data apart.

Every ``import`` and ``from … import`` of a module of ``app`` counts (module level and inside
functions alike), so a circle cannot hide in a function body.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in APP.rglob("*.py")}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of ``app`` that ``path`` imports (``from pkg import mod`` resolves to the module)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = _module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in modules:
                    found.add(sub)
                elif target in modules:
                    found.add(target)
    found.discard(own)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one import circle, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_circle_in_app() -> None:
    """No module of app/ reaches itself again through its imports."""
    circle = _cycle(_graph())
    assert circle is None, "Import-Kreis: " + " -> ".join(circle or [])


def test_cycle_finder_finds_a_circle() -> None:
    """The finder itself works (a test that cannot fail proves nothing)."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("layer", ["app.services", "app.security", "app.models", "app.datamodel"])
def test_lower_layers_never_import_views(layer: str) -> None:
    """Services, security and models sit below the views and never import them."""
    offenders = {
        name: sorted(i for i in imports if i == "app.views" or i.startswith("app.views."))
        for name, imports in _graph().items()
        if name == layer or name.startswith(layer + ".")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_domain_module_imports_demo_code() -> None:
    """Demo data lives in app/demo and is imported only by the CLI that loads it."""
    allowed = {"app.cli"}
    offenders = {
        name: sorted(i for i in imports if i == "app.demo" or i.startswith("app.demo."))
        for name, imports in _graph().items()
        if not name.startswith("app.demo") and name not in allowed
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_services_are_grouped_by_domain() -> None:
    """app/services holds domain packages plus a few shared modules, nothing else."""
    shared = {
        "__init__.py",
        "bundle.py",
        "catalogues.py",
        "errors.py",
        "export_safety.py",
        "organisations.py",
        "record_payloads.py",
        "setup.py",
    }
    loose = {p.name for p in (APP / "services").glob("*.py")} - shared
    assert loose == set(), f"Modul ohne Domäne in app/services: {sorted(loose)}"


#: modules that may call ``strptime``/``fromisoformat`` — none of them on a date a user, a client
#: or a file gave: those all go through app/dates.py
DATE_PARSING_ALLOWED = {
    "app/dates.py": "the one parser of German, ISO and spreadsheet dates",
    "app/services/bundle.py": "reads values back from the database (SQLite returns text)",
    "app/security/views.py": "checks a FAB search-filter date-time value (FAB reads it as ISO)",
}
_DATE_PARSING = re.compile(r"\b(?:strptime|fromisoformat)\s*\(|date\(\s*1899\s*,")


def _date_parsers(root: Path) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).as_posix()
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _DATE_PARSING.search(line.split("#")[0]):
                found.setdefault(rel, []).append(no)
    return found


def test_dates_are_parsed_in_one_module() -> None:
    """Only app/dates.py turns a given text or number into a date (German messages, no shift)."""
    offenders = {k: v for k, v in _date_parsers(APP).items() if k not in DATE_PARSING_ALLOWED}
    assert offenders == {}, f"Datum außerhalb von app/dates.py gelesen: {offenders}"


def test_date_parser_finder_finds_a_parser(tmp_path: Path) -> None:
    """The finder itself works: a strptime or fromisoformat call is found, a word is not."""
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "x.py").write_text(
        "a = dt.datetime.strptime(t, f)\nb = dt.date.fromisoformat(t)\n"
        "c = 'strptime'\nd = dt.date(1899, 12, 30)\n",
        encoding="utf-8",
    )
    assert _date_parsers(pkg) == {"app/x.py": [1, 2, 4]}


#: modules over the limit that the one-door work is splitting (each entry leaves with its split)
OVER_LIMIT_ALLOWED = {"app/views/intake.py"}
MAX_LINES = 700


def test_no_module_of_app_is_over_700_lines() -> None:
    """A module of app/ stays readable: at most 700 lines."""
    long = {
        p.relative_to(ROOT).as_posix(): n
        for p in APP.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert {k: v for k, v in long.items() if k not in OVER_LIMIT_ALLOWED} == {}
    assert set(long) >= OVER_LIMIT_ALLOWED, "Modul ist kurz genug: aus der Ausnahmeliste nehmen"


#: the records with one door: model -> the service modules that may write it
RECORD_DOORS = {
    "ContactNote": {"app.services.casefile.notes"},
    "ContactNoteTopic": {"app.services.casefile.notes"},
    "GroupSession": {"app.services.casefile.contacts"},
    "Referral": {"app.services.casefile.follow_ups", "app.services.casefile.notes"},
    "FollowUp": {
        "app.services.casefile.follow_ups",
        # a note's follow-up is written with the note, in its transaction
        "app.services.casefile.notes",
        # the monitoring follow-ups of a case are rows of the case-management workflow
        "app.services.case_management.workflow",
    },
}
_WRITE_CALLS = {"insert", "update", "delete"}


def _record_writes(path: Path) -> list[tuple[str, int]]:
    """(model, line) of every construction of a record or Core write on its table in ``path``."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in RECORD_DOORS:
            found.append((name, node.lineno))
        elif name in _WRITE_CALLS and node.args:
            target = node.args[0]
            if isinstance(target, ast.Attribute) and target.attr == "__table__":
                target = target.value
            if isinstance(target, ast.Name) and target.id in RECORD_DOORS:
                found.append((target.id, node.lineno))
    return found


def test_records_are_written_only_by_their_domain_service() -> None:
    """A contact note, group session, referral or follow-up is created or written with a Core
    statement only in its domain service — never in a view, an API or another service."""
    offenders = []
    for name, path in _modules().items():
        if not (name.startswith("app.views") or name.startswith("app.services")):
            continue
        for model, line in _record_writes(path):
            if name not in RECORD_DOORS[model]:
                offenders.append(f"{path.relative_to(ROOT)}:{line} schreibt {model}")
    assert offenders == []


def test_record_write_finder_finds_writes(tmp_path: Path) -> None:
    """The finder sees constructions and Core writes (a check that cannot fail proves nothing)."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "db.session.add(ContactNote(summary='x'))\n"
        "db.session.execute(insert(Referral.__table__), rows)\n"
        "db.session.execute(update(FollowUp).values(title='y'))\n"
        "select(GroupSession)\n",
        encoding="utf-8",
    )
    assert _record_writes(sample) == [("ContactNote", 1), ("Referral", 2), ("FollowUp", 3)]


# -- person-owned records are written only by the domain services ---------------------------
def _person_owned_models() -> set[str]:
    """Person and every PersonOwned model (the case file and everything that belongs to it)."""
    from app.extensions import db
    from app.models.base import PersonOwned

    names = {"Person"}
    for mapper in db.Model.registry.mappers:
        if issubclass(mapper.class_, PersonOwned):
            names.add(mapper.class_.__name__)
    return names


#: places outside app/services that may write a person-owned row, each with its reason
PERSON_WRITES_ALLOWED: dict[str, str] = {}
#: the code that must not write person-owned rows itself: the doors
_DOOR_CODE = ("app/views", "app/security", "app/cli.py")
#: calls that return a person-owned row the caller then holds (the row scope applies)
_ROW_GETTERS = {"_person_or_404", "visible_row", "get", "get_or_404", "scalar_one", "one"}


def _annotation_names(node: ast.AST | None) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} if node is not None else set()


def _person_writes(path: Path, models: set[str]) -> list[tuple[str, int]]:
    """(what, line) of every write of a person-owned row in ``path``: a construction, a Core
    insert/update/delete, ``db.session.delete``/``merge`` of a held row, and an attribute
    assignment or ``setattr`` on a variable that holds one. A variable holds a row when it is
    annotated with the model, built from it or got with ``_person_or_404``/``db.session.get``.
    """
    found: list[tuple[str, int]] = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    scopes = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in models:
            found.append((f"{name}(…)", node.lineno))
        elif name in _WRITE_CALLS and node.args:
            target = node.args[0]
            if isinstance(target, ast.Attribute) and target.attr == "__table__":
                target = target.value
            if isinstance(target, ast.Name) and target.id in models:
                found.append((f"{name}({target.id})", node.lineno))
    for scope in scopes:
        held: set[str] = set()
        args = [*scope.args.posonlyargs, *scope.args.args, *scope.args.kwonlyargs]
        for arg in args:
            if _annotation_names(arg.annotation) & models:
                held.add(arg.arg)
        for node in ast.walk(scope):
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if _annotation_names(node.annotation) & models:
                    held.add(node.target.id)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                call = node.value
                fname = (
                    call.func.id
                    if isinstance(call.func, ast.Name)
                    else getattr(call.func, "attr", None)
                )
                first = call.args[0] if call.args else None
                gets_row = fname == "_person_or_404" or (
                    fname in _ROW_GETTERS and isinstance(first, ast.Name) and first.id in models
                )
                if fname in models or gets_row:
                    held.update(t.id for t in node.targets if isinstance(t, ast.Name))
        for node in ast.walk(scope):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            for t in targets:
                if (
                    isinstance(t, ast.Attribute)
                    and isinstance(t.value, ast.Name)
                    and t.value.id in held
                ):
                    found.append((f"{t.value.id}.{t.attr} =", node.lineno))
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                fname = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                first = node.args[0]
                if (
                    fname in {"setattr", "delete", "merge"}
                    and isinstance(first, ast.Name)
                    and first.id in held
                ):
                    found.append((f"{fname}({first.id})", node.lineno))
    return sorted(set(found), key=lambda f: f[1])


def _door_files() -> list[Path]:
    files: list[Path] = []
    for part in _DOOR_CODE:
        target = ROOT / part
        files.extend([target] if target.suffix == ".py" else sorted(target.rglob("*.py")))
    return files


def test_person_owned_rows_are_written_only_by_services() -> None:
    """No view, API, security module or CLI command writes a person or a person-owned row
    itself: it calls the record's verb in app/services (custody sync stays in the models'
    mapper events; the demo data writes in bulk)."""
    models = _person_owned_models()
    assert {"Person", "PersonLanguage", "ContactNote", "IntegrationCourse"} <= models
    offenders = []
    for path in _door_files():
        rel = path.relative_to(ROOT).as_posix()
        for what, line in _person_writes(path, models):
            if f"{rel}:{what}" not in PERSON_WRITES_ALLOWED and rel not in PERSON_WRITES_ALLOWED:
                offenders.append(f"{rel}:{line} {what}")
    assert offenders == [], "Schreibzugriff außerhalb der Domänendienste"


def test_person_write_finder_finds_writes(tmp_path: Path) -> None:
    """The finder sees constructions, Core writes, held rows changed or deleted — and not a
    read or a form's attribute (a check that cannot fail proves nothing)."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def view(pk):\n"
        "    person = _person_or_404(pk)\n"
        "    person.phone = '1'\n"
        "    db.session.add(PersonLanguage(language='ar'))\n"
        "    db.session.execute(update(Person).values(phone='2'))\n"
        "    course = db.session.get(IntegrationCourse, 3)\n"
        "    setattr(course, 'end_on', None)\n"
        "    db.session.delete(course)\n"
        "    form.phone.data = person.phone\n"
        "    rows = select(Person)\n"
        "def hook(item: Employment) -> None:\n"
        "    item.end_on = None\n",
        encoding="utf-8",
    )
    models = {"Person", "PersonLanguage", "IntegrationCourse", "Employment"}
    assert [w for w, _ in _person_writes(sample, models)] == [
        "person.phone =",
        "PersonLanguage(…)",
        "update(Person)",
        "setattr(course)",
        "delete(course)",
        "item.end_on =",
    ]
