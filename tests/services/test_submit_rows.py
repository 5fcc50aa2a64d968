"""A submission's one statement on PostgreSQL stores what a plain INSERT a table would (issue 13).

:func:`engine.store.new_report.in_one_statement` sends each row as one JSON parameter read back
by ``json_populate_record``; this compares every column of every row it writes (ids, the hash
chain, the JSON columns' text, instants, floats) with what :func:`~engine.store.new_report.
table_by_table` writes for the same submission, at the same time, with the same ids.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from engine import audit
from engine.services.lifecycle import Lifecycle, NewReport
from engine.store import new_report
from engine.uploads import StoredFile
from tests.services.conftest import road_report
from tests.services.test_sector_fields import ENVIRONMENT

TABLES = ("reports", "reporters", "clocks", "attachments", "events", "outbox")
PHOTOS = tuple(
    StoredFile("photo", "image/jpeg", f"ảnh-{n}.jpg", 1000 + n, f"{n:02x}" * 32,
               f"{n:02x}/x.jpg", None if n % 2 else f"{n:02x}/t.jpg", None)
    for n in range(1, 4)
)  # fmt: skip
SUBMISSIONS: dict[str, tuple[NewReport, bool]] = {
    "web, with a place, photos and extra fields": (
        road_report(
            latitude=10.253456789012345,
            longitude=105.97123,
            attachments=PHOTOS,
            sector=ENVIRONMENT,
            extra={"loai_o_nhiem": "mui_hoi"},
            content='  Ổ gà "rất lớn" \\ trước số 45\n\ttab  ',
        ),
        False,
    ),
    "e-mail without a phone, asked for it": (
        road_report(phone="", channel="email", email="dan@example.vn", reporter_address="Số 1"),
        True,
    ),
    "without e-mail, nothing to send": (road_report(email=None, area=None), False),
}


def stored(engine: Engine) -> dict[str, list[tuple[str | None, ...]]]:
    """Every row of the submission's tables, each column as PostgreSQL's text of it (a JSON
    column's ``null`` is the text ``null``, SQL's NULL is ``None``), the generated ones too."""
    rows = {}
    with engine.connect() as connection:
        for table in TABLES:
            columns = (
                connection.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema() AND table_name = :table "
                        "ORDER BY ordinal_position"
                    ),
                    {"table": table},
                )
                .scalars()
                .all()
            )
            listed = ", ".join(f'"{column}"::text' for column in columns)
            rows[table] = [
                tuple(row)
                for row in connection.execute(text(f"SELECT {listed} FROM {table} ORDER BY 1"))
            ]
    return rows


def submit_from_scratch(life: Lifecycle, engine: Engine, new: NewReport, ask: bool) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    life.submit(new, ask_for_missing=ask)


@pytest.mark.parametrize("name", SUBMISSIONS)
def test_one_statement_stores_every_column_as_one_insert_a_table_would(
    name: str, life: Lifecycle, db_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db_engine.dialect.name != "postgresql":
        pytest.skip("one statement is PostgreSQL's way; SQLite writes table by table already")
    new, ask = SUBMISSIONS[name]
    monkeypatch.setattr("engine.services.lifecycle.secrets.token_urlsafe", lambda _n: "token")
    submit_from_scratch(life, db_engine, new, ask)
    one_statement = stored(db_engine)
    with life.uow.read() as session:
        assert list(audit.verify(session)) == []

    def by_table(connection: Any, report: Any, rows: Any) -> None:
        new_report.table_by_table(connection, report, rows)

    monkeypatch.setattr(new_report, "in_one_statement", by_table)
    submit_from_scratch(life, db_engine, new, ask)
    assert stored(db_engine) == one_statement
    assert all(one_statement[t] for t in ("reports", "reporters", "clocks", "events"))


def test_a_float_json_has_no_number_for_is_written_as_postgresql_reads_it() -> None:
    from engine.store.models import Report

    table = Report.__table__
    row = {"latitude": float("nan"), "longitude": float("-inf"), "content": "x"}
    assert new_report.json_row(table, row, None) == {  # type: ignore[arg-type]
        "latitude": "nan",
        "longitude": "-inf",
        "content": "x",
    }
