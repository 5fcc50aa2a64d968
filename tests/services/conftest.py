"""A database for the use-case tests: SQLite always, PostgreSQL when ``TEST_DATABASE_URL`` is set.

Tables are created from the models here (the migration tests check that the migrations produce the
same schema). Each test gets empty tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text

from engine.config.loader import load
from engine.config.snapshot import Snapshot
from engine.services.lifecycle import Actor, Lifecycle, NewReport
from engine.store import Base, UnitOfWork, make_engine
from engine.workflow import Role

ROOT = Path(__file__).resolve().parents[2]
VN = ZoneInfo("Asia/Ho_Chi_Minh")
PG_SKIP = "TEST_DATABASE_URL is not set: PostgreSQL tests skipped"


def _databases() -> list[object]:
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason=PG_SKIP),
        ),
    ]


@pytest.fixture(scope="session")
def snapshot() -> Snapshot:
    return load(ROOT / "config")


@pytest.fixture(scope="session", params=_databases())
def db_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}")
        Base.metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(os.environ["TEST_DATABASE_URL"])
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(
        os.environ["TEST_DATABASE_URL"], connect_args={"options": f"-csearch_path={schema}"}
    )
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def uow(db_engine: Engine) -> UnitOfWork:
    with db_engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    return UnitOfWork(db_engine)


class Clockwork:
    """A settable 'now' so that deadlines can be tested at exact working times."""

    def __init__(self, start: datetime) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value

    def set(self, text_: str) -> datetime:
        self.value = datetime.fromisoformat(text_)
        return self.value


@pytest.fixture
def now() -> Clockwork:
    # Wednesday 22/4/2026, 08:00 in Vĩnh Long: an ordinary working morning.
    return Clockwork(datetime(2026, 4, 22, 8, 0, tzinfo=VN))


@pytest.fixture
def life(uow: UnitOfWork, snapshot: Snapshot, now: Clockwork) -> Lifecycle:
    return Lifecycle(uow, snapshot, now=now)


def open_account(life: Lifecycle, actor: Actor) -> None:
    """Give ``actor`` (an officer or a leader with ``account``) its account in the database."""
    from engine.accounts import create_user

    assert actor.account is not None
    with life.uow.begin() as session:
        create_user(
            session,
            actor.account,
            "mat-khau-thu-nghiem",
            actor.role,
            display_name=actor.name,
            agency=actor.agency,
        )


IOC = Actor("Trần Thị Bình", Role.IOC_OPERATOR)
ADMIN = Actor("Lê Văn Cường", Role.OPERATOR_ADMIN)
OFFICER = Actor("Phạm Minh Đức", Role.OFFICER, agency="SXD", account="canbo.sxd")
LEADER = Actor("Võ Thị Em", Role.LEADER, agency="SXD")
OTHER_OFFICER = Actor("Ngô Văn Phúc", Role.OFFICER, agency="SYT")
VIEWER = Actor("Đặng Thu Giang", Role.PROVINCE_VIEWER)
AUDITOR = Actor("Huỳnh Văn Hải", Role.AUDITOR)


def road_report(**changes: object) -> NewReport:
    """A citizen's report of a pothole: in the transport sector, handled by Sở Xây dựng."""
    values: dict[str, object] = {
        "name": "Nguyễn Văn An",
        "phone": "0909 123 456",
        "email": "an.nguyen@example.vn",
        "content": "Đường Phạm Thái Bường có ổ gà lớn trước số 45, xe máy dễ té ngã.",
        "area": "29557",  # Phường Phước Hậu
        "address": "45 Phạm Thái Bường",
    }
    values.update(changes)
    return NewReport(**values)  # type: ignore[arg-type]
