"""The domain stays the domain: nothing under ``engine/`` imports Flask or any web framework."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import engine

ENGINE = Path(engine.__file__).resolve().parent
WEB = ("flask", "flask_admin", "flask_migrate", "flask_babel", "werkzeug", "wtforms")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_engine_module_imports_a_web_framework() -> None:
    offenders = {
        str(path.relative_to(ENGINE.parent)): sorted(imported_modules(path) & set(WEB))
        for path in ENGINE.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_the_whole_engine_loads_no_web_framework() -> None:
    modules = [m.name for m in pkgutil.walk_packages([str(ENGINE)], prefix="engine.")]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {WEB!r}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
