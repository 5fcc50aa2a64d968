"""What-if replay of a proposed deadline override: the figures change where the override applies.

An administrator who proposes a shorter time for one sector (``sla.yaml`` ``overrides``) must see
in the what-if how many past steps would have been late — the replay computes each clock's time
with the same function as a live clock, so an override counts there exactly as it would live.

Four reports, sent on Wednesday 22/4/2026 at 08:00 (working hours 07–11, 13–17), classified at
08:30, forwarded at 08:35, accepted after a chosen working time (the verify step, Đ8.B2: 1 day):

==  ==================  ========  =============  ===========  ===============
 #  sector              agency    accepted       verify used  proposed ≤ 2 h
==  ==================  ========  =============  ===========  ===============
 1  giao-thong-van-tai  SXD       09:35           60 min      on time
 2  giao-thong-van-tai  SXD       13:35          180 min      late
 3  giao-thong-van-tai  SXD       16:35          360 min      late
 4  moi-truong          UBND-…    16:35          360 min      on time (not its sector)
==  ==================  ========  =============  ===========  ===============

All four were on time against the 1 day; with the proposal two of four are.
"""

from __future__ import annotations

from datetime import datetime

from engine.config.loader import load_files
from engine.services.lifecycle import Actor, Lifecycle, NewReport
from engine.store import UnitOfWork
from engine.whatif import StepRate, replay
from engine.workflow import Role
from tests.configstore.conftest import AREA

IOC = Actor("Trần Thị Bình", Role.IOC_OPERATOR)
SXD_OFFICER = Actor("Phạm Minh Đức", Role.OFFICER, agency="SXD")
COMMUNE_OFFICER = Actor("Lê Thị Hoa", Role.OFFICER, agency=f"UBND-{AREA}")
PROPOSED = (
    "  - step: verify\n"
    "    sector: giao-thong-van-tai\n"
    "    duration: 2h\n"
    '    reason: "Đề xuất: xác minh phản ánh giao thông trong 02 giờ làm việc"\n'
)


def at(clock: str) -> datetime:
    return datetime.fromisoformat(f"2026-04-22T{clock}+07:00")


def handled(life: Lifecycle, sector: str, officer: Actor, accepted: str) -> None:
    sent = life.submit(
        NewReport(
            name="Nguyễn Văn An",
            phone="0909123456",
            content="Ổ gà lớn giữa đường, rác thải đổ bên lề.",
            area=AREA,
        ),
        at=at("08:00"),
    )
    done = life.perform(
        IOC, sent.code, "classify", version=sent.version, sector=sector, at=at("08:30")
    )
    done = life.perform(IOC, sent.code, "forward", version=done.version, at=at("08:35"))
    life.perform(officer, sent.code, "accept", version=done.version, at=at(accepted))


def with_override(files: dict[str, str]) -> dict[str, str]:
    changed = dict(files)
    text = files["sla.yaml"]
    assert text.count("overrides:\n") == 1
    changed["sla.yaml"] = text.replace("overrides:\n", "overrides:\n" + PROPOSED)
    return changed


def test_a_shorter_override_shows_as_a_lower_on_time_rate(
    uow: UnitOfWork, files: dict[str, str]
) -> None:
    current = load_files(files)
    life = Lifecycle(uow, current)
    for accepted in ("09:35", "13:35", "16:35"):
        handled(life, "giao-thong-van-tai", SXD_OFFICER, accepted)
    handled(life, "moi-truong", COMMUNE_OFFICER, "16:35")

    # The current configuration replayed: nothing changes (the same function, the same answer).
    same = replay(uow, current)
    assert same.steps["verify"] == StepRate("verify", 4, 4, 4)

    proposal = load_files(with_override(files))
    result = replay(uow, proposal)
    assert result.steps["verify"] == StepRate("verify", 4, 4, 2)
    assert result.steps["verify"].change == -0.5
    verify = next(s for s in result.as_json()["deadlines"]["steps"] if s["step"] == "verify")
    assert (verify["current_rate"], verify["proposed_rate"]) == (1.0, 0.5)
    assert result.moved == 0  # the routing did not change: only the deadline did
