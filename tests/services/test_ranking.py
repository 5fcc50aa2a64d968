"""The windowed ranking (issue 13) lists exactly what ranking every match lists.

Ranking only the newest reports, then the older ones that rank higher, is a shortcut: each test
compares it with the one-statement ranking it replaced (:func:`every_match`), page by page, on
SQLite and PostgreSQL (``db_engine`` is parametrised). The window is made a few reports wide so
that a small corpus has old reports outside it, among them the best match of all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from engine.services import keyset, public, queues, ranking
from engine.services.lifecycle import Lifecycle
from engine.services.search import Matcher, low_sets, matcher, words
from engine.store.models import Report
from tests.services.conftest import IOC, road_report

START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
SOLVED = "Đơn vị đã xử lý xong."


@dataclass(frozen=True)
class Story:
    content: str
    address: str = "Số 10 đường 30 Tháng 4"
    answer: str | None = None  # published with this answer; None: still being handled


#: Oldest first. Relevance of "ổ gà": content 4, answer 2, place 1.
STORIES = (
    Story("Mặt đường có ổ gà lớn.", answer="Đã vá ổ gà trước số 10."),  # 6, the oldest
    Story("Có ổ gà trước cổng chợ.", address="Hẻm ổ gà, khóm 3"),  # 5
    Story("Cống bị nghẹt trước nhà.", answer="Đã vá ổ gà gần cống."),  # 2
    *(Story(f"Ổ gà sâu trước số {n}.", answer=SOLVED) for n in range(3, 9)),  # 4 each
    Story("Đèn đường hỏng ở ngã tư."),  # no match
    Story("Ổ gà mới trước trường.", answer="Đã vá ổ gà trước trường.", address="Hẻm ổ gà"),  # 7
    Story("Ổ GÀ trên cầu.", answer=SOLVED),  # 4, the newest
)


def _seed(life: Lifecycle) -> list[int]:
    """The stories as reports, one hour apart; the answered ones published in the same order."""
    ids = []
    for hour, story in enumerate(STORIES):
        code = life.submit(road_report(content=story.content, address=story.address)).code
        with life.uow.begin() as session:
            values: dict[str, object] = {"submitted_at": START + timedelta(hours=hour)}
            if story.answer is not None:
                values |= {
                    "state": "published",
                    "published_at": START + timedelta(days=1, hours=hour),
                    "published_text": story.answer,
                    "search_result": words(story.answer),
                }
            session.execute(update(Report).where(Report.code == code).values(**values))
            ids.append(session.scalars(select(Report.id).where(Report.code == code)).one())
    return ids


@pytest.fixture
def seeded(life: Lifecycle) -> list[int]:
    return _seed(life)


def every_match(session: Session, found: Matcher, where: list, newest: object) -> list[int]:
    """The ranking before windows: every match ranked in one statement."""
    order = (found.relevance().desc(), newest.desc(), Report.id.desc())  # type: ignore[attr-defined]
    return list(session.scalars(select(Report.id).where(*where).order_by(*order)))


def windowed(session: Session, found: Matcher, where: list, newest: object, **kw: object) -> list:
    return ranking.ranked(session, [Report.id], where, found, newest, **kw).rows  # type: ignore[arg-type]


@pytest.mark.parametrize("widest", [ranking.WIDEST, 4], ids=["widened", "not-widened"])
@pytest.mark.parametrize("window", [1, 2, 3, 5, 8, 100])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 20])
def test_every_page_is_the_page_of_ranking_every_match(
    life: Lifecycle,
    seeded: list[int],
    window: int,
    size: int,
    widest: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whether a window too small for the page grows or the older matches are all ranked (a
    window that would grow past :data:`ranking.WIDEST`), the page is the same."""
    monkeypatch.setattr(ranking, "WIDEST", widest)
    with life.uow.read() as session:
        found = matcher(session, "ổ gà", life.snapshot.areas)
        where = [found.condition()]
        expected = every_match(session, found, where, Report.submitted_at)
        assert len(expected) == 11
        for offset in range(0, len(expected) + size, size):
            rows = windowed(
                session, found, where, Report.submitted_at, offset=offset, limit=size, window=window
            )
            assert [r.id for r in rows] == expected[offset : offset + size], (offset, size)
            assert [r.relevance for r in rows] == [_rank(seeded, i) for i in [r.id for r in rows]]


def _rank(ids: list[int], report_id: int) -> int:
    story = STORIES[ids.index(report_id)]
    place = "o ga" in words(story.address)
    return 4 * ("o ga" in words(story.content)) + 2 * ("o ga" in words(story.answer)) + place


def test_an_old_report_above_the_window_comes_first(life: Lifecycle, seeded: list[int]) -> None:
    """The two newest reports make the window (relevance 4 and 7); the report of relevance 6 is
    the oldest of all, yet it is second, before every newer report of relevance 5 or 4."""
    with life.uow.read() as session:
        found = matcher(session, "ổ gà", life.snapshot.areas)
        where = [found.condition()]
        rows = windowed(session, found, where, Report.submitted_at, limit=4, window=2)
    assert [r.id for r in rows] == [seeded[10], seeded[0], seeded[1], seeded[11]]
    assert [r.relevance for r in rows] == [7, 6, 5, 4]


def test_the_public_list_ranks_published_reports_alike(life: Lifecycle, seeded: list[int]) -> None:
    with life.uow.read() as session:
        found = matcher(session, "ổ gà", life.snapshot.areas)
        where = public._where(public.Filters(text="ổ gà"), UTC, found)
        expected = every_match(session, found, where, Report.published_at)
        assert expected[:2] == [seeded[10], seeded[0]]
        for window in (1, 2, 4):
            for size in (1, 3, 5):
                for offset in range(0, len(expected) + size, size):
                    rows = windowed(
                        session, found, where, Report.published_at, offset=offset, limit=size,
                        scope=public._published(), window=window,
                    )  # fmt: skip
                    assert [r.id for r in rows] == expected[offset : offset + size]


@pytest.mark.parametrize("cap", [1, 3, 10, 11, 12, 50])
@pytest.mark.parametrize("window", [1, 3, 100])
def test_the_count_is_exact_up_to_its_cap(
    life: Lifecycle, seeded: list[int], cap: int, window: int
) -> None:
    with life.uow.read() as session:
        found = matcher(session, "ổ gà", life.snapshot.areas)
        result = ranking.ranked(
            session, [Report.id], [found.condition()], found, Report.submitted_at,
            limit=2, count_cap=cap, window=window,
        )  # fmt: skip
    assert result.total == min(11, cap + 1)


def test_the_services_rank_through_the_window(
    life: Lifecycle, seeded: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The desk's search, the public list and the public API, with a window of two reports."""
    monkeypatch.setattr(ranking, "WINDOW", 2)
    now = life.now()
    with life.uow.read() as session:
        desk = queues.search(session, life, IOC, queues.Filters(text="ổ gà"), now, size=3)
        listing = public.published_page(session, life.snapshot, public.Filters(text="ổ gà"), 3)
        api = public.published_reports(session, life.snapshot, public.Filters(text="ổ gà"), 1, 3)
        following = public.published_page(
            session, life.snapshot, public.Filters(text="ổ gà"), 3, after=listing.next
        )
    codes = {report_id: code for report_id, code in _codes(life, seeded)}
    assert [r.code for r in desk.rows] == [codes[seeded[i]] for i in (10, 0, 1)]
    assert [r.code for r in listing.items] == [codes[seeded[i]] for i in (10, 0, 11)]
    assert [r.code for r in api.items] == [r.code for r in listing.items]
    assert [r.code for r in following.items] == [codes[seeded[i]] for i in (8, 7, 6)]
    assert (desk.total, desk.capped, desk.count_text) == (11, False, "11")
    assert (listing.total, api.total, api.capped) == (10, 10, False)


def _codes(life: Lifecycle, ids: list[int]) -> list[tuple[int, str]]:
    with life.uow.read() as session:
        return [
            (i, c)
            for i, c in session.execute(select(Report.id, Report.code).where(Report.id.in_(ids)))
        ]


def test_a_search_past_the_cap_says_more_than(
    life: Lifecycle, seeded: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyset, "COUNT_CAP", 4)
    with life.uow.read() as session:
        desk = queues.search(session, life, IOC, queues.Filters(text="ổ gà"), life.now(), 9, 2)
        api = public.published_reports(session, life.snapshot, public.Filters(text="ổ gà"), 1, 2)
        plain = queues.search(session, life, IOC, queues.Filters(), life.now(), 1, 2)
    assert (desk.total, desk.capped, desk.count_text, desk.cap) == (5, True, "hơn 4", 4)
    assert (desk.pages, desk.page) == (2, 2)  # the pages of the first 4 best matches only
    assert api.capped and api.pages == 2
    assert (plain.total, plain.capped, plain.count_text) == (12, False, "12")  # exact


@pytest.mark.parametrize(
    ("weights", "floor", "expected"),
    [
        ([4, 2, 1], 6, [{0, 1}, {0, 2}, {1, 2}]),
        ([4, 2, 1], 4, [{0}, {1, 2}]),
        ([4, 2, 1], 3, [{1, 2}]),
        ([4, 2, 1], 7, [{0, 1, 2}]),
        ([8, 4, 2, 1], 7, [{1, 2, 3}]),
        ([4, 2, 1], -1, []),
    ],
)
def test_low_sets_are_the_largest_sets_at_or_below_the_floor(
    weights: list[int], floor: int, expected: list[set[int]]
) -> None:
    assert sorted(map(sorted, low_sets(weights, floor))) == sorted(map(sorted, expected))


def test_older_reports_above_the_window_are_found_through_the_column_indexes(
    life: Lifecycle,
) -> None:
    """On PostgreSQL, "above a report found in its content" asks for the phrase in the answer
    or the place: their own indexes (0012) answer it, not a read of every match."""
    with life.uow.read() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("the column indexes are PostgreSQL's")
        found = matcher(session, "ổ gà", life.snapshot.areas)
        # In a test's few rows the planner may as well read the index of the whole vector; without
        # it (dropped inside this transaction, rolled back below) and without a sequential scan,
        # only an index whose expression is the condition's can answer it.
        session.execute(text("DROP INDEX ix_reports_search_vector"))
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plans = {f: _plan(session, [found.above(f)]) for f in (4, 5, 6)}
        session.rollback()
    # Above 4 (the content): the answer or the place, each through its index.
    assert "ix_reports_search_result" in plans[4] and "ix_reports_search_place" in plans[4]
    assert "ix_reports_search_result" in plans[5]  # above 5: content and answer
    # Above 6: all three; the planner reads whichever column index it finds narrower.
    assert "ix_reports_search_result" in plans[6] or "ix_reports_search_place" in plans[6]


def _plan(session: Session, where: list) -> str:
    compiled = select(Report.id).where(*where).compile(session.get_bind())
    found = session.connection().exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
    return "\n".join(row[0] for row in found)
