"""What a person types is stored as typed and always shown escaped; a confidential reporter's
identity never reaches a public page (Đ5.4, Đ10.2); nor does any reporter's phone or e-mail."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from engine.services.lifecycle import Lifecycle
from engine.store.models import Attachment, Report, Reporter
from engine.workflow import State
from tests.engine.media_samples import jpeg_with_gps
from tests.web.test_portal_support import (
    answer,
    post,
    report_form,
    send_report,
    text_of,
    upload,
    version_of,
)

PAYLOADS = [
    '<script>alert("xss")</script>',
    '"><img src=x onerror=alert(1)>',
    "'; alert(1); //",
    "<svg/onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "{{ 7*7 }} {% if true %}jinja{% endif %}",
    "&lt;b&gt;already escaped&lt;/b&gt; &amp; &#60;",
    '<a href="javascript:alert(1)">bấm vào đây</a>',
    "<style>body{display:none}</style><!--",
    "]]><iframe src=//evil.example></iframe>",
]


def assert_escaped(html: str, typed: str) -> None:
    assert str(escape(typed)) in html, f"{typed!r} is shown, escaped"
    if typed != str(escape(typed)):
        assert typed not in html, f"{typed!r} never appears raw"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_and_script_are_stored_as_typed_and_shown_escaped(
    client: FlaskClient, life: Lifecycle, payload: str
) -> None:
    name = f"Lê {payload}"
    content = f"Cống thoát nước bị nghẹt {payload} xsscheck"
    address = f"Số 12 {payload}"
    # Refused once (no acknowledgement): the form shows back what was typed, escaped.
    refused = post(
        client,
        "/gui-phan-anh",
        report_form(name=name, content=content, address=address, acknowledge=None),
    )
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    for typed in (name, content, address):
        assert_escaped(html, typed)

    code, token = send_report(client, name=name, content=content, address=address)
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == code)).one()
        reporter = session.get(Reporter, report.id)
        assert (report.content, report.address) == (content, address)
        assert reporter is not None and reporter.name == name

    tracking = client.get(f"/theo-doi/{code}?t={token}").get_data(as_text=True)
    assert_escaped(tracking, content)
    assert_escaped(tracking, address)

    assert answer(life, code, result=f"Đã thông cống {payload}") == State.PUBLISHED
    tracking = client.get(f"/theo-doi/{code}?t={token}").get_data(as_text=True)
    assert_escaped(tracking, f"Đã thông cống {payload}")
    assert_escaped(tracking, f"Kính chào: Ông/Bà {name}")  # the name, in the Phụ lục 2 text
    for url in ("/ket-qua?q=xsscheck", f"/ket-qua/{code}", "/"):
        html = client.get(url).get_data(as_text=True)
        assert code in html, url
        for typed in (name, content, address):
            assert_escaped(html, typed)
    # A reply is shown escaped too.
    post(
        client,
        f"/theo-doi/{code}/phan-hoi",
        {"t": token, "version": version_of(life, code), "text": payload},
    )
    assert_escaped(client.get(f"/theo-doi/{code}?t={token}").get_data(as_text=True), payload)


# -- a confidential reporter -------------------------------------------------------------------

MARK = "ZQXV7"
SECRET = {
    "name": f"Bí Mật {MARK}ten",
    "phone": "0987 654 321",
    "email": f"{MARK.lower()}mail@example.vn",
    "address": f"Số 9 hẻm {MARK}diachi",
    "content": f"Cơ sở xả khói đen gây ô nhiễm không khí {MARK}noidung.",
}
#: What must never appear, however a page writes it.
NEEDLES = [MARK, MARK.lower(), "0987654321", "0987 654 321", "987654321", f"{MARK.lower()}mail"]
#: A reporter who did not ask for confidentiality: the name is public, the phone and e-mail never.
OPEN = {
    "name": "Phan Thị Công Khai",
    "phone": "0977 111 222",
    "email": "congkhai.rieng@example.vn",
    "content": "Cây xanh đổ chắn ngang đường Nguyễn Huệ. congkhaitest",
}
OPEN_NEEDLES = ["0977111222", "0977 111 222", "congkhai.rieng"]


def public_urls(client: FlaskClient, codes: list[str], photos: list[int]) -> list[str]:
    """Every public page and resource: fixed pages, every list page and every result linked."""
    urls = ["/", "/?lang=en", "/linh-vuc", "/gui-phan-anh", "/ket-qua", "/ket-qua?lang=en"]
    urls += [
        f"/ket-qua?q={q}"
        for q in (MARK, MARK.lower(), f"hem+{MARK}diachi", "khoi den", "0987654321")
    ]
    urls += [f"/ket-qua?xa=29557&linh-vuc={s}" for s in ("moi-truong", "giao-thong-van-tai")]
    urls += [f"/ket-qua/{code}" for code in codes]
    urls += [f"/goi-y-linh-vuc?text={SECRET['content']}", f"/goi-y-linh-vuc?text={MARK}"]
    urls += [f"/anh/{i}" for i in photos] + [f"/anh/{i}/nho" for i in photos]
    pages = 1
    first = client.get("/ket-qua").get_data(as_text=True)
    found = re.search(r"trang 1/(\d+)", text_of(first))
    if found:
        pages = int(found.group(1))
    urls += [f"/ket-qua?trang={n}" for n in range(1, pages + 1)]
    for url in list(urls):
        if url.startswith("/ket-qua"):
            html = client.get(url).get_data(as_text=True)
            urls += [f"/ket-qua/{c}" for c in re.findall(r'href="/ket-qua/([^"]+)"', html)]
    return sorted(set(urls))


def test_a_confidential_reporter_never_appears_on_a_public_page(
    client: FlaskClient, life: Lifecycle
) -> None:
    secret_code, secret_token = send_report(
        client,
        confidential="y",
        sector="moi-truong",
        files=[upload(jpeg_with_gps(), f"{MARK}.jpg")],
        **SECRET,
    )
    open_code, _ = send_report(client, files=[upload(jpeg_with_gps(), "cay-do.jpg")], **OPEN)
    assert answer(life, secret_code, "moi-truong") == State.ANSWERED_PRIVATELY
    assert answer(life, open_code, "giao-thong-van-tai") == State.PUBLISHED
    with life.uow.read() as session:
        photos = session.scalars(
            select(Attachment.id).join(Report).where(Report.code.in_([secret_code, open_code]))
        ).all()
    assert len(photos) == 2

    # The reporter still gets the answer, privately.
    private = client.get(f"/theo-doi/{secret_code}?t={secret_token}").get_data(as_text=True)
    assert "Đã trả lời riêng (bảo mật)" in private and "chỉ gửi riêng cho bạn" in private
    assert f"{MARK}diachi" in private and f"{MARK}noidung" in private  # the marker is findable

    visitor = client.application.test_client()  # no session, no tracking link
    urls = public_urls(visitor, [secret_code, open_code], photos)
    assert f"/ket-qua/{open_code}" in urls and len(urls) > 25
    seen_open_name = False
    for url in urls:
        response = visitor.get(url)
        text = response.get_data().decode("utf-8", "replace")
        searched = re.search(r"[?&]q=([^&]+)", url)
        if searched:  # the search box shows what was searched for: that must find nothing
            assert 'data-total="0"' in text, url
            for form in {searched.group(1), unquote_plus(searched.group(1))}:
                text = text.replace(form, "")
        for needle in NEEDLES + OPEN_NEEDLES:
            assert needle not in text, f"{needle!r} appears on {url}"
        for value in SECRET.values():
            assert value not in text and str(escape(value)) not in text, url
        if url == f"/ket-qua/{secret_code}":
            assert response.status_code == 404
        seen_open_name |= OPEN["name"] in text
    assert seen_open_name, "a reporter who did not ask for confidentiality is named (Đ5.4)"
    # Nor is the confidential report listed under its code, or its pictures served.
    listing = visitor.get("/ket-qua").get_data(as_text=True)
    assert secret_code not in listing and open_code in listing
