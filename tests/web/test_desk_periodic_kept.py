"""The periodic reports kept on the desk (Đ13.9, R30): every report built on the page is kept and
listed beside those the worker built on schedule, newest first, a page at a time; each is a
download of the very file that was built, with its content type and a Vietnamese file name, for
the roles that may build one and nobody else. SQLite always, PostgreSQL when
``TEST_DATABASE_URL`` is set."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from docx import Document
from sqlalchemy import delete

from engine.periodic import store as kept_reports
from engine.store.models import PeriodicReport
from engine.uploads import MediaStore
from engine.worker import Worker
from engine.workflow import Role
from tests.databases import PG_URL, postgres_schema
from tests.web.test_desk_support import MORNING, OF_ROLE, Desk, build_desk, submit, tags

URL = "/ban-xu-ly/bao-cao-dinh-ky"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PG_SKIP = "TEST_DATABASE_URL is not set: PostgreSQL tests skipped"


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason=PG_SKIP)),
    ],
)
def desk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    folder = tmp_path_factory.mktemp("kept")
    if request.param == "sqlite":
        yield build_desk(folder)
        return
    with postgres_schema() as url:
        built = build_desk(folder, DATABASE_URL=url)
        yield built
        built.life.uow.engine.dispose()


@pytest.fixture
def clean(desk: Desk) -> Desk:
    desk.clock.value = MORNING
    with desk.life.uow.begin() as session:
        session.execute(delete(PeriodicReport))
    return desk


def media(desk: Desk) -> MediaStore:
    return MediaStore(desk.app.config["MEDIA_ROOT"])


def listed(html: str) -> list[str]:
    return [row["data-id"] for row in tags(html, data_testid="kept-report")]


def test_a_report_built_on_the_page_is_kept_and_listed(clean: Desk) -> None:
    submit(clean.life)
    client = clean.client(OF_ROLE[Role.IOC_OPERATOR])
    assert 'id="kept-empty"' in client.get(URL).get_data(as_text=True)
    built = client.post(URL, data={"tu": "01/01/2026", "den": "30/04/2026", "dang": "docx"})
    assert built.status_code == 200
    name = "Báo cáo theo yêu cầu từ 01-01-2026 đến 30-04-2026.docx"
    assert quote(name) in built.headers["Content-Disposition"]
    html = client.get(URL).get_data(as_text=True)
    (kept_id,) = listed(html)
    assert "Theo yêu cầu" in html and "Trần Thị Bình" in html and "01/01/2026 – 30/04/2026" in html
    (link,) = tags(html, "a", data_testid="kept-download")
    for role in (Role.IOC_OPERATOR, Role.PROVINCE_VIEWER, Role.OPERATOR_ADMIN):
        answer = clean.client(OF_ROLE[role]).get(link["href"])
        assert answer.status_code == 200
        assert answer.mimetype == DOCX and answer.data == built.data
        assert answer.headers["Content-Disposition"].startswith("attachment")
        assert quote(name) in answer.headers["Content-Disposition"]
    paragraphs = [p.text for p in Document(io.BytesIO(answer.data)).paragraphs]
    assert any("tiếp nhận 1 phản ánh" in p for p in paragraphs)
    with clean.life.uow.read() as session:
        row = session.get(PeriodicReport, int(kept_id))
        assert row is not None
        assert (row.schedule, row.built_by, row.role) == (None, "Trần Thị Bình", "ioc_operator")
        assert row.sha256 == hashlib.sha256(built.data).hexdigest() and row.size == len(built.data)


def test_opening_the_page_with_a_period_builds_and_keeps_nothing(clean: Desk) -> None:
    """A link or a prefetch that opens the page must not add a report to the register: only the
    form's POST builds one."""
    client = clean.client(OF_ROLE[Role.IOC_OPERATOR])
    answer = client.get(URL, query_string={"tu": "01/01/2026", "den": "30/04/2026", "dang": "docx"})
    assert answer.status_code == 200
    assert "attachment" not in answer.headers.get("Content-Disposition", "")
    assert 'id="kept-empty"' in answer.get_data(as_text=True)
    with clean.life.uow.read() as session:
        assert session.query(PeriodicReport).count() == 0


def test_the_reports_the_worker_built_are_listed_newest_first(clean: Desk) -> None:
    clean.clock.value = MORNING.replace(month=10, day=10)
    life = clean.life
    # pass_limit=0: the pass builds the reports and sends none of the outbox's mail.
    Worker(life.uow, life.snapshot, now=clean.clock, store=media(clean), pass_limit=0).run_once()
    client = clean.client(OF_ROLE[Role.PROVINCE_VIEWER])
    client.post(URL, data={"tu": "01/10/2026", "den": "09/10/2026", "dang": "xlsx"}).close()
    html = client.get(URL).get_data(as_text=True)
    rows = listed(html)
    assert len(rows) == 3 and rows[0] == max(rows, key=int)
    assert html.count("Tự động theo lịch") == 2 and html.count("Báo cáo tháng 10") == 2
    docx = next(
        link["href"]
        for link in tags(html, "a", data_testid="kept-download")
        if link["href"].endswith(rows[-1])
    )
    answer = client.get(docx)
    assert (
        quote("Báo cáo tháng 10 từ 01-01-2026 đến 09-10-2026.")
        in answer.headers["Content-Disposition"]
    )


def test_the_list_is_a_page_at_a_time(clean: Desk) -> None:
    store = media(clean)
    for day in range(kept_reports.PAGE + 3):
        kept_reports.keep(
            clean.life.uow, store, f"tệp {day}".encode(), fmt="xlsx", start=date(2026, 1, 1),
            end=date(2026, 1, 1) + timedelta(days=day), built_by="Trần Thị Bình",
            role="ioc_operator", at=MORNING + timedelta(minutes=day),
        )  # fmt: skip
    client = clean.client(OF_ROLE[Role.IOC_OPERATOR])
    first = client.get(URL).get_data(as_text=True)
    (more,) = tags(first, "a", id="kept-more")
    second = client.get(more["href"]).get_data(as_text=True)
    assert len(listed(first)) == kept_reports.PAGE and len(listed(second)) == 3
    both = [int(i) for i in listed(first) + listed(second)]
    assert both == sorted(both, reverse=True) and len(set(both)) == kept_reports.PAGE + 3
    assert not tags(second, "a", id="kept-more")
    assert listed(client.get(URL, query_string={"sau": "9" * 30}).get_data(as_text=True))


def test_only_those_who_build_the_report_download_it(clean: Desk) -> None:
    kept = kept_reports.keep(
        clean.life.uow, media(clean), b"bao cao", fmt="xlsx", start=date(2026, 1, 1),
        end=date(2026, 3, 31), built_by="Trần Thị Bình", role="ioc_operator", at=MORNING,
    )  # fmt: skip
    assert kept is not None
    link = f"{URL}/{kept.id}"
    for role in (Role.OFFICER, Role.LEADER, Role.AUDITOR):
        assert clean.client(OF_ROLE[role]).get(link).status_code == 403
    assert clean.client(None).get(link).status_code in (302, 401)
    admin = clean.client(OF_ROLE[Role.OPERATOR_ADMIN])
    assert admin.get(f"{URL}/{kept.id + 1}").status_code == 404
    assert admin.get(f"{URL}/{2**40}").status_code == 404
