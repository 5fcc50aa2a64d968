"""R23 (Đ12.1): every report of a period handed to a state body on request, in CSV, XLSX or JSONL.

The rows are checked against the tables read independently (plain SQL, not the export's code); a
confidential reporter planted with a marker is searched for in every byte of every format, inside
the zip and inside the workbook's own zip, and found only where a disclosure was recorded (Đ13.7)
and the export was the discloser's. Every export is on the register.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import bindparam, func, select, text

from engine.export import Exporter, ExportRequest, build_request
from engine.export.service import MANIFEST
from engine.services import disclosure
from engine.services.errors import Forbidden, InvalidInput
from engine.services.lifecycle import Lifecycle
from engine.store.models import ExportRecord
from engine.store.types import UtcDateTime
from engine.uploads import MediaStore, StoredFile
from tests.services.conftest import ADMIN, AUDITOR, IOC, OFFICER, VN, Clockwork, road_report

MARKER = "Zqxmarker"
SECRET = {
    "name": f"Trần {MARKER} Bảo",
    "phone": "0912 345 678",
    "email": f"{MARKER.lower()}@example.vn",
    "reporter_address": f"12 hẻm {MARKER}",
}
APRIL = ExportRequest(date(2026, 4, 1), date(2026, 4, 30), "jsonl", "Công văn 45/TTr")


def at(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=VN)


@pytest.fixture
def reports(life: Lifecycle, now: Clockwork) -> dict[str, str]:
    """Reports on both sides of April's edges, one forwarded to SXD, one to SYT, one confidential."""
    codes = {}
    for key, when in (
        ("march", "2026-03-31T23:59"),
        ("first", "2026-04-01T00:00"),
        ("road", "2026-04-10T09:00"),
        ("health", "2026-04-15T10:00"),
        ("secret", "2026-04-20T14:00"),
        ("last", "2026-04-30T23:59"),
        ("may", "2026-05-01T00:00"),
    ):
        now.value = at(when)
        changes = dict(confidential=True, **SECRET) if key == "secret" else {}
        codes[key] = life.submit(road_report(**changes)).code
    now.value = at("2026-04-20T15:00")
    for key, sector in (("road", "giao-thong-van-tai"), ("health", "suc-khoe")):
        done = life.perform(
            IOC, codes[key], "classify", version=_version(life, codes[key]), sector=sector
        )
        life.perform(IOC, codes[key], "forward", version=done.version)
    return codes


def _version(life: Lifecycle, code: str) -> int:
    with life.uow.read() as session:
        return session.scalar(text("SELECT version FROM reports WHERE code = :c"), {"c": code})


def exported(life: Lifecycle, actor, request: ExportRequest, media: Path | None = None) -> bytes:  # noqa: ANN001
    out = io.BytesIO()
    Exporter(life.uow, life.snapshot, VN, media, clock=life.now).write(actor, request, out)
    return out.getvalue()


def of_format(request: ExportRequest, format: str, **changes: object) -> ExportRequest:
    values = {**request.__dict__, "format": format, **changes}
    return ExportRequest(**values)  # type: ignore[arg-type]


def period_codes(life: Lifecycle, start: str, end: str) -> list[str]:
    """The reports submitted in [start, end) — independently of the export's own query."""
    with life.uow.read() as session:
        query = text(
            "SELECT code FROM reports WHERE submitted_at >= :a AND submitted_at < :b "
            "ORDER BY submitted_at, id"
        ).bindparams(bindparam("a", type_=UtcDateTime), bindparam("b", type_=UtcDateTime))
        rows = session.execute(query, {"a": at(start), "b": at(end)})
        return [row[0] for row in rows]


def counted(life: Lifecycle, table: str) -> dict[str, int]:
    with life.uow.read() as session:
        rows = session.execute(
            text(
                f"SELECT r.code, count(*) FROM {table} x JOIN reports r ON r.id = x.report_id GROUP BY r.code"
            )  # noqa: S608
        )
        return dict(rows.all())


def every_text(blob: bytes) -> str:
    """All the bytes of a file as text, opening zips (the bundle, a workbook) member by member.

    Character references are resolved: with lxml installed, openpyxl writes "ầ" as "&#7847;", and
    a marker looked for in the raw XML would never be found, present or not.
    """
    if blob[:2] != b"PK":
        return html.unescape(blob.decode("utf-8", errors="replace"))
    with zipfile.ZipFile(io.BytesIO(blob)) as bundle:
        return "\n".join(every_text(bundle.read(name)) for name in bundle.namelist())


def test_jsonl_has_exactly_the_reports_of_the_period_with_their_story(
    life: Lifecycle, reports: dict[str, str]
) -> None:
    lines = [json.loads(line) for line in exported(life, ADMIN, APRIL).decode().splitlines()]
    expected = period_codes(life, "2026-04-01T00:00", "2026-05-01T00:00")
    assert [r["code"] for r in lines] == expected
    assert reports["march"] not in expected and reports["may"] not in expected
    assert {reports["first"], reports["last"]} <= set(expected)
    events, clocks = counted(life, "events"), counted(life, "clocks")
    for report in lines:
        assert len(report["events"]) == events[report["code"]]
        assert len(report["clocks"]) == clocks.get(report["code"], 0)
    road = next(r for r in lines if r["code"] == reports["road"])
    assert road["routing"]["agency"] == "SXD" and road["state"] == "forwarded"
    assert [e["action"] for e in road["events"]] == ["submit", "classify", "forward"]
    intake = next(c for c in road["clocks"] if c["step"] == "intake")
    assert intake["stopped_at"] and intake["late"] is not None


def test_csv_and_xlsx_have_one_row_a_report_and_the_workbook_its_clocks_and_events(
    life: Lifecycle, reports: dict[str, str]
) -> None:
    expected = period_codes(life, "2026-04-01T00:00", "2026-05-01T00:00")
    table = list(
        csv.DictReader(
            io.StringIO(exported(life, ADMIN, of_format(APRIL, "csv")).decode("utf-8-sig"))
        )
    )
    assert [row["Mã phản ánh"] for row in table] == expected
    road = next(row for row in table if row["Mã phản ánh"] == reports["road"])
    assert road["Cơ quan xử lý"] == "SXD" and road["Số sự kiện"] == "3"
    assert road["Diễn biến"] == "submit → classify → forward"

    book = load_workbook(
        io.BytesIO(exported(life, ADMIN, of_format(APRIL, "xlsx"))), read_only=True
    )
    assert book.sheetnames == ["Phản ánh", "Thời hạn", "Diễn biến", "Làm rõ, đánh giá"]
    main = list(book["Phản ánh"].values)
    assert [row[0] for row in main[1:]] == expected
    events, clocks = counted(life, "events"), counted(life, "clocks")
    event_rows = [row[0] for row in list(book["Diễn biến"].values)[1:]]
    clock_rows = [row[0] for row in list(book["Thời hạn"].values)[1:]]
    assert len(event_rows) == sum(events[c] for c in expected)
    assert len(clock_rows) == sum(clocks.get(c, 0) for c in expected)


def test_an_agency_takes_its_own_reports_and_batches_do_not_lose_or_repeat_one(
    life: Lifecycle, reports: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    only = of_format(APRIL, "jsonl", agency="SXD")
    assert [json.loads(x)["code"] for x in exported(life, ADMIN, only).decode().splitlines()] == [
        reports["road"]
    ]
    monkeypatch.setattr("engine.export.reading.BATCH", 2)
    codes = [json.loads(x)["code"] for x in exported(life, ADMIN, APRIL).decode().splitlines()]
    assert codes == period_codes(life, "2026-04-01T00:00", "2026-05-01T00:00")


def test_a_confidential_reporter_never_appears_without_a_recorded_disclosure(
    life: Lifecycle, reports: dict[str, str], tmp_path: Path
) -> None:
    media = tmp_path / "media"
    requests = [of_format(APRIL, f) for f in ("jsonl", "csv", "xlsx")]
    requests += [of_format(r, r.format, with_media=True) for r in requests]
    for request in requests:
        found = every_text(exported(life, ADMIN, request, media))
        assert reports["secret"] in found
        for value in SECRET.values():
            assert value not in found, (request.format, request.with_media, value)
        assert MARKER not in found and MARKER.lower() not in found


def test_a_recorded_disclosure_puts_the_identity_in_the_discloser_s_export_only(
    life: Lifecycle, reports: dict[str, str], tmp_path: Path
) -> None:
    disclosure.disclose(
        life, ADMIN, reports["secret"], authority="Công an tỉnh Vĩnh Long", reason="Công văn 7/CAT"
    )
    for format in ("jsonl", "csv", "xlsx"):
        found = every_text(
            exported(life, ADMIN, of_format(APRIL, format, with_media=True), tmp_path)
        )
        for value in SECRET.values():
            assert value in found, (format, value)
        assert "Công an tỉnh Vĩnh Long" in found and "Công văn 7/CAT" in found
        by_auditor = every_text(exported(life, AUDITOR, of_format(APRIL, format)))
        assert MARKER not in by_auditor and "Công an tỉnh Vĩnh Long" in by_auditor
    lines = [json.loads(x) for x in exported(life, ADMIN, APRIL).decode().splitlines()]
    (secret,) = [r for r in lines if r["code"] == reports["secret"]]
    assert secret["reporter"] == {
        "name": SECRET["name"],
        "phone": SECRET["phone"],
        "email": SECRET["email"],
        "address": SECRET["reporter_address"],
    }
    assert all(r["reporter"] is None for r in lines if r["code"] != reports["secret"])


def test_the_zip_holds_the_export_the_media_and_their_sha256_sums(
    life: Lifecycle, now: Clockwork, tmp_path: Path
) -> None:
    store = MediaStore(tmp_path / "media")
    data = b"\xff\xd8 not really a jpeg, but bytes to carry"
    path = store.put(data, "jpg")
    photo = StoredFile(
        "photo",
        "image/jpeg",
        f"{MARKER}.jpg",
        len(data),
        hashlib.sha256(data).hexdigest(),
        path,
        None,
        None,
    )
    now.value = at("2026-04-10T09:00")
    code = life.submit(road_report(attachments=(photo,), confidential=True, **SECRET)).code
    blob = exported(life, ADMIN, of_format(APRIL, "csv", with_media=True), tmp_path / "media")
    with zipfile.ZipFile(io.BytesIO(blob)) as bundle:
        names = set(bundle.namelist())
        sums = dict(line.split("  ")[::-1] for line in bundle.read(MANIFEST).decode().splitlines())
        (picture,) = [n for n in names if n.startswith("media/")]
        assert picture.startswith(f"media/{code}/") and picture.endswith(".jpg")
        assert names == {of_format(APRIL, "csv").data_name, picture, MANIFEST}
        assert set(sums) == names - {MANIFEST}
        for name, digest in sums.items():
            assert hashlib.sha256(bundle.read(name)).hexdigest() == digest
        assert bundle.read(picture) == data
        assert MARKER not in every_text(blob)


def test_every_export_is_on_the_register_and_bad_requests_write_nothing(
    life: Lifecycle, reports: dict[str, str]
) -> None:
    exported(life, ADMIN, of_format(APRIL, "csv", agency="SXD"))
    with life.uow.read() as session:
        (record,) = session.scalars(select(ExportRecord)).all()
        assert (record.actor, record.role, record.format, record.agency) == (
            ADMIN.name,
            "operator_admin",
            "csv",
            "SXD",
        )
        assert (record.date_from, record.date_to, record.reason) == (
            APRIL.date_from,
            APRIL.date_to,
            APRIL.reason,
        )
        assert (record.rows, record.identities) == (1, 0) and record.finished_at is not None
    for actor in (IOC, OFFICER):
        with pytest.raises(Forbidden):
            exported(life, actor, APRIL)
    snap = life.snapshot
    good = {"date_from": "2026-04-01", "date_to": "2026-04-30", "format": "csv", "reason": "CV 1"}
    for wrong, field in (
        ({"date_from": "2026-05-01"}, "from"),
        ({"date_to": "31/02/2026"}, "to"),
        ({"date_from": "hôm qua"}, "from"),
        ({"format": "pdf"}, "format"),
        ({"reason": "   "}, "reason"),
        ({"agency": "KHONG-CO"}, "agency"),
    ):
        with pytest.raises(InvalidInput) as refused:
            build_request(snap, **{**good, **wrong})
        assert refused.value.field == field
    assert build_request(snap, **{**good, "date_from": "01/04/2026"}).date_from == date(2026, 4, 1)
    with life.uow.read() as session:
        assert session.scalar(select(func.count()).select_from(ExportRecord)) == 1


def test_a_formula_typed_in_a_report_stays_text_in_the_csv_and_the_workbook(
    life: Lifecycle, now: Clockwork
) -> None:
    """OWASP CSV injection: what a citizen types must never run in the receiving body's spreadsheet."""
    typed = '=HYPERLINK("http://example.invalid/x","Bấm vào đây")'
    now.value = at("2026-04-10T09:00")
    code = life.submit(road_report(content=typed, address="+84 ấp Phước Hậu")).code

    table = list(
        csv.DictReader(
            io.StringIO(exported(life, ADMIN, of_format(APRIL, "csv")).decode("utf-8-sig"))
        )
    )
    [row] = [row for row in table if row["Mã phản ánh"] == code]
    assert row["Nội dung"] == "'" + typed
    assert row["Địa điểm"] == "'+84 ấp Phước Hậu"
    assert row["Số sự kiện"] == "1"

    book = load_workbook(
        io.BytesIO(exported(life, ADMIN, of_format(APRIL, "xlsx"))), read_only=False
    )
    [cell] = [r[5] for r in book["Phản ánh"].iter_rows(min_row=2) if r[0].value == code]
    assert cell.data_type == "s" and cell.value == typed
