"""Vietnamese first, English second: the switch, the session, and a complete English catalog."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient

from engine.workflow import ACTIONS, RATINGS, STATE_LABELS_VI
from tests.web.test_portal_support import post, report_form, send_report, text_of
from web import i18n


def test_every_message_has_an_english_translation() -> None:
    citizen = [r.citizen for r in ACTIONS.values() if r.citizen]
    data = [*STATE_LABELS_VI.values(), *citizen, *RATINGS.values()]
    assert i18n.missing_translations("en", extra=data) == []
    assert len(list(i18n.messages())) > 100


def test_the_catalogs_compile_from_their_sources(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = i18n.compile_catalogs(target=tmp_path)
    assert (target / "en" / "LC_MESSAGES" / "messages.mo").stat().st_size > 1000


def test_pages_are_vietnamese_unless_english_is_chosen(client: FlaskClient) -> None:
    visitor = client.application.test_client()
    html = visitor.get("/gui-phan-anh", headers={"Accept-Language": "en-US,en"}).get_data(
        as_text=True
    )
    assert '<html lang="vi">' in html and "Họ và tên" in html

    html = visitor.get("/gui-phan-anh?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    page = text_of(html)
    for label in (
        "Send a field report",
        "Full name",
        "Phone number",
        "E-mail (optional)",
        "Description",
        "Sector (optional)",
        "Commune or ward where it happens",
        "Keep my name and address confidential",
        "I declare that this report is true",
        "Send a report",
    ):
        assert label in page, label
    assert "Họ và tên" not in page
    # The communes and sectors keep their own (Vietnamese) names.
    assert "Phường Phước Hậu" in page and "Giao thông - Vận tải" in page

    # The choice is remembered for the visit, on every page, until switched back.
    assert "Results of reports" in text_of(visitor.get("/ket-qua").get_data(as_text=True))
    assert "Latest results" in text_of(visitor.get("/").get_data(as_text=True))
    assert "Kết quả xử lý mới nhất" in text_of(visitor.get("/?lang=vi").get_data(as_text=True))
    assert "Kết quả xử lý phản ánh" in text_of(visitor.get("/ket-qua").get_data(as_text=True))


def test_errors_are_in_the_chosen_language(client: FlaskClient) -> None:
    visitor = client.application.test_client()
    visitor.get("/?lang=en")
    data = report_form(
        name="", phone="12345", acknowledge=None, latitude="21.03", longitude="105.85"
    )
    page = text_of(post(visitor, "/gui-phan-anh", data).get_data(as_text=True))
    assert "The report was not sent" in page
    assert "Please enter your full name" in page
    assert "The phone number is not valid" in page  # the completeness rules' English sentence
    assert "outside Vĩnh Long province" in page
    assert "Please confirm that you take responsibility" in page
    fake = report_form(files=[(io.BytesIO(b"not a photo" * 10), "x.jpg", "image/jpeg")])
    page = text_of(post(visitor, "/gui-phan-anh", fake).get_data(as_text=True))
    assert "is not a photo or a video" in page


def test_the_switch_keeps_the_page_and_its_parameters(client: FlaskClient) -> None:
    html = client.get("/ket-qua?q=o+ga&linh-vuc=moi-truong").get_data(as_text=True)
    switch = re.search(r'id="lang-en"[^>]*href="([^"]+)"', html)
    assert switch
    assert switch.group(1).replace("&amp;", "&") == "/ket-qua?q=o+ga&linh-vuc=moi-truong&lang=en"
    code, token = send_report(client)
    tracking = client.get(f"/theo-doi/{code}?t={token}&lang=en").get_data(as_text=True)
    assert "Status: Received, awaiting classification" in text_of(tracking)
    assert "Send a report" in text_of(tracking)  # the first step
    back = re.search(r'id="lang-vi"[^>]*href="([^"]+)"', tracking)
    assert back and f"t={token}" in back.group(1)
    client.get("/?lang=vi")
