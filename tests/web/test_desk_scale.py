"""The IOC's desk at scale, on PostgreSQL: a "phản hồi" queue of more than 70 000 reports.

The home page answered 500 from about 315 000 reports: the replies queue was chosen in Python and
its ids sent back as one ``IN (…)`` list, past the 65 535 parameters a PostgreSQL statement may
carry. The reports are written in bulk (``INSERT … SELECT generate_series``), not through the use
cases, which would take an hour for this many; what the queue reads of them is all there: the
state, a reply from the reporter, an unhappy rating, and the mark ``feedback_to_follow`` the
use cases' effects keep from those.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from engine.accounts import create_user
from engine.services.keyset import Cursor
from engine.services.lifecycle import Lifecycle
from engine.workflow import Role
from tests.apps import make_app
from tests.databases import PG_URL, postgres_schema
from tests.web.test_desk_support import (
    MORNING,
    PASSWORD,
    TRANSPORT,
    Clockwork,
    queue_codes,
    tags,
)
from web.auth import load_user, session_for

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="TEST_DATABASE_URL is not set: PostgreSQL tests skipped"
)
#: Above 65 535, the parameters one PostgreSQL statement may carry.
ANSWERED = 72_000
UNHAPPY = 3_000
#: The first report's submission; report ``n`` came ``n`` minutes later.
START = MORNING.replace(year=2025)

SEED = f"""
INSERT INTO reports (id, code, tracking_token_hash, state, channel, content, sector, area,
                     confidential, state_secret, search_text, submitted_at, published_at,
                     updated_at, version, published_text, agency, feedback_to_follow)
SELECT n, 'PA-2026-' || lpad(n::text, 6, '0'), md5('token' || n) || md5('more' || n),
       'published', 'web', 'Ổ gà trên đường số ' || n, '{TRANSPORT}', NULL,
       false, false, 'o ga tren duong so ' || n,
       :start + n * interval '1 minute', :start + n * interval '1 minute' + interval '1 day',
       :start + n * interval '1 minute' + interval '1 day', 1, 'Đã sửa.', 'SXD', true
FROM generate_series(1, :answered) AS n;
INSERT INTO replies (report_id, text, created_at, handled)
SELECT n, 'Xin làm rõ thêm.', :start + n * interval '1 minute' + interval '2 days', false
FROM generate_series(1, :answered - :unhappy) AS n;
INSERT INTO ratings (report_id, value, created_at)
SELECT n, 'khong_hai_long', :start + n * interval '1 minute' + interval '2 days'
FROM generate_series(:answered - :unhappy + 1, :answered) AS n;
SELECT setval(pg_get_serial_sequence('reports', 'id'), :answered);
ANALYZE reports; ANALYZE replies; ANALYZE ratings;
"""


@pytest.fixture(scope="module")
def scoped_url() -> Iterator[str]:
    """A schema of its own in the PostgreSQL database, dropped after the module."""
    with postgres_schema("phananh_scale") as url:
        yield url


@pytest.fixture(scope="module")
def ioc_client(scoped_url: str, tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """The IOC operator's browser on a migrated database holding the answered reports."""
    app = make_app(tmp_path_factory.mktemp("scale"), DATABASE_URL=scoped_url)
    life: Lifecycle = app.extensions["phananh.lifecycle"]
    life.now = Clockwork(MORNING)
    with life.uow.begin() as session:
        user = create_user(session, "ioc", PASSWORD, Role.IOC_OPERATOR, display_name="Trung tâm")
        session.flush()
        user_id = user.id
    engine = create_engine(scoped_url, poolclass=NullPool)
    values = {"start": START, "answered": ANSWERED, "unhappy": UNHAPPY}
    with engine.begin() as connection:
        for statement in filter(str.strip, SEED.split(";")):
            connection.execute(text(statement), values)
    engine.dispose()
    client = app.test_client()
    with app.app_context():
        marks = session_for(load_user(user_id))
    with client.session_transaction() as session:
        session.update(marks)
    return client


def test_the_ioc_home_answers_with_a_replies_queue_of_72_000(ioc_client: FlaskClient) -> None:
    response = ioc_client.get("/ban-xu-ly")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    shown = queue_codes(html)["phan-hoi"]
    assert shown[:2] == ["PA-2026-000001", "PA-2026-000002"]  # the oldest first, 20 of them
    assert len(shown) == 20
    queue = tags(html, "section", data_queue="phan-hoi")[0]
    assert queue["data-total"] == "1001" and "hơn 1 000" in html


def test_the_full_replies_queue_pages_to_its_unhappy_ratings(ioc_client: FlaskClient) -> None:
    """The page after the last reply: the reports rated 'Không hài lòng', by position."""
    last_reply = ANSWERED - UNHAPPY
    response = ioc_client.get("/ban-xu-ly?hang=phan-hoi")
    assert response.status_code == 200
    first = queue_codes(response.get_data(as_text=True))["phan-hoi"]
    assert first[0] == "PA-2026-000001" and len(first) == 50
    # The position the desk writes after the last report with a reply (the queue's order).
    cursor = Cursor((START + timedelta(minutes=last_reply), last_reply)).token()
    response = ioc_client.get(f"/ban-xu-ly?hang=phan-hoi&sau={cursor}")
    assert response.status_code == 200
    page = queue_codes(response.get_data(as_text=True))["phan-hoi"]
    assert page[0] == f"PA-2026-{last_reply + 1:06d}" and len(page) == 50
