"""Published results (Đ5.4, Đ10): the list, its filters and pages, one result, its pictures."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.services.lifecycle import Lifecycle
from engine.store.models import Attachment, Report
from engine.workflow import State
from tests.engine.media_samples import jpeg_with_gps
from tests.web.test_portal_support import (
    PHUOC_HAU,
    answer,
    direct_report,
    send_report,
    text_of,
    upload,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
LONG_HO = "29602"  # Xã Long Hồ


def codes_on(client: FlaskClient, url: str) -> list[str]:
    html = client.get(url).get_data(as_text=True)
    return re.findall(r'data-testid="result-card" data-code="([^"]+)"', html)


@pytest.fixture(scope="module")
def published(life: Lifecycle) -> dict[str, str]:
    """Reports of March and April 2025 in two sectors and two communes, all published."""
    made = {
        "road-march": direct_report(
            life,
            content="Mặt đường Phạm Thái Bường lún, nhiều ổ gà sâu. locthu",
            at=datetime(2025, 3, 10, 9, 0, tzinfo=VN),
        ),
        "waste-march": direct_report(
            life,
            content="Bãi rác tự phát bốc mùi hôi gần chợ. locthu",
            area=LONG_HO,
            address="Ấp Phước Yên",
            at=datetime(2025, 3, 20, 15, 0, tzinfo=VN),
        ),
        "road-april": direct_report(
            life,
            content="Đèn tín hiệu giao thông ở ngã tư bị hỏng. locthu",
            area=LONG_HO,
            address="Ngã tư Long Hồ",
            at=datetime(2025, 4, 5, 8, 0, tzinfo=VN),
        ),
        "private": direct_report(
            life,
            content="Nước thải xả ra kênh. locthu",
            confidential=True,
            at=datetime(2025, 3, 15, 8, 0, tzinfo=VN),
        ),
    }
    sectors = {
        "road-march": "giao-thong-van-tai",
        "waste-march": "moi-truong",
        "road-april": "giao-thong-van-tai",
        "private": "moi-truong",
    }
    for key, (code, _token) in made.items():
        answer(life, code, sectors[key])
    return {key: code for key, (code, _token) in made.items()}


def test_the_list_shows_published_results_only(
    client: FlaskClient, published: dict[str, str]
) -> None:
    html = client.get("/ket-qua?q=locthu").get_data(as_text=True)
    shown = re.findall(r'data-testid="result-card" data-code="([^"]+)"', html)
    assert set(shown) == {
        published["road-march"],
        published["waste-march"],
        published["road-april"],
    }
    assert shown[0] == published["road-april"] or len(shown) == 3
    page = text_of(html)
    assert "3 kết quả" in page
    assert "Trần Văn Bé" in page and "Chợ Phước Hậu, Phường Phước Hậu" in page
    assert "Nước thải xả ra kênh" not in page


def test_filters_by_sector_commune_period_and_text(
    client: FlaskClient, published: dict[str, str]
) -> None:
    def shown(query: str) -> set[str]:
        return set(codes_on(client, f"/ket-qua?q=locthu&{query}"))

    assert shown("linh-vuc=moi-truong") == {published["waste-march"]}
    assert shown("linh-vuc=giao-thong-van-tai") == {
        published["road-march"],
        published["road-april"],
    }
    assert shown(f"xa={LONG_HO}") == {published["waste-march"], published["road-april"]}
    assert shown(f"xa={PHUOC_HAU}") == {published["road-march"]}
    assert shown("tu=2025-03-01&den=2025-03-31") == {
        published["road-march"],
        published["waste-march"],
    }
    assert shown("tu=01/04/2025") == {published["road-april"]}
    assert shown("den=10/03/2025") == {published["road-march"]}
    assert shown(f"linh-vuc=giao-thong-van-tai&xa={LONG_HO}&tu=2025-04-01") == {
        published["road-april"]
    }
    # Text without diacritics, in any case, finds text with them.
    assert set(codes_on(client, "/ket-qua?q=O+GA+SAU")) == {published["road-march"]}
    # Syllables typed together are a phrase (issue 11); a comma separates phrases, all required.
    assert set(codes_on(client, "/ket-qua?q=bai+rac+boc+mui")) == set()
    assert set(codes_on(client, "/ket-qua?q=bai+rac%2C+boc+mui")) == {published["waste-march"]}
    assert set(codes_on(client, "/ket-qua?q=nga+tu+long+ho")) == {published["road-april"]}
    # Filters the page cannot use are said so, and ignored.
    html = client.get("/ket-qua?q=locthu&tu=31/02/2025&linh-vuc=khong-co").get_data(as_text=True)
    assert "Ngày không hợp lệ" in html and "Lĩnh vực này không có trong danh sách" in html
    assert len(re.findall(r'data-testid="result-card"', html)) == 3


def test_the_list_is_paged_and_the_pages_keep_the_filters(
    client: FlaskClient, life: Lifecycle
) -> None:
    codes = []
    for i in range(23):
        code, _ = direct_report(life, content=f"Cây xanh gãy đổ chắn đường số {i}. trangphan")
        answer(life, code)
        codes.append(code)
    first = client.get("/ket-qua?q=trangphan").get_data(as_text=True)
    on_first = re.findall(r'data-testid="result-card" data-code="([^"]+)"', first)
    assert len(on_first) == 20 and "23 kết quả" in text_of(first) and "trang 1/2" in text_of(first)
    following = re.search(r'id="page-next" rel="next" href="([^"]+)"', first)
    assert following and "q=trangphan" in following.group(1) and "trang=2" in following.group(1)
    second = client.get(following.group(1).replace("&amp;", "&")).get_data(as_text=True)
    on_second = re.findall(r'data-testid="result-card" data-code="([^"]+)"', second)
    assert len(on_second) == 3 and set(on_first) | set(on_second) == set(codes)
    assert 'id="page-prev"' in second
    # Newest first; past the last page, the last page.
    assert on_first[0] == codes[-1]
    assert codes_on(client, "/ket-qua?q=trangphan&trang=99") == on_second
    assert codes_on(client, "/ket-qua?q=trangphan&trang=abc") == on_first


def test_past_the_counted_results_the_list_pages_by_position(
    client: FlaskClient, life: Lifecycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts stop at the cap ("Hơn … kết quả"); deeper pages follow a position, not an OFFSET."""
    from dataclasses import replace

    from engine.services import keyset

    monkeypatch.setattr(keyset, "COUNT_CAP", 4)
    portal = replace(life.snapshot.portal, page_size=2)  # pages 1–2 by number, 3–4 by position
    monkeypatch.setattr(life, "snapshot", replace(life.snapshot, portal=portal))
    codes = []
    for i in range(7):
        code, _ = direct_report(life, content=f"Đèn đường số {i} không sáng. vitrisau")
        answer(life, code)
        codes.append(code)
    seen, url, pages = [], "/ket-qua?q=vitrisau", 0
    while url and pages < 10:
        html = client.get(url).get_data(as_text=True)
        pages += 1
        if pages == 1:
            assert "Hơn 4 kết quả" in text_of(html) and "trang 1/" not in text_of(html)
        seen += re.findall(r'data-testid="result-card" data-code="([^"]+)"', html)
        following = re.search(r'id="page-next" rel="next" href="([^"]+)"', html)
        url = following.group(1).replace("&amp;", "&") if following else ""
        assert not following or "q=vitrisau" in following.group(1)
    assert seen == codes[::-1] and pages == 4  # newest first, each once, across the cap
    assert 'id="page-first"' in html and 'id="page-prev"' not in html
    edited = client.get("/ket-qua?q=vitrisau&sau=t1.x2").get_data(as_text=True)
    assert "Địa chỉ trang không hợp lệ" in text_of(edited)
    assert codes_on(client, "/ket-qua?q=vitrisau&sau=t1.x2") == codes_on(
        client, "/ket-qua?q=vitrisau"
    )
    home = client.get("/").get_data(as_text=True)
    assert "hơn 4 kết quả" in text_of(home)


def test_one_result_and_its_pictures(client: FlaskClient, life: Lifecycle) -> None:
    code, _token = send_report(client, files=[upload(jpeg_with_gps(), "o-ga.jpg")])
    answer(life, code, result="Đã vá ổ gà.")
    html = client.get(f"/ket-qua/{code}").get_data(as_text=True)
    page = text_of(html)
    assert "Nguyễn Văn An" in page and "45 Phạm Thái Bường, Phường Phước Hậu" in page
    assert "Đường Phạm Thái Bường có ổ gà lớn" in page and "Đã vá ổ gà." in page
    assert "0909 123 456" not in page and "an.nguyen@example.vn" not in page
    photo = re.search(r'href="/anh/(\d+)"[^>]*><img src="/anh/\1/nho"', html)
    assert photo, "the picture and its thumbnail are linked"
    full = client.get(f"/anh/{photo.group(1)}")
    assert full.status_code == 200 and full.mimetype == "image/jpeg"
    assert "max-age=3600" in full.headers["Cache-Control"]
    assert "public" in full.headers["Cache-Control"]
    assert full.headers["X-Content-Type-Options"] == "nosniff"
    assert full.headers.get("ETag")
    small = client.get(f"/anh/{photo.group(1)}/nho")
    assert small.status_code == 200 and small.mimetype == "image/jpeg"
    assert len(small.data) < len(full.data) or len(full.data) < 4000
    again = client.get(f"/anh/{photo.group(1)}", headers={"If-None-Match": full.headers["ETag"]})
    assert again.status_code == 304
    # The home page shows it among the latest results.
    assert code in client.get("/").get_data(as_text=True)
    assert client.get("/ket-qua/PA-1999-000001").status_code == 404
    assert client.get("/ket-qua/khong-phai-ma").status_code == 404
    assert client.get("/anh/999999").status_code == 404


def test_pictures_of_unpublished_reports_are_not_served(
    client: FlaskClient, life: Lifecycle
) -> None:
    code, _token = send_report(client, files=[upload(jpeg_with_gps(), "cho.jpg")])
    with life.uow.read() as session:
        ids = session.scalars(select(Attachment.id).join(Report).where(Report.code == code)).all()
    assert ids
    for attachment in ids:
        assert client.get(f"/anh/{attachment}").status_code == 404
        assert client.get(f"/anh/{attachment}/nho").status_code == 404
    assert client.get(f"/ket-qua/{code}").status_code == 404


def test_the_home_page_invites_to_report(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert 'id="cta-submit"' in html and 'href="/gui-phan-anh"' in html
    assert 'href="/linh-vuc"' in html, "Phụ lục 1 is linked from the portal"
    assert '<html lang="vi">' in html
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert State.PUBLISHED  # the latest results are the published ones (see the tests above)
