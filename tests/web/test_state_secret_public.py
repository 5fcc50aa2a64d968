"""A report the agency's leader marks as touching state secrets (Đ10.3, R18) stays off every
public output: the portal's home, list, search, result page and photos; the API's list, report and
photos; Open311's list, record and coordinates; and the result mail. A twin report, the same but
unmarked, is on each of them — so each check can fail.
"""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.services.lifecycle import Actor, Lifecycle
from engine.store.models import Attachment, OutboxMessage, Report
from engine.workflow import Role, State
from tests.engine.media_samples import jpeg_with_gps
from tests.web.test_portal_support import (
    IOC,
    TRANSPORT,
    agency_of,
    direct_report,
    send_report,
    upload,
    version_of,
)
from web.open311_records import CHANNEL

API, V2 = "/api/v1", "/open311/v2"
SECRET_WORD, OPEN_WORD = "qxbimatzz", "qxcongkhaizz"


def act(life: Lifecycle, who: Actor, code: str, action: str, **inputs: Any) -> State:
    return life.perform(who, code, action, version=version_of(life, code), **inputs).state


def answer(life: Lifecycle, code: str, *, leader_marks: bool) -> State:
    """From received to publication; the leader marks the state secret just before publishing."""
    act(life, IOC, code, "classify", sector=TRANSPORT)
    act(life, IOC, code, "forward")
    agency = agency_of(life, code)
    officer = Actor("Phạm Minh Đức", Role.OFFICER, agency=agency)
    leader = Actor("Võ Thị Em", Role.LEADER, agency=agency)
    act(life, officer, code, "accept")
    act(life, officer, code, "propose_result", result=f"Đã xử lý xong {code}.")
    act(life, leader, code, "approve")
    if leader_marks:
        act(
            life,
            leader,
            code,
            "mark_secret_before_publication",
            reason="Gần công trình quốc phòng.",
        )
    return act(life, leader, code, "publish")


def photos_of(life: Lifecycle, code: str) -> list[int]:
    with life.uow.read() as session:
        return list(session.scalars(select(Attachment.id).join(Report).where(Report.code == code)))


def outbox_kinds(life: Lifecycle, code: str) -> list[str]:
    with life.uow.read() as session:
        return list(
            session.scalars(select(OutboxMessage.kind).join(Report).where(Report.code == code))
        )


def test_a_leaders_state_secret_mark_keeps_the_report_off_every_public_output(
    client: FlaskClient, life: Lifecycle
) -> None:
    base = "Ổ gà lớn giữa đường Phạm Thái Bường"
    secret, secret_token = send_report(
        client,
        content=f"{base} {SECRET_WORD}.",
        email="an@example.vn",
        files=[upload(jpeg_with_gps(), "o-ga.jpg")],
    )
    twin, _ = send_report(
        client,
        content=f"{base} {OPEN_WORD}.",
        email="binh@example.vn",
        files=[upload(jpeg_with_gps(), "o-ga.jpg")],
    )
    assert answer(life, secret, leader_marks=True) is State.RESTRICTED
    assert answer(life, twin, leader_marks=False) is State.PUBLISHED
    (secret_photo,), (twin_photo,) = photos_of(life, secret), photos_of(life, twin)

    visitor = client.application.test_client()
    listed = {
        "portal home": "/",
        "portal list": "/ket-qua",
        "portal search by words": "/ket-qua?q={word}",
        "API list": f"{API}/reports?size=100",
        "Open311 list (JSON)": f"{V2}/requests.json",
        "Open311 list (XML)": f"{V2}/requests.xml",
    }
    for name, url in listed.items():
        for code, word, shown in ((secret, SECRET_WORD, False), (twin, OPEN_WORD, True)):
            response = visitor.get(url.format(code=code, word=word))
            text = response.get_data(as_text=True).replace(f"q={code}", "").replace(f"q={word}", "")
            text = text.replace(f'value="{code}"', "").replace(f'value="{word}"', "")
            assert response.status_code == 200, name
            assert (code in text) is shown, (name, code)
            assert (word in text) is shown, (name, word)
    one = {
        "portal result page": "/ket-qua/{code}",
        "portal photo": "/anh/{photo}",
        "portal thumbnail": "/anh/{photo}/nho",
        "API report": f"{API}/reports/{{code}}",
        "API photo": f"{API}/photos/{{photo}}",
        "API thumbnail": f"{API}/photos/{{photo}}/thumbnail",
        "Open311 record": f"{V2}/requests/{{code}}.json",
    }
    for name, url in one.items():
        for code, photo_id, found in ((secret, secret_photo, 404), (twin, twin_photo, 200)):
            status = visitor.get(url.format(code=code, photo=photo_id)).status_code
            assert status == found, (name, code, status)

    # The result mail: none for the restricted report (Đ10.3); the twin's reporter has one.
    assert "reporter.result" not in outbox_kinds(life, secret)
    assert "reporter.result" in outbox_kinds(life, twin)
    # The reporter's own page says it is not published and carries no result text.
    own = client.get(f"/theo-doi/{secret}?t={secret_token}").get_data(as_text=True)
    assert "Không công khai (bí mật nhà nước)" in own
    assert f"Đã xử lý xong {secret}" not in own


def test_the_ioc_mark_at_classification_takes_an_open311_report_off_its_record(
    client: FlaskClient, life: Lifecycle
) -> None:
    code, _ = direct_report(life, channel=CHANNEL)
    visitor = client.application.test_client()
    assert visitor.get(f"{V2}/requests/{code}.json").status_code == 200  # followed while open
    act(life, IOC, code, "mark_secret_at_classification", reason="Khu vực quân sự.")
    assert visitor.get(f"{V2}/requests/{code}.json").status_code == 404
    assert (
        visitor.get(f"{V2}/requests.json?service_request_id={code}")
        .get_data(as_text=True)
        .count(code)
        == 0
    )
