"""A citizen on a phone picks a sector: only that sector's extra questions appear, and the answer
is kept with the report (the default configuration asks the kind of pollution for "Môi trường")."""

from __future__ import annotations

from sqlalchemy import select

from engine.store.models import Report


def test_the_chosen_sectors_questions_appear_and_are_sent(phone, base_url: str, live_app) -> None:  # noqa: ANN001
    phone.goto(f"{base_url}/gui-phan-anh")
    phone.wait_for_selector("#report-form[data-live=on]")  # the page's script is in place
    group = phone.locator("#sector-fields-moi-truong")
    assert group.is_hidden()  # no sector chosen yet: no extra questions
    phone.fill("[name=name]", "Nguyễn Văn An")
    phone.fill("[name=phone]", "0909 123 456")
    phone.fill("[name=content]", "Bãi rác tự phát trước chợ Phước Hậu bốc mùi hôi mỗi chiều.")
    phone.select_option("[name=sector]", "moi-truong")
    group.wait_for(state="visible")
    assert "Loại ô nhiễm" in group.inner_text()
    phone.select_option("[name=moi-truong-loai_o_nhiem]", "mui_hoi")
    phone.select_option("[name=sector]", "giao-thong-van-tai")
    assert group.is_hidden()  # another sector: the questions go away…
    phone.select_option("[name=sector]", "moi-truong")
    assert phone.input_value("[name=moi-truong-loai_o_nhiem]") == "mui_hoi"  # …and keep the answer
    phone.select_option("[name=area]", "29557")
    phone.check("[name=acknowledge]")
    phone.click("#submit-report")
    phone.wait_for_selector("#report-code")
    code = phone.inner_text("#report-code").strip()
    with live_app.extensions["phananh.lifecycle"].uow.read() as session:
        extra = session.scalars(select(Report.extra).where(Report.code == code)).one()
    assert extra == {"loai_o_nhiem": "mui_hoi"}
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
