"""durable-rules is imported by engine.rules alone (the backend can be swapped or dropped)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ALLOWED = ROOT / "engine" / "rules"
SKIPPED_DIRS = {".venv", "venv", ".git", "build", "dist", "node_modules", "__pycache__"}
IMPORT = re.compile(r"^\s*(?:import\s+durable|from\s+durable[\w.]*\s+import)", re.MULTILINE)


def python_files() -> list[Path]:
    out = []
    for path in ROOT.rglob("*.py"):
        parts = set(path.relative_to(ROOT).parts[:-1])
        if parts & SKIPPED_DIRS or any(p.startswith(".") for p in parts):
            continue
        out.append(path)
    return out


def test_only_engine_rules_imports_durable() -> None:
    files = python_files()
    assert ROOT / "engine" / "rules" / "durable_backend.py" in files
    offenders = [
        str(path.relative_to(ROOT))
        for path in files
        if not path.is_relative_to(ALLOWED) and IMPORT.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_within_engine_rules_only_the_durable_backend_imports_it() -> None:
    importers = sorted(
        path.name for path in ALLOWED.glob("*.py") if IMPORT.search(path.read_text("utf-8"))
    )
    assert importers == ["durable_backend.py"]
