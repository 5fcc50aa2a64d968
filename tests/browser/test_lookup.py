"""A citizen who lost the private link finds the report by its code and phone number, on a phone."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.store.models import OutboxMessage, Report
from web.limits import limiter

CONTENT = (
    "Đèn tín hiệu giao thông ngã tư Phạm Thái Bường tắt từ sáng, xe cộ đi lộn xộn rất nguy hiểm."
)


def submit(phone, base_url: str, email: str = "") -> tuple[str, str]:  # noqa: ANN001
    phone.goto(f"{base_url}/gui-phan-anh")
    phone.fill("[name=name]", "Lê Thị Cúc")
    phone.fill("[name=phone]", "0918 765 432")
    if email:
        phone.fill("[name=email]", email)
    phone.fill("[name=content]", CONTENT)
    phone.fill("#area-filter", "Phước Hậu")
    phone.select_option("[name=area]", "29557")
    phone.fill("[name=address]", "Ngã tư Phạm Thái Bường")
    phone.check("[name=acknowledge]")
    phone.click("#submit-report")
    phone.wait_for_selector("#report-code")
    return phone.inner_text("#report-code").strip(), phone.get_attribute("#tracking-link", "href")


def look_up(phone, code: str, number: str) -> None:  # noqa: ANN001
    phone.fill("[name=code]", code)
    phone.fill("[name=phone]", number)
    phone.click("#lookup-submit")
    phone.wait_for_load_state()


def test_a_citizen_recovers_a_report_by_code_and_phone(phone, base_url: str) -> None:  # noqa: ANN001
    limiter.reset()
    code, old_link = submit(phone, base_url)
    phone.goto(f"{base_url}/")  # the link is lost: only the code was written down
    phone.click("#nav-lookup")
    look_up(phone, code, "0918 000 000")
    assert "Không tìm thấy phản ánh với mã và số điện thoại này" in phone.inner_text(
        "#lookup-problem"
    )
    assert CONTENT[:20] not in phone.content()

    look_up(phone, code.lower(), "+84 918 765 432")  # written another way: the same number

    assert re.search(rf"/theo-doi/{code}\?t=", phone.url)
    assert phone.get_attribute("#report-state", "data-state") == "received"
    assert CONTENT[:20] in phone.inner_text("main")
    phone.goto(old_link if old_link.startswith("http") else f"{base_url}{old_link}")
    assert "Đường dẫn theo dõi không đúng" in phone.inner_text("main")  # the old link is dead
    limiter.reset()


def test_with_an_email_address_the_new_link_goes_to_the_mailbox(
    phone,
    base_url: str,
    live_app,  # noqa: ANN001
) -> None:
    limiter.reset()
    code, _ = submit(phone, base_url, email="cuc.le@example.vn")
    phone.goto(f"{base_url}/tra-cuu")
    look_up(phone, code, "0918765432")

    assert "đã được gửi đến địa chỉ thư điện tử" in phone.inner_text("#lookup-mailed")
    assert "/theo-doi/" not in phone.content()
    life = live_app.extensions["phananh.lifecycle"]
    with life.uow.read() as session:
        report_id = session.scalar(select(Report.id).where(Report.code == code))
        sent_to = session.scalars(
            select(OutboxMessage.payload["to"].as_string()).where(
                OutboxMessage.report_id == report_id, OutboxMessage.kind == "reporter.new_link"
            )
        ).all()
    assert sent_to == ["cuc.le@example.vn"]
    limiter.reset()
