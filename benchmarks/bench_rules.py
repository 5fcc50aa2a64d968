"""Benchmark of :mod:`engine.rules`: evaluations per second, durable-rules against built-in.

``run()`` returns a Markdown section (``## Rules``). Everything is measured in this run, in this
process, single-threaded: the routing facade on each backend, the same routing done with plain
dict lookups (the baseline), the backends alone (``fire`` on prepared facts), completeness and
sector suggestion, and where durable-rules spends its time (cProfile shares, indicative). It
uses the configuration in ``config/`` when it loads, else a synthetic one of the same size.
Takes about 15 s. This file does not import durable-rules; only ``engine.rules`` does.
"""

from __future__ import annotations

import cProfile
import platform
import pstats
import sys
import time
from collections.abc import Callable, Sequence
from datetime import time as clock
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # when run as `python benchmarks/bench_rules.py`
    sys.path.insert(0, str(ROOT))

from engine.config.snapshot import (  # noqa: E402
    Agency,
    Area,
    CalendarConfig,
    Duration,
    Route,
    Sector,
    SlaConfig,
    Snapshot,
    Unit,
    WorkPeriod,
)
from engine.rules import ROUTING, RulesEngine, available_backends  # noqa: E402

TARGET = 20_000  # routing evaluations per second per process
SECONDS = 0.8  # per measurement

REPORT = {
    "name": "Nguyễn Văn A",
    "phone": "+84 912 345 678",
    "email": "nguyenvana@gmail.com",
    "content": "Rác thải đổ trộm ven kênh gây mùi hôi",
    "area": "29641",
}
TEXT = (
    "Kính gửi Trung tâm: tại đầu hẻm 12 đường Phạm Thái Bường có bãi rác tự phát, người dân "
    "vứt rác và đốt rác hằng đêm gây khói bụi, mùi hôi thối. Gần đó cột điện nghiêng, dây "
    "điện võng thấp, mặt đường có nhiều ổ gà rất nguy hiểm cho xe máy. Đề nghị xử lý sớm."
)


def _synthetic() -> Snapshot:
    """Nine sectors, 124 communes each with its committee, nine routes (one by committee)."""
    sectors = [
        Sector(f"linh-vuc-{i}", f"Lĩnh vực {i}", "", keywords=(f"từ khóa {i}", f"việc {i}"))
        for i in range(8)
    ]
    sectors.append(Sector("moi-truong", "Môi trường", "", keywords=("rác thải", "mùi hôi")))
    areas = [Area(str(29000 + i), f"Xã {i}", "phuong" if i < 19 else "xa") for i in range(124)]
    agencies = [Agency(f"SO-{i}", f"Sở {i}", "so") for i in range(8)]
    agencies += [Agency(f"UBND-{a.code}", f"UBND {a.name}", "ubnd_xa", area=a.code) for a in areas]
    routes = [Route(s.code, s.code, agency=f"SO-{i}") for i, s in enumerate(sectors[:8])]
    routes.append(Route("moi-truong", "moi-truong", area_committee=True))
    hours = (WorkPeriod(clock(7), clock(11)), WorkPeriod(clock(13), clock(17)))
    return Snapshot(
        sectors={s.code: s for s in sectors},
        agencies={a.code: a for a in agencies},
        areas={a.code: a for a in areas},
        routes=tuple(routes),
        calendar=CalendarConfig("Asia/Ho_Chi_Minh", {d: hours for d in range(1, 6)}, hours),
        sla=SlaConfig({}, 0.75, Duration(6, Unit.DAY)),
        source="synthetic",
    )


def _snapshot() -> tuple[Snapshot, str]:
    try:
        from engine.config.loader import load

        return load(ROOT / "config"), "config/"
    except Exception as exc:  # the loader is optional here: fall back to the same shape
        return _synthetic(), f"synthetic (config/ did not load: {type(exc).__name__})"


def _rate(call: Callable[[Any], object], items: Sequence[Any], seconds: float = SECONDS) -> float:
    """Calls per second of ``call`` over ``items`` (cycled), after a warm-up."""
    for item in items[:200]:
        call(item)
    done, n = 0, len(items)
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for i in range(1000):
            call(items[(done + i) % n])
        done += 1000
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - start)


def _baseline(snapshot: Snapshot) -> Callable[[tuple[str, str]], str | None]:
    """The same routing as plain dict lookups: sector → route, area → committee."""
    routes = {}
    for route in snapshot.routes:
        if not route.areas and not route.area_kinds:
            best = routes.get(route.sector)
            if best is None or route.priority > best.priority:
                routes[route.sector] = route
    committees = {a.area: a.code for a in snapshot.agencies.values() if a.area}

    def lookup(fact: tuple[str, str]) -> str | None:
        route = routes.get(fact[0])
        if route is None:
            return None
        return committees.get(fact[1]) if route.area_committee else route.agency

    return lookup


def _profile_shares(rules: RulesEngine, facts: list[dict[str, Any]]) -> dict[str, float]:
    """Where the durable backend's time goes while routing, from cProfile (indicative)."""
    compiled = rules.compiled(ROUTING)
    spec = rules.spec(ROUTING)
    projected = [spec.pack.project(spec.prepare(f)) for f in facts]
    profile = cProfile.Profile()
    profile.enable()
    for fact in projected * 3:
        compiled.fire(fact)
    profile.disable()
    shares = {"C engine": 0.0, "JSON": 0.0, "durable Python layer": 0.0, "engine.rules": 0.0}
    total = 0.0
    for (filename, _, name), row in pstats.Stats(profile).stats.items():  # type: ignore[attr-defined]
        own = row[2]
        total += own
        if "durable_rules_engine" in name:
            shares["C engine"] += own
        elif "json" in filename:
            shares["JSON"] += own
        elif "durable" in filename:
            shares["durable Python layer"] += own
        else:
            shares["engine.rules"] += own
    return {k: v / total for k, v in shares.items()} if total else shares


def _fmt(value: float) -> str:
    return f"{value:,.0f}/s"


def run() -> str:
    started = time.perf_counter()
    snapshot, source = _snapshot()
    backends = available_backends()
    sectors = sorted(snapshot.sectors)
    areas = sorted(snapshot.areas)
    pairs = [(sectors[i % len(sectors)], areas[(i * 7) % len(areas)]) for i in range(997)]
    facts = [{"sector": s, "area": a} for s, a in pairs]

    rows: dict[str, dict[str, str]] = {}
    results: dict[str, float] = {}
    shares: dict[str, float] = {}
    pack_sizes: dict[str, int] = {}
    for name in backends:
        with RulesEngine(snapshot, backend=name) as rules:
            pack_sizes = {p: len(rules.spec(p).pack.rules) for p in rules.packs}
            spec, compiled = rules.spec(ROUTING), rules.compiled(ROUTING)
            projected = [spec.pack.project(spec.prepare(f)) for f in facts]
            results[name] = _rate(lambda p: rules.route(*p), pairs)
            rows.setdefault("Routing, facade `route()`", {})[name] = _fmt(results[name])
            rows.setdefault("Routing, backend alone (`fire` on a prepared fact)", {})[name] = _fmt(
                _rate(compiled.fire, projected)
            )
            rows.setdefault("Completeness, `check_completeness()`", {})[name] = _fmt(
                _rate(rules.check_completeness, [REPORT], SECONDS / 2)
            )
            rows.setdefault(
                f"Sector suggestion, `suggest_sectors()` ({len(TEXT.split())} words)", {}
            )[name] = _fmt(_rate(rules.suggest_sectors, [TEXT], SECONDS / 2))
            if name == "durable":
                shares = _profile_shares(rules, facts[:300])
    baseline = _rate(_baseline(snapshot), pairs)
    rows["Routing, facade `route()`"]["baseline"] = _fmt(baseline)

    columns = [c for c in ("durable", "builtin") if c in backends] + ["baseline"]
    titles = {
        "durable": f"{backends.get('durable', 'durable')}",
        "builtin": "built-in evaluator",
        "baseline": "baseline: dict lookups",
    }
    lines = [
        "## Rules",
        "",
        f"Configuration: {source} — {len(snapshot.sectors)} sectors, {len(snapshot.areas)} "
        f"areas, {len(snapshot.routes)} routes; rules per pack: "
        + ", ".join(f"{k} {v}" for k, v in pack_sizes.items())
        + f". Python {platform.python_version()}, one thread.",
        "",
        "| Measurement | " + " | ".join(titles[c] for c in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for label, values in rows.items():
        lines.append(f"| {label} | " + " | ".join(values.get(c, "—") for c in columns) + " |")
    lines.append("")
    for name in backends:
        verdict = "meets" if results[name] >= TARGET else "DOES NOT meet"
        lines.append(
            f"- {titles[name]}: {_fmt(results[name])} routing evaluations, {verdict} the target "
            f"of {TARGET:,}/s; {baseline / results[name]:,.0f}× slower than the dict baseline."
        )
    if "durable" not in backends:
        lines.append(
            "- durable-rules does not import here: only the built-in backend was measured."
        )
    if shares:
        lines.append(
            "- Where durable-rules' routing time goes (cProfile, own time, indicative): "
            + ", ".join(f"{k} {v:.0%}" for k, v in shares.items())
            + ". Each evaluation asserts a JSON fact under a fresh state, runs the actions "
            "through durable's Python layer (which writes the state back as JSON), then deletes "
            "the state; every call into the C engine holds one process-wide lock, so more "
            "threads do not add throughput."
        )
    lines.append(f"- Benchmark time: {time.perf_counter() - started:.1f} s.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
