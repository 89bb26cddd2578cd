"""The import rules of ARCHITECTURE.md, read from the source: each room imports only what it may.

- The cores (clinic/scheduling, clinic/triage) import the standard library and each other only: no Flask,
  no SQLAlchemy, no other part of the app.
- Blueprints (clinic/<area>/) never write to the database: no db.session.add/commit/…, no insert, update
  or delete statement. They read, parse, call a service and respond.
- Services never touch the request: no flask.request, session, flash or flask_login.current_user.
- Models and services never import a blueprint; services live in domain packages, each module with its
  test module under tests/services/.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLINIC = ROOT / "clinic"
CORES = ("scheduling", "triage")
BLUEPRINTS = ("public", "booking", "intake", "checkins", "auth", "staff", "admin", "api")
SESSION_WRITES = {
    "add",
    "add_all",
    "delete",
    "commit",
    "flush",
    "merge",
    "bulk_save_objects",
    "bulk_insert_mappings",
    "bulk_update_mappings",
}
WRITE_STATEMENTS = {"insert", "update", "delete"}
REQUEST_STATE = {
    ("flask", "request"),
    ("flask", "session"),
    ("flask", "flash"),
    ("flask_login", "current_user"),
}


def modules(*parts: str) -> list[Path]:
    return sorted((CLINIC.joinpath(*parts)).rglob("*.py"))


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imports(path: Path) -> Iterator[tuple[str, str | None]]:
    """(module, name) for every import in the file, at any depth; name None for `import module`."""
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                yield node.module, alias.name


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("core", CORES)
def test_the_cores_import_no_flask_no_sqlalchemy_and_no_other_room(core):
    allowed = {f"clinic.{name}" for name in CORES}
    found = []
    for path in modules(core):
        for module, _ in imports(path):
            top = module.split(".")[0]
            if top in {"flask", "sqlalchemy", "werkzeug", "jinja2"} or top.startswith("flask_"):
                found.append(f"{rel(path)}: {module}")
            elif top == "clinic" and ".".join(module.split(".")[:2]) not in allowed:
                found.append(f"{rel(path)}: {module}")
    assert found == []


def session_writes(path: Path) -> Iterator[str]:
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Attribute) and node.attr in SESSION_WRITES:
            owner = node.value
            if isinstance(owner, ast.Attribute) and owner.attr == "session":
                yield f"{rel(path)}:{node.lineno}: session.{node.attr}"
    for module, name in imports(path):
        if module in {"sqlalchemy", "sqlalchemy.sql"} and name in WRITE_STATEMENTS:
            yield f"{rel(path)}: imports sqlalchemy.{name}"


@pytest.mark.parametrize("area", BLUEPRINTS)
def test_blueprints_never_write_to_the_database(area):
    assert [write for path in modules(area) for write in session_writes(path)] == []


def test_the_write_check_sees_a_write():
    sample = CLINIC / "services" / "casework" / "cases.py"  # a service that writes, through the session
    assert any("session.add" in write for write in session_writes(sample))


def request_state(path: Path) -> Iterator[str]:
    for module, name in imports(path):
        if (module, name) in REQUEST_STATE:
            yield f"{rel(path)}: from {module} import {name}"
    for node in ast.walk(tree(path)):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (node.value.id, node.attr) in REQUEST_STATE
        ):
            yield f"{rel(path)}:{node.lineno}: {node.value.id}.{node.attr}"


def test_services_never_touch_the_request():
    assert [found for path in modules("services") for found in request_state(path)] == []


def test_the_request_check_sees_the_request():
    sample = CLINIC / "staff" / "routes.py"  # a view, which may
    assert any("current_user" in found for found in request_state(sample))


@pytest.mark.parametrize("room", ["models", "services", *CORES])
def test_nothing_below_the_blueprints_imports_one(room):
    blueprints = {f"clinic.{area}" for area in BLUEPRINTS}
    found = [
        f"{rel(path)}: {module}"
        for path in modules(room)
        for module, _ in imports(path)
        if ".".join(module.split(".")[:2]) in blueprints
    ]
    assert found == []


def test_services_live_in_domain_packages_each_module_with_its_tests():
    services = CLINIC / "services"
    assert sorted(p.name for p in services.glob("*.py")) == ["__init__.py"]
    untested = [
        rel(path)
        for path in sorted(services.glob("*/*.py"))
        if path.name != "__init__.py"
        and not (ROOT / "tests" / "services" / path.parent.name / f"test_{path.name}").is_file()
    ]
    assert untested == []


def test_models_import_no_service():
    found = [
        f"{rel(path)}: {module}"
        for path in modules("models")
        for module, _ in imports(path)
        if module.startswith("clinic.services")
    ]
    assert found == []
