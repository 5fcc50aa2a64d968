"""The figures (issue 9): ``phananh stats --json`` and ``GET /api/v1/stats`` agree with each other
and with counts this test makes itself from the tables, on a demo database; the scope of an
agency's staff (403); bad input refused as one line and exit 2, or as problem details.

The independent counts read the rows with plain queries and count in Python: they share no code
with :mod:`engine.stats`.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from cli.demo import DEMO_PASSWORD
from cli.main import main
from engine.stats import tallies
from engine.store import UnitOfWork, make_engine
from engine.store.models import Clock, Event, Reply, Report
from tests.apps import make_app
from tests.databases import demo_database, sqlite_and_postgresql

VN = ZoneInfo("Asia/Ho_Chi_Minh")
API = "/api/v1"
STEPS = ("intake", "forward", "verify", "handle", "approve", "publish")
WITH_RESULT = {"approved", "published", "answered_privately", "restricted"}
REPORTS = 60


@dataclass
class Demo:
    url: str
    client: FlaskClient
    tokens: dict[str, str]


@pytest.fixture(scope="module", params=sqlite_and_postgresql())
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("stats")
    with demo_database(request.param, folder, REPORTS, "stats") as url:
        # The older half of the days from the worker's tallies, the rest from the rows: the
        # counts below check both ways of counting (engine/stats/tallies.py).
        uow = UnitOfWork(make_engine(url))
        with uow.begin() as session:
            days = tallies.changed_days(session, VN)
            assert len(days) >= 4 and tallies.refresh(session, VN, days=len(days) // 2)
        app = make_app(folder, DATABASE_URL=url, RATELIMIT_SIGN_IN="1000 per minute")
        client = app.test_client()
        tokens = {}
        for username in ("tinh", "lanhdao.sxd", "canbo.sxd", "kiemtra"):
            answer = client.post(
                f"{API}/auth/token", json={"username": username, "password": DEMO_PASSWORD}
            )
            assert answer.status_code == 201, answer.get_json()
            tokens[username] = answer.get_json()["token"]
        yield Demo(url, client, tokens)


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["stats", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def api_json(demo: Demo, who: str, **query: str) -> dict[str, Any]:
    answer = demo.client.get(
        f"{API}/stats", headers={"Authorization": f"Bearer {demo.tokens[who]}"}, query_string=query
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def without_clock_of_now(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures but ``overdue`` (which a clock may reach between two calls): compared apart."""
    out = json.loads(json.dumps(figures))
    for counts in (out, *out["by_agency"].values(), *out["by_sector"].values()):
        for step in counts["steps"].values():
            step.pop("overdue")
    return out


# -- the independent counts ------------------------------------------------------------------------


def _tables(url: str) -> tuple[list[Any], list[Any], list[Any], set[int]]:
    engine = make_engine(url)
    with UnitOfWork(engine).read() as session:
        reports = session.execute(
            select(
                Report.id, Report.agency, Report.unit, Report.state, Report.rating,
                Report.duplicate_of_id, Report.submitted_at, Report.area, Report.sector,
            )
        ).all()  # fmt: skip
        clocks = session.execute(
            select(
                Clock.report_id, Clock.step, Clock.stopped_at, Clock.paused_at, Clock.due_at,
                Clock.late, Clock.late_after_extension, Clock.used_minutes,
            )
        ).all()  # fmt: skip
        replies = session.execute(select(Reply.report_id)).all()
        reopened = set(session.scalars(select(Event.report_id).where(Event.action == "reopen")))
    engine.dispose()
    return reports, clocks, replies, reopened


def as_given(minutes: int) -> int:
    """Minutes as the spread gives them: rounded down to the minute below an hour, to 5 minutes
    below 4 hours, to 15 minutes below 16 hours, to the hour from then on."""
    for below, step in ((60, 1), (240, 5), (960, 15)):
        if minutes < below:
            return minutes // step * step
    return minutes // 60 * 60


def expected(url: str, keep: Any, now: datetime) -> dict[str, Any]:
    """What the figures must be over the reports ``keep(report)`` selects, counted here."""
    reports, clocks, replies, reopened = _tables(url)
    chosen = {r.id: r for r in reports if keep(r)}
    mine = [c for c in clocks if c.report_id in chosen]
    steps = {}
    for step in STEPS:
        of = [c for c in mine if c.step == step]
        stopped = sorted(as_given(c.used_minutes) for c in of if c.stopped_at is not None)

        def rank(p: float, values: list[int] = stopped) -> int | None:
            return values[math.ceil(p * len(values)) - 1] if values else None

        steps[step] = {
            "on_time": sum(1 for c in of if c.stopped_at and not c.late),
            "late": sum(1 for c in of if c.stopped_at and c.late_after_extension),
            "late_within_extension": sum(
                1 for c in of if c.stopped_at and c.late and not c.late_after_extension
            ),
            "running": sum(1 for c in of if c.stopped_at is None),
            "overdue": sum(
                1 for c in of if c.stopped_at is None and c.paused_at is None and c.due_at < now
            ),
            "median_minutes": rank(0.5),
            "p90_minutes": rank(0.9),
        }
    ratings = Counter(r.rating for r in chosen.values())
    return {
        "received": len(chosen),
        "rejected": sum(1 for r in chosen.values() if r.state == "rejected"),
        "duplicates": sum(1 for r in chosen.values() if r.duplicate_of_id is not None),
        "with_result": sum(1 for r in chosen.values() if r.state in WITH_RESULT),
        "rating": {v: ratings[v] for v in ("hai_long", "chap_nhan_duoc", "khong_hai_long")},
        "steps": steps,
        "replies": sum(1 for reply in replies if reply.report_id in chosen),
        "reopened": len(reopened & set(chosen)),
        "agencies": Counter(r.agency for r in chosen.values() if r.agency),
        "sectors": Counter(r.sector for r in chosen.values() if r.sector),
    }


def assert_matches(figures: dict[str, Any], want: dict[str, Any]) -> None:
    for key in ("received", "rejected", "duplicates", "with_result", "replies", "reopened"):
        assert figures[key] == want[key], key
    for value, count in want["rating"].items():
        assert figures["rating"][value] == count, value
    for step, counts in want["steps"].items():
        got = figures["steps"][step]
        for key, count in counts.items():
            if key == "late_within_extension" and step != "handle":
                assert "late_within_extension" not in got
                continue
            assert got[key] == count, (step, key)
    assert {a: c["received"] for a, c in figures["by_agency"].items()} == dict(want["agencies"])
    assert {s: c["received"] for s, c in figures["by_sector"].items()} == dict(want["sectors"])
    assert sum(b["received"] for b in figures["series"]["buckets"]) == want["received"]


# -- the tests -------------------------------------------------------------------------------------


def test_the_province_figures_match_the_tables_in_the_cli_and_the_api(
    demo: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", demo.url)
    from_cli = cli_json(capsys)
    from_api = api_json(demo, "tinh")
    now = datetime.now(UTC)
    assert without_clock_of_now(from_cli) == without_clock_of_now(from_api)
    want = expected(demo.url, lambda r: True, now)
    assert want["received"] == REPORTS
    assert_matches(from_api, want)
    # The demo has every kind of figure, so none of the comparisons above was of zeros only.
    assert from_api["rejected"] and from_api["with_result"] and from_api["replies"]
    assert from_api["steps"]["handle"]["late_within_extension"]
    assert sum(from_api["rating"][v] for v in want["rating"]) > 0
    # The by-agency counts add up to the reports given to an agency; each has its steps.
    for code, counts in from_api["by_agency"].items():
        assert set(counts["steps"]) == set(STEPS), code
        assert "late_within_extension" in counts["steps"]["handle"]
    assert from_api["explanations"]["received"]["vi"].startswith("Số phản ánh gửi")


def test_a_period_and_an_agency_narrow_the_figures_the_same_way(
    demo: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", demo.url)
    reports, *_ = _tables(demo.url)
    sxd_tree = {"SXD"}  # Sở Xây dựng has no sub-units in config/agencies
    # The middle third of the days SXD received reports on: the period holds some of SXD's
    # reports whatever the demo drew, and not every report.
    days = sorted(
        r.submitted_at.astimezone(VN).date()
        for r in reports
        if r.agency in sxd_tree or r.unit in sxd_tree
    )
    start, end = days[len(days) // 3], days[2 * len(days) // 3]

    def keep(r: Any) -> bool:
        day = r.submitted_at.astimezone(VN).date()
        return start <= day <= end and (r.agency in sxd_tree or r.unit in sxd_tree)

    from_cli = cli_json(
        capsys, "--from", f"{start:%d/%m/%Y}", "--to", end.isoformat(), "--agency", "SXD"
    )
    from_api = api_json(demo, "lanhdao.sxd", **{"from": start.isoformat(), "to": end.isoformat()})
    want = expected(demo.url, keep, datetime.now(UTC))
    assert 0 < want["received"] < REPORTS
    assert_matches(from_api, want)
    assert without_clock_of_now(from_cli)["steps"] == without_clock_of_now(from_api)["steps"]
    assert from_cli["received"] == from_api["received"] == want["received"]
    # Weeks and months regroup the same reports.
    for grain in ("week", "month"):
        series = api_json(demo, "tinh", grain=grain, **{"from": start.isoformat()})["series"]
        assert all(
            date.fromisoformat(b["start"]) <= end + timedelta(days=31) for b in series["buckets"]
        )
        assert (
            sum(b["received"] for b in series["buckets"])
            == expected(
                demo.url, lambda r: r.submitted_at.astimezone(VN).date() >= start, datetime.now(UTC)
            )["received"]
        )


def test_each_sector_has_its_results_clocks_and_ratings_counted_from_the_tables(
    demo: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """R30 asks for the figures by sector: each sector's reports, results, agency steps on time
    and satisfied ratings are those of its own reports, in the CLI and the API alike."""
    monkeypatch.setenv("DATABASE_URL", demo.url)
    from_api = api_json(demo, "tinh")
    assert (
        without_clock_of_now(cli_json(capsys))["by_sector"]
        == without_clock_of_now(from_api)["by_sector"]
    )
    reports, clocks, *_ = _tables(demo.url)
    sector_of = {r.id: r.sector for r in reports}
    assert len(from_api["by_sector"]) > 1
    for sector, counts in from_api["by_sector"].items():
        mine = [r for r in reports if r.sector == sector]
        assert counts["with_result"] == sum(1 for r in mine if r.state in WITH_RESULT), sector
        satisfied = sum(1 for r in mine if r.rating in ("hai_long", "chap_nhan_duoc"))
        assert counts["rating"]["hai_long"] + counts["rating"]["chap_nhan_duoc"] == satisfied
        agency_steps = [
            c for c in clocks
            if sector_of[c.report_id] == sector and c.step in ("verify", "handle", "approve", "publish")
            and c.stopped_at is not None
        ]  # fmt: skip
        on_time = sum(
            counts["steps"][s]["on_time"] for s in ("verify", "handle", "approve", "publish")
        )
        assert on_time == sum(1 for c in agency_steps if not c.late), sector
    assert from_api["explanations"]["by_sector"]["vi"].startswith("Các số trên cho từng lĩnh vực")


def test_an_agency_sees_its_own_figures_only(demo: Demo) -> None:
    own = api_json(demo, "lanhdao.sxd")
    assert set(own["by_agency"]) <= {"SXD"}
    named = api_json(demo, "lanhdao.sxd", agency="SXD")
    assert without_clock_of_now(own) | {"filters": None} == without_clock_of_now(named) | {
        "filters": None
    }
    for who in ("lanhdao.sxd", "canbo.sxd"):
        answer = demo.client.get(
            f"{API}/stats",
            headers={"Authorization": f"Bearer {demo.tokens[who]}"},
            query_string={"agency": "SNNMT"},
        )
        assert answer.status_code == 403
        assert answer.mimetype == "application/problem+json"
    assert demo.client.get(f"{API}/stats").status_code == 401
    auditor = api_json(demo, "kiemtra", agency="SNNMT")
    assert set(auditor["by_agency"]) <= {"SNNMT"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-11-20", "to": "2026-11-01"}, "from"),
        ({"from": "20/13/2026"}, "from"),
        ({"to": "hôm qua"}, "to"),
        ({"agency": "KHONG-CO"}, "agency"),
        ({"sector": "khong-co"}, "sector"),
    ],
)
def test_bad_input_is_problem_details_naming_the_field(
    demo: Demo, query: dict[str, str], field: str
) -> None:
    answer = demo.client.get(
        f"{API}/stats",
        headers={"Authorization": f"Bearer {demo.tokens['tinh']}"},
        query_string=query,
    )
    assert answer.status_code == 422, answer.get_json()
    assert answer.mimetype == "application/problem+json"
    body = answer.get_json()
    assert field in json.dumps(body)


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "2026-11-20", "--to", "2026-11-01"],
        ["--from", "2026/11/20"],
        ["--agency", "KHONG-CO"],
        ["--sector", "khong-co"],
        ["--area", "00000"],
    ],
)
def test_bad_input_is_one_line_and_exit_2_in_the_cli(
    demo: Demo, args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", demo.url)
    before = _row_counts(demo.url)
    capsys.readouterr()
    assert main(["stats", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert _row_counts(demo.url) == before


def test_the_table_names_the_figures_in_vietnamese(
    demo: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", demo.url)
    capsys.readouterr()
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    received = expected(demo.url, lambda r: True, datetime.now(UTC))["received"]
    assert "Tiếp nhận" in out and str(received) in out
    assert "Xử lý phản ánh" in out and "Hài lòng" in out and "Cơ quan xếp theo tỷ lệ" in out


def _row_counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with UnitOfWork(engine).read() as session:
        counted = (
            session.scalar(select(func.count()).select_from(Report)) or 0,
            session.scalar(select(func.count()).select_from(Event)) or 0,
        )
    engine.dispose()
    return counted
