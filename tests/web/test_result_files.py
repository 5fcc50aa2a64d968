"""The result's files (Đ8.B4, Phụ lục 2 "đính kèm văn bản nếu có"): the officer attaches "after"
photos and the signed answer in PDF; the leader sees them; the published result and the reporter's
own answer list them; nothing of a private or restricted answer is ever served publicly.
"""

from __future__ import annotations

import html as entities
import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from engine.services.lifecycle import NewReport
from engine.store.models import Attachment, Event
from engine.workflow import State
from tests.engine.media_samples import jpeg_with_gps, mp4
from tests.web.test_desk_support import (
    MORNING,
    PHUOC_HAU,
    TRANSPORT,
    Desk,
    actor,
    build_desk,
    counts,
    perform,
    state_of,
    tags,
    text_of,
    version_of,
)

OFFICER, LEADER = "canbo.sxd", "lanhdao.sxd"
RESULT = "Đã vá ổ gà trước số 45 Phạm Thái Bường ngày 23/4/2026."


def pdf(padding: int = 200) -> bytes:
    """A small whole PDF: header, one object, cross-reference pointer and end-of-file marker."""
    body = b"1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"%" + b"x" * padding + b"\n"
    return b"%PDF-1.7\n" + body + b"xref\n0 1\ntrailer\n<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    return build_desk(tmp_path_factory.mktemp("result-files"))


@pytest.fixture(autouse=True)
def morning(desk: Desk) -> None:
    desk.clock.value = MORNING


def in_progress(desk: Desk, **changes: Any) -> tuple[str, str]:
    """A report the officer of SXD is handling, with its tracking token."""
    values: dict[str, Any] = {
        "name": "Nguyễn Văn An",
        "phone": "0909 123 456",
        "content": "Đường Phạm Thái Bường có ổ gà lớn trước số 45, xe máy dễ té ngã.",
        "area": PHUOC_HAU,
        "address": "45 Phạm Thái Bường",
        **changes,
    }
    sent = desk.life.submit(NewReport(**values))
    perform(desk.life, actor("ioc"), sent.code, "classify", sector=TRANSPORT)
    perform(desk.life, actor("ioc"), sent.code, "forward")
    perform(desk.life, actor(OFFICER), sent.code, "accept")
    return sent.code, sent.tracking_token


def propose(desk: Desk, code: str, *files: tuple[bytes, str]):  # noqa: ANN201
    data: dict[str, Any] = {
        "version": str(version_of(desk.life, code)),
        "result": RESULT,
        "attachments": [(io.BytesIO(data), name) for data, name in files],
    }
    return desk.client(OFFICER).post(
        f"/ban-xu-ly/phan-anh/{code}/propose_result", data=data, content_type="multipart/form-data"
    )


def result_files(desk: Desk, code: str) -> list[Any]:
    """The result's attachment rows of report ``code``, as plain rows."""
    with desk.life.uow.read() as session:
        return list(
            session.execute(
                select(
                    Attachment.id,
                    Attachment.kind,
                    Attachment.content_type,
                    Attachment.filename,
                    Attachment.path,
                )
                .where(Attachment.stage == "result", Attachment.report.has(code=code))
                .order_by(Attachment.id)
            )
        )


def inner_text(page: str, marker: str) -> str:
    """The text of the first element whose start tag contains ``marker`` (its tags removed)."""
    found = re.search(rf"<(\w+)[^>]*{re.escape(marker)}[^>]*>(.*?)</\1>", page, re.DOTALL)
    assert found, f"nothing marked {marker}"
    return entities.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found[2]))).strip()


def refusal(response: Any) -> str:
    return inner_text(
        response.get_data(as_text=True), 'data-testid="field-error" data-field="attachments"'
    )


def stored_files(desk: Desk) -> set[Path]:
    root = Path(desk.app.config["MEDIA_ROOT"])
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_an_officer_attaches_a_photo_and_a_pdf_and_they_reach_the_published_result(
    desk: Desk,
) -> None:
    code, token = in_progress(desk)
    response = propose(desk, code, (jpeg_with_gps(), "anh-sau-khi-va.jpg"), (pdf(), "bien-ban.pdf"))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert state_of(desk.life, code) is State.PENDING_APPROVAL

    photo, document = result_files(desk, code)
    assert (photo.kind, photo.content_type, photo.filename) == (
        "photo",
        "image/jpeg",
        "anh-sau-khi-va.jpg",
    )
    assert (document.kind, document.content_type) == ("document", "application/pdf")
    stored = Path(desk.app.config["MEDIA_ROOT"]) / photo.path
    with Image.open(stored) as image:  # cleaned like a citizen's photo: no EXIF, no place
        assert not image.getexif()
    assert (Path(desk.app.config["MEDIA_ROOT"]) / document.path).read_bytes() == pdf()
    with desk.life.uow.read() as session:
        event = session.scalars(
            select(Event).where(Event.action == "propose_result").order_by(Event.id.desc())
        ).first()
        assert event is not None
        assert [f["filename"] for f in event.data["files"]] == [
            "anh-sau-khi-va.jpg",
            "bien-ban.pdf",
        ]

    # The leader sees both before approving, and edits the text: the files stay with the result.
    page = desk.client(LEADER).get(f"/ban-xu-ly/phan-anh/{code}").get_data(as_text=True)
    listed = [t for t in tags(page, "li") if t.get("data-testid") == "result-file"]
    assert [t["data-kind"] for t in listed] == ["photo", "document"]
    assert "bien-ban.pdf" in text_of(page)
    perform(desk.life, actor(LEADER), code, "edit_and_approve", result="Sở Xây dựng " + RESULT)
    assert len(result_files(desk, code)) == 2
    perform(desk.life, actor(LEADER), code, "publish")
    assert state_of(desk.life, code) is State.PUBLISHED

    # Phụ lục 2 names them; the public page shows the photo and links the document.
    public = desk.client(None).get(f"/ket-qua/{code}").get_data(as_text=True)
    assert "anh-sau-khi-va.jpg (ảnh," in public and "bien-ban.pdf (văn bản PDF," in public
    assert tags(public, "a", data_testid="result-document")[0]["href"] == (
        f"/tep-ket-qua/{document.id}"
    )
    assert tags(public, "a", data_testid="result-photo")

    shown = desk.client(None).get(f"/tep-ket-qua/{photo.id}")
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    assert shown.headers["Content-Disposition"] == "inline"
    served = desk.client(None).get(f"/tep-ket-qua/{document.id}")
    assert served.status_code == 200 and served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert "bien-ban.pdf" in served.headers["Content-Disposition"]
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.data == pdf()

    # The reporter's own page lists them too, and names the agency that handled the report.
    tracking = desk.client(None).get(f"/theo-doi/{code}?t={token}").get_data(as_text=True)
    assert inner_text(tracking, 'id="report-agency"') == desk.life.snapshot.agencies["SXD"].name
    assert len([t for t in tags(tracking, "li") if t.get("data-testid") == "result-file"]) == 2


def test_a_file_of_a_type_not_taken_is_refused_in_vietnamese_and_nothing_is_written(
    desk: Desk,
) -> None:
    code, _ = in_progress(desk)
    before, files_before = counts(desk.life), stored_files(desk)
    zipped = b"PK\x03\x04" + b"\x00" * 200
    response = propose(desk, code, (pdf(), "bien-ban.pdf"), (zipped, "bao-cao.docx"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    message = refusal(response)  # beside the file field
    assert "bao-cao.docx" in message and "Chỉ nhận ảnh JPEG" in message
    assert "văn bản PDF" in message and "Chưa có gì được ghi." in message
    assert counts(desk.life) == before and stored_files(desk) == files_before
    assert state_of(desk.life, code) is State.IN_PROGRESS and result_files(desk, code) == []
    # What was typed stays in the form, for the officer to choose the files again.
    assert RESULT in page


def test_a_video_is_not_taken_with_a_result(desk: Desk) -> None:
    code, _ = in_progress(desk)
    before = counts(desk.life)
    response = propose(desk, code, (mp4(), "quay-hien-truong.mp4"))
    assert response.status_code == 422
    message = refusal(response)
    assert "video MP4, loại này không được nhận" in message
    assert counts(desk.life) == before and result_files(desk, code) == []


def test_a_document_larger_than_the_limit_is_refused_naming_both_sizes(desk: Desk) -> None:
    code, _ = in_progress(desk)
    limit = desk.life.snapshot.portal.result_max_document_bytes
    before, files_before = counts(desk.life), stored_files(desk)
    response = propose(desk, code, (pdf(padding=limit), "cong-van-dinh-kem.pdf"))
    assert response.status_code == 422
    message = refusal(response)
    assert "cong-van-dinh-kem.pdf" in message
    assert "mỗi văn bản tối đa 20 MB" in message and "nặng 20 MB" in message
    assert counts(desk.life) == before and stored_files(desk) == files_before
    assert state_of(desk.life, code) is State.IN_PROGRESS


def test_a_truncated_pdf_is_refused(desk: Desk) -> None:
    code, _ = in_progress(desk)
    before = counts(desk.life)
    response = propose(desk, code, (pdf()[:-40], "bien-ban.pdf"))
    assert response.status_code == 422
    message = refusal(response)
    assert "bị cắt cụt" in message
    assert counts(desk.life) == before


def test_the_files_of_a_private_answer_go_to_the_reporter_alone(desk: Desk) -> None:
    code, token = in_progress(desk, confidential=True)
    assert propose(desk, code, (pdf(), "tra-loi-rieng.pdf")).status_code == 303
    (document,) = result_files(desk, code)
    perform(desk.life, actor(LEADER), code, "approve")
    perform(desk.life, actor(LEADER), code, "publish")
    assert state_of(desk.life, code) is State.ANSWERED_PRIVATELY

    assert desk.client(None).get(f"/tep-ket-qua/{document.id}").status_code == 404
    assert desk.client(None).get(f"/theo-doi/{code}/tep/{document.id}").status_code == 403
    own = desk.client(None).get(f"/theo-doi/{code}/tep/{document.id}?t={token}")
    assert own.status_code == 200 and own.data == pdf()
    assert own.headers["Cache-Control"] == "no-store"
    assert own.headers["Content-Disposition"].startswith("attachment;")


def test_the_files_of_a_restricted_result_are_served_to_no_one_outside_the_desk(
    desk: Desk,
) -> None:
    code, token = in_progress(desk, state_secret=True)
    assert propose(desk, code, (jpeg_with_gps(), "anh.jpg")).status_code == 303
    (photo,) = result_files(desk, code)
    perform(desk.life, actor(LEADER), code, "approve")
    perform(desk.life, actor(LEADER), code, "publish")
    assert state_of(desk.life, code) is State.RESTRICTED

    assert desk.client(None).get(f"/tep-ket-qua/{photo.id}").status_code == 404
    assert desk.client(None).get(f"/tep-ket-qua/{photo.id}/nho").status_code == 404
    assert desk.client(None).get(f"/theo-doi/{code}/tep/{photo.id}?t={token}").status_code == 404
    assert desk.client(LEADER).get(f"/ban-xu-ly/tep/{photo.id}").status_code == 200


def test_a_file_of_a_pending_result_is_not_public(desk: Desk) -> None:
    code, token = in_progress(desk)
    assert propose(desk, code, (pdf(), "du-thao.pdf")).status_code == 303
    (document,) = result_files(desk, code)
    assert desk.client(None).get(f"/tep-ket-qua/{document.id}").status_code == 404
    assert desk.client(None).get(f"/theo-doi/{code}/tep/{document.id}?t={token}").status_code == (
        404
    )


def test_the_latest_results_show_when_they_were_published(desk: Desk) -> None:
    code, _ = in_progress(desk)
    assert propose(desk, code).status_code == 303
    perform(desk.life, actor(LEADER), code, "approve")
    desk.clock.value = MORNING.replace(day=24, hour=9, minute=30)
    perform(desk.life, actor(LEADER), code, "publish")
    home = desk.client(None).get("/").get_data(as_text=True)
    assert inner_text(home, 'data-testid="result-date"') == "Công khai 24/04/2026 09:30"


def test_files_posted_with_a_stale_version_are_not_attached(desk: Desk) -> None:
    """The attachments and the event are one transaction: a refused proposal attaches nothing."""
    code, _ = in_progress(desk)
    before = counts(desk.life)
    data: dict[str, Any] = {
        "version": str(version_of(desk.life, code) - 1),
        "result": RESULT,
        "attachments": [(io.BytesIO(pdf()), "bien-ban.pdf")],
    }
    response = desk.client(OFFICER).post(
        f"/ban-xu-ly/phan-anh/{code}/propose_result", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 409
    assert counts(desk.life) == before and result_files(desk, code) == []
    assert state_of(desk.life, code) is State.IN_PROGRESS
