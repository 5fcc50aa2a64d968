"""The read-path benchmark's report: one run at one size must not erase what others recorded."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(
        "bench_read", ROOT / "benchmarks" / "bench_read.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_read"] = module
    spec.loader.exec_module(module)
    return module


bench_read = _load()

RESULTS = """# Benchmark results

## Calendar

calendar table

## Read path at scale

Measured yesterday.

### 10,000 reports

old 10 k table

### 1,000,000 reports

old 1 M table

## Rules

rules table
"""


def test_a_run_replaces_only_the_sizes_it_measured(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    path.write_text(RESULTS, encoding="utf-8")
    bench_read.write_section(
        "## Read path at scale\n\nMeasured today.\n\n### 10,000 reports\n\nnew 10 k table\n", path
    )
    text = path.read_text(encoding="utf-8")
    assert "Measured today." in text and "Measured yesterday." not in text
    assert "new 10 k table" in text and "old 10 k table" not in text
    assert "old 1 M table" in text
    assert text.index("### 10,000") < text.index("### 1,000,000") < text.index("## Rules")
    assert "calendar table" in text and "rules table" in text


def test_a_first_run_adds_the_section_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\n## Calendar\n\ncalendar table\n", encoding="utf-8")
    bench_read.write_section("## Read path at scale\n\nHead.\n\n### 100,000 reports\n\nt\n", path)
    text = path.read_text(encoding="utf-8")
    assert text.index("## Calendar") < text.index("## Read path at scale")
    assert text.endswith("### 100,000 reports\n\nt\n")


def test_make_bench_keeps_the_read_path_section(tmp_path: Path) -> None:
    """``make bench`` rewrites RESULTS.md from its quick benchmarks; the read path's long run
    (``make bench-read``) must survive it."""
    import run

    path = tmp_path / "RESULTS.md"
    path.write_text(RESULTS, encoding="utf-8")
    kept = run._kept_sections(path)
    assert "## Read path at scale" in kept and "old 1 M table" in kept
    assert "calendar table" not in kept and "rules table" not in kept


def test_only_picks_the_probes_named_and_refuses_a_name_that_matches_none() -> None:
    probes = bench_read.probes("PA-2026-000001", 3)
    chosen = bench_read.selected(probes, ["desk search", "PUBLIC SEARCH /ket"])
    assert [p.name for p in chosen] == ["Desk search 'ổ gà'", "Public search /ket-qua?q=ổ gà"]
    assert bench_read.selected(probes, []) == probes
    with pytest.raises(SystemExit, match="no such page"):
        bench_read.selected(probes, ["no such page"])
