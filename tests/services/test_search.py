"""Search (issue 11): phrases of whole words, accent-insensitive, report codes, ranked.

One corpus, the same expectations on SQLite (FTS5) and PostgreSQL (GIN over tsvector): each test
runs on both databases (``db_engine`` is parametrised), so a difference in the answers fails.
Each decoy below was found by the old ``LIKE '%syllable%'`` search.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from engine.services import public, queues
from engine.services.lifecycle import Lifecycle
from engine.services.queues import Filters
from engine.services.search import parse, words
from engine.store.models import Report
from tests.services.conftest import IOC, LEADER, OFFICER, road_report

PUBLISH = (
    ("classify", IOC, {"sector": "giao-thong-van-tai"}),
    ("forward", IOC, {}),
    ("accept", OFFICER, {}),
    ("propose_result", OFFICER, {"result": "Đã kiểm tra hiện trường và xử lý."}),
    ("approve", LEADER, {}),
    ("publish", LEADER, {}),
)


def drive(life: Lifecycle, code: str, steps: int, result: str | None = None) -> str:
    for action, actor, inputs in PUBLISH[:steps]:
        if action == "propose_result" and result is not None:
            inputs = {"result": result}
        with life.uow.read() as session:
            version = session.scalars(select(Report.version).where(Report.code == code)).one()
        life.perform(actor, code, action, version=version, **inputs)  # type: ignore[arg-type]
    return code


def report(
    life: Lifecycle,
    content: str,
    *,
    address: str = "Số 10 đường 30 Tháng 4",
    area: str = "28756",  # Phường Phú Khương
    steps: int = 0,
    result: str | None = None,
) -> str:
    code = life.submit(road_report(content=content, address=address, area=area)).code
    return drive(life, code, steps, result)


@dataclass
class Corpus:
    pothole: str  # "ổ gà" in the content, published
    pothole_new: str  # "ổ gà" in the content, just received (not public)
    in_result: str  # "ổ gà" only in the published answer
    in_proposal: str  # "ổ gà" only in a proposed, unpublished answer
    rubbish: str  # "ở", "gà" and "rác thải", never "ổ gà"
    bill: str  # "với" (folds to "voi") and "ổ cắm", never "ổ voi"
    light: str  # "đèn tín hiệu", published
    scattered: str  # "đèn", "tín hiệu" apart
    commune: str  # in Phường Phước Hậu, named only by its area


@pytest.fixture
def corpus(life: Lifecycle) -> Corpus:
    return Corpus(
        pothole=report(life, "Đường Phạm Thái Bường có ổ gà lớn, xe máy dễ té ngã.", steps=6),
        pothole_new=report(life, "Mặt đường có nhiều Ổ GÀ sau mưa."),
        in_result=report(
            life,
            "Mặt đường hư hỏng nặng trước trường học.",
            steps=6,
            result="Sở Xây dựng đã vá các ổ gà ngày 23/4/2026.",
        ),
        in_proposal=report(
            life, "Mặt đường lún trước chợ.", steps=5, result="Sẽ vá ổ gà trong tuần."
        ),
        rubbish=report(life, "Rác thải ở gần chợ bốc mùi, gà vịt bới rác khắp hẻm.", steps=6),
        bill=report(
            life,
            "Hóa đơn tiền điện tăng gấp đôi, tôi đã làm việc với Điện lực; ổ cắm công tơ cháy.",
            steps=6,
        ),
        light=report(life, "Đèn tín hiệu giao thông tại ngã tư bị hỏng.", steps=6),
        scattered=report(life, "Đèn đường không sáng, sóng điện thoại có tín hiệu yếu.", steps=6),
        commune=report(life, "Cây xanh ngã đè lên dây điện.", area="29557", steps=6),
    )


def desk(life: Lifecycle, text: str) -> list[str]:
    with life.uow.read() as session:
        page = queues.search(session, life, IOC, Filters(text=text), life.now(), size=100)
    assert page.total == len(page.rows)
    return [row.code for row in page.rows]


def portal(life: Lifecycle, text: str) -> list[str]:
    with life.uow.read() as session:
        listing = public.published_page(session, life.snapshot, public.Filters(text=text), 100)
    return [item.code for item in listing.items]


def test_a_phrase_is_its_words_side_by_side_with_or_without_diacritics(
    life: Lifecycle, corpus: Corpus
) -> None:
    c = corpus
    # Content before the published answer, then the newest first.
    found = [c.pothole_new, c.pothole, c.in_result]
    assert desk(life, "ổ gà") == found
    assert desk(life, "o ga") == found
    assert desk(life, "Ổ  GÀ") == found
    assert desk(life, "ổ voi") == []
    assert desk(life, "rác thải") == [c.rubbish]
    assert desk(life, "đèn tín hiệu") == [c.light]
    assert desk(life, "den tin hieu") == [c.light]
    assert set(desk(life, "gà")) == {c.pothole_new, c.pothole, c.in_result, c.rubbish}
    assert desk(life, "xyzzyq") == []


def test_a_report_code_finds_that_report_only(life: Lifecycle, corpus: Corpus) -> None:
    assert desk(life, corpus.light) == [corpus.light]
    assert desk(life, corpus.light.lower()) == [corpus.light]
    assert desk(life, "PA-2026-999999") == []
    assert portal(life, corpus.light) == [corpus.light]
    assert portal(life, corpus.pothole_new) == []  # not published


def test_the_commune_is_found_by_its_name(life: Lifecycle, corpus: Corpus) -> None:
    assert desk(life, "Phước Hậu") == [corpus.commune]
    assert desk(life, "phuoc hau, cay xanh") == [corpus.commune]  # every phrase must match
    assert desk(life, "phuoc hau, o ga") == []


def test_the_public_search_reads_published_text_only(life: Lifecycle, corpus: Corpus) -> None:
    c = corpus
    assert portal(life, "ổ gà") == [c.pothole, c.in_result]
    assert portal(life, "tuần") == []  # the proposed answer is not public
    assert desk(life, "sẽ vá") == []  # nor searched on the desk before it is published
    assert portal(life, "Nguyễn Văn An") == []  # the reporter is never indexed
    assert portal(life, "đèn tín hiệu") == [c.light]


def test_the_ranked_public_list_pages_by_position(life: Lifecycle, corpus: Corpus) -> None:
    everything = portal(life, "đường")
    assert len(everything) >= 4
    seen, after = [], None
    with life.uow.read() as session:
        while True:
            listing = public.published_page(
                session, life.snapshot, public.Filters(text="đường"), 2, after=after
            )
            seen += [item.code for item in listing.items]
            if listing.next is None:
                break
            after = listing.next
    assert seen == everything


def test_the_index_follows_a_reopened_answer(life: Lifecycle, corpus: Corpus) -> None:
    with life.uow.read() as session:
        version = session.scalars(
            select(Report.version).where(Report.code == corpus.in_result)
        ).one()
    life.perform(IOC, corpus.in_result, "reopen", version=version, note="Làm rõ.")
    assert desk(life, "ổ gà") == [corpus.pothole_new, corpus.pothole]


def test_what_the_query_and_the_columns_hold() -> None:
    assert words("ĐƯỜNG Đồng Khởi: ổ-gà!") == "duong dong khoi o ga"
    query = parse("Ổ gà, đèn tín hiệu; pa-2026-000241")
    assert query.phrases == ("o ga", "den tin hieu") and query.codes == ("PA-2026-000241",)
    assert parse("!!!").empty
