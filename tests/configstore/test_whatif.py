"""What-if replay (issue: configuration without code, point 6) on a crafted history.

Six reports are sent on Wednesday 22/4/2026 at 08:00 (working hours 07–11, 13–17) and driven
through the use cases at chosen times, so every figure can be worked out by hand:

====  ==========================  ======  ==========================  ========  =========
 #    sector, area                intake  how                          intake     forward
                                  used                                 ≤2h / ≤1h  used (≤2h)
====  ==========================  ======  ==========================  ========  =========
 1    moi-truong, 28756            30 m   classify 08:30               on / on    35 m on
 2    moi-truong, 28756            90 m   classify 09:30               on / late  95 m on
 3    moi-truong, 28756           110 m   classify 09:50               on / late 115 m on
 4    moi-truong, 28756           150 m   classify 10:30               late/late 155 m late
 5    moi-truong, 29557            70 m   paused 08:40–14:00,          on / late  75 m on
                                          classify 14:30
 6    giao-thong-van-tai, 28756    30 m   forwarded BY HAND to SNNMT   on / on    35 m on
====  ==========================  ======  ==========================  ========  =========

Each is forwarded five minutes after it is classified. The proposal routes environment reports
of commune 28756 to Sở NN&MT (a narrowed route with priority) and cuts the intake step to 1 h.
By hand: routing — 5 compared (6 was manual), 4 move UBND-28756 → SNNMT, 1 unchanged;
intake — 5 of 6 on time now, 2 of 6 proposed; forward — 5 of 6 either way.
Report 5's intake replays its pause: 40 min used before it, then resumed at 14:00 with 20 min
left of the proposed hour, due 14:20; stopped at 14:30 — late.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cli.main import main
from engine import configstore
from engine.config.loader import load_files
from engine.config.snapshot import Snapshot
from engine.demo import seed
from engine.services.lifecycle import Actor, Lifecycle, NewReport
from engine.store import Base, UnitOfWork
from engine.whatif import StepRate, replay
from engine.workflow import Role
from tests.configstore.conftest import AREA, OTHER_AREA, ROOT, moved_environment, with_step

VN = "+07:00"
IOC = Actor("Trần Thị Bình", Role.IOC_OPERATOR)


def at(clock: str, day: str = "2026-04-22") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}{VN}")


def send(life: Lifecycle, area: str) -> tuple[str, str, int]:
    sent = life.submit(
        NewReport(
            name="Nguyễn Văn An",
            phone="0909123456",
            content="Rác thải đổ bừa bãi bên đường, bốc mùi hôi.",
            area=area,
        ),
        at=at("08:00"),
    )
    return sent.code, sent.tracking_token, sent.version


def classify_and_forward(
    life: Lifecycle, code: str, version: int, sector: str, when: str, **forward: str
) -> None:
    done = life.perform(IOC, code, "classify", version=version, sector=sector, at=at(when))
    hour, minute = map(int, when.split(":"))
    later = f"{hour + (minute + 5) // 60:02d}:{(minute + 5) % 60:02d}"
    life.perform(IOC, code, "forward", version=done.version, at=at(later), **forward)


@pytest.fixture
def history(uow: UnitOfWork, snapshot: Snapshot) -> Lifecycle:
    version_id, _ = configstore.bootstrap(uow, ROOT / "config", "test")
    life = Lifecycle(uow, snapshot, config_version_id=version_id)
    for when in ("08:30", "09:30", "09:50", "10:30"):
        code, _, version = send(life, AREA)
        classify_and_forward(life, code, version, "moi-truong", when)
    code, token, version = send(life, OTHER_AREA)
    asked = life.perform(
        IOC, code, "request_info", version=version, note="Xin vị trí cụ thể", at=at("08:40")
    )
    given = life.perform(
        Actor("Nguyễn Văn An", Role.REPORTER), code, "provide_info", version=asked.version,
        token=token, text="Trước số 12", at=at("14:00"),
    )  # fmt: skip
    classify_and_forward(life, code, given.version, "moi-truong", "14:30")
    code, _, version = send(life, AREA)
    classify_and_forward(
        life, code, version, "giao-thong-van-tai", "08:30", agency="SNNMT", note="Đường đê"
    )
    return life


def proposal(files: dict[str, str]) -> Snapshot:
    return load_files(with_step(moved_environment(files), "intake", "2h", "1h"))


def table_counts(uow: UnitOfWork) -> dict[str, int]:
    with uow.read() as session:
        return {
            t.name: session.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }


def test_the_figures_are_those_worked_out_by_hand(
    history: Lifecycle, uow: UnitOfWork, files: dict[str, str]
) -> None:
    before = table_counts(uow)
    result = replay(uow, proposal(files))
    assert (result.reports, result.routed, result.manual) == (6, 5, 1)
    assert dict(result.moves) == {(f"UBND-{AREA}", "SNNMT"): 4}
    assert (result.moved, result.unchanged) == (4, 1)
    assert result.steps["intake"] == StepRate("intake", 6, 5, 2)
    assert result.steps["forward"] == StepRate("forward", 6, 5, 5)
    assert set(result.steps) == {"intake", "forward"}  # the verify clocks still run
    assert result.steps["intake"].change == pytest.approx(-0.5)
    assert table_counts(uow) == before  # nothing written


def test_json_and_table(history: Lifecycle, uow: UnitOfWork, files: dict[str, str]) -> None:
    result = replay(uow, proposal(files))
    data = result.as_json()
    assert data["routing"] == {
        "compared": 5,
        "unchanged": 1,
        "moved": 4,
        "manual": 1,
        "moves": [{"from": f"UBND-{AREA}", "to": "SNNMT", "count": 4}],
    }
    intake = data["deadlines"]["steps"][0]
    assert intake == {
        "step": "intake",
        "n": 6,
        "current_on_time": 5,
        "proposed_on_time": 2,
        "current_rate": 0.8333,
        "proposed_rate": 0.3333,
        "change": -0.5,
    }
    text = result.table()
    assert f"UBND-{AREA}" in text and "SNNMT (Sở Nông nghiệp và Môi trường)" in text
    assert "83.3%" in text and "33.3%" in text and "-50.0 điểm" in text


def test_since_leaves_out_older_reports(
    history: Lifecycle, uow: UnitOfWork, files: dict[str, str]
) -> None:
    assert replay(uow, proposal(files), since=datetime(2026, 4, 22).date()).reports == 6
    later = replay(uow, proposal(files), since=datetime(2026, 4, 23).date())
    assert (later.reports, later.routed, later.moves, dict(later.steps)) == (0, 0, {}, {})


def test_the_same_configuration_changes_nothing_on_a_realistic_history(
    uow: UnitOfWork, snapshot: Snapshot
) -> None:
    """The replay is exact: the configuration that made the history gives the history back."""
    life = Lifecycle(uow, snapshot, now=lambda: at("17:00", "2026-06-30"))
    seed(life, 60, seed=11)
    result = replay(uow, snapshot)
    assert result.routed > 30 and result.moves == {}
    assert sum(r.n for r in result.steps.values()) > 100
    for rate in result.steps.values():
        assert rate.current_on_time == rate.proposed_on_time, rate


def test_the_command_prints_json_and_a_table_and_writes_nothing(
    history: Lifecycle,
    uow: UnitOfWork,
    files: dict[str, str],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    proposed = tmp_path / "proposed"
    for name, text in with_step(moved_environment(files), "intake", "2h", "1h").items():
        (proposed / name).parent.mkdir(parents=True, exist_ok=True)
        (proposed / name).write_text(text, encoding="utf-8")
    before = table_counts(uow)
    assert main(["config", "whatif", str(proposed), "--json", "--since", "2026-04-01"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["since"] == "2026-04-01" and data["routing"]["moved"] == 4
    assert main(["config", "whatif", str(proposed)]) == 0
    assert "Phát lại 6 phản ánh" in capsys.readouterr().out
    broken = proposed / "sla.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("1h", "9h"), encoding="utf-8")
    assert main(["config", "whatif", str(proposed)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "sla.yaml:39: steps.intake.duration" in out[0]
    assert table_counts(uow) == before
