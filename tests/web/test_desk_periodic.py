"""The periodic report on the desk (R30): the IOC, the province and the administrator download
the same file as ``phananh report periodic`` (XLSX, DOCX or PDF) and find the page in the desk's
menu; an agency's staff are refused and see no link; bad input is a Vietnamese message and no
file."""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from engine.workflow import Role
from tests.web.test_desk_support import OF_ROLE, Desk, build_desk

URL = "/ban-xu-ly/bao-cao-dinh-ky"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    return build_desk(tmp_path_factory.mktemp("periodic"))


@pytest.mark.parametrize("role", [Role.IOC_OPERATOR, Role.PROVINCE_VIEWER, Role.OPERATOR_ADMIN])
def test_the_readers_download_the_report(desk: Desk, role: Role) -> None:
    client = desk.client(OF_ROLE[role])
    assert client.get(URL).status_code == 200
    answer = client.post(URL, data={"tu": "01/01/2000", "den": "31/12/2099", "dang": "xlsx"})
    assert answer.status_code == 200
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = [r[0] for r in load_workbook(io.BytesIO(answer.data)).active.iter_rows(values_only=True)]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in rows and "Tổng" in rows
    docx = client.post(URL, data={"tu": "01/01/2000", "den": "31/12/2099", "dang": "docx"})
    assert "Nơi nhận:" in [p.text for p in Document(io.BytesIO(docx.data)).paragraphs]
    pdf = client.post(URL, data={"tu": "01/01/2000", "den": "31/12/2099", "dang": "pdf"})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].endswith(".pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "KẾT QUẢ THEO LĨNH VỰC" in text and "Kính gửi: Ủy ban nhân dân tỉnh" in text


@pytest.mark.parametrize("role", [Role.IOC_OPERATOR, Role.PROVINCE_VIEWER, Role.OPERATOR_ADMIN])
def test_the_readers_find_the_report_in_the_menu(desk: Desk, role: Role) -> None:
    html = desk.client(OF_ROLE[role]).get("/ban-xu-ly").get_data(as_text=True)
    assert f'id="nav-periodic" href="{URL}"' in html
    assert "Báo cáo định kỳ" in html


def test_an_agency_officer_is_refused_and_has_no_link(desk: Desk) -> None:
    client = desk.client(OF_ROLE[Role.OFFICER])
    assert client.get(URL).status_code == 403
    assert 'id="nav-periodic"' not in client.get("/ban-xu-ly").get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        {"tu": "31/12/2025", "den": "01/01/2025", "dang": "xlsx"},
        {"tu": "32/01/2025", "den": "01/02/2025", "dang": "docx"},
        {"tu": "01/01/2025", "den": "01/02/2025", "dang": "odt"},
    ],
)
def test_bad_input_is_a_vietnamese_message_and_no_file(desk: Desk, query: dict) -> None:
    answer = desk.client(OF_ROLE[Role.IOC_OPERATOR]).post(URL, data=query)
    assert answer.status_code == 422
    assert "attachment" not in answer.headers.get("Content-Disposition", "")
    assert 'id="periodic-problem"' in answer.get_data(as_text=True)
