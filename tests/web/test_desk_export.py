"""The desk's export page (R23, Đ12.1): for the operations administrator and the auditor only; a
good request is a download of the period's reports, put on the register shown on the page; a bad
one is the page again in Vietnamese, nothing written."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from engine.store.models import ExportRecord, Report
from tests.web.test_desk_support import Desk, build_desk, submit

MARKER = "Xyqmarker"
APRIL = {"from": "2026-04-01", "to": "2026-04-30", "reason": "Công văn 9/TTr ngày 20/4/2026"}


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    built = build_desk(tmp_path_factory.mktemp("desk-export"))
    submit(built.life)
    submit(built.life, name=f"Lý {MARKER}", confidential=True, reporter_address=f"{MARKER} 3")
    return built


def registered(desk: Desk) -> int:
    with desk.life.uow.read() as session:
        return session.scalar(select(func.count()).select_from(ExportRecord)) or 0


def codes_of(desk: Desk) -> list[str]:
    with desk.life.uow.read() as session:
        return list(session.scalars(select(Report.code).order_by(Report.submitted_at, Report.id)))


@pytest.mark.parametrize(
    ("username", "status"),
    [("quantri", 200), ("kiemtra", 200), ("ioc", 403), ("tinh", 403), ("lanhdao.sxd", 403)],
)
def test_only_the_administrator_and_the_auditor_open_the_page(
    desk: Desk, username: str, status: int
) -> None:
    assert desk.client(username).get("/ban-xu-ly/xuat-du-lieu").status_code == status
    before = registered(desk)
    posted = desk.client(username).post("/ban-xu-ly/xuat-du-lieu", data={**APRIL, "format": "csv"})
    if status == 403:
        assert posted.status_code == 403 and registered(desk) == before


def test_a_csv_download_streams_the_period_and_goes_on_the_register(desk: Desk) -> None:
    before = registered(desk)
    response = desk.client("quantri").post(
        "/ban-xu-ly/xuat-du-lieu", data={**APRIL, "format": "csv"}
    )
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert [row["Mã phản ánh"] for row in rows] == codes_of(desk)
    assert MARKER not in body
    assert registered(desk) == before + 1
    page = desk.client("kiemtra").get("/ban-xu-ly/xuat-du-lieu").get_data(as_text=True)
    assert APRIL["reason"] in page and "Lê Văn Cường" in page


def test_an_xlsx_download_opens_with_its_sheets(desk: Desk) -> None:
    response = desk.client("kiemtra").post(
        "/ban-xu-ly/xuat-du-lieu", data={**APRIL, "format": "xlsx", "agency": "SXD"}
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    assert book.sheetnames[0] == "Phản ánh"
    assert list(book["Phản ánh"].values)[1:] == []  # nothing forwarded to SXD yet


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"from": "2026-05-01"}, "sau ngày kết thúc"),
        ({"to": "ngày mai"}, "không phải ngày hợp lệ"),
        ({"reason": ""}, "Cần ghi lý do"),
        ({"agency": "KHONG-CO"}, "không có trong cấu hình"),
        ({"format": "pdf"}, "Định dạng «pdf» không có"),
    ],
)
def test_bad_input_is_the_page_again_in_vietnamese_and_nothing_written(
    desk: Desk, changes: dict[str, str], message: str
) -> None:
    before = registered(desk)
    response = desk.client("quantri").post(
        "/ban-xu-ly/xuat-du-lieu", data={**APRIL, "format": "jsonl", **changes}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "Chưa có gì được ghi" in page
    assert registered(desk) == before
