"""A release's new mail templates reach a province's stored configuration on ``db upgrade``.

A province's configuration is a version in the database, made from an older release's files. A
release that sends a new kind of mail ships its template; without it the worker refuses to start.
The upgrade adds what is lacking as a new version with author and reason, and never rewrites a
template the province already has.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from cli.main import main
from engine import configstore
from engine.configstore.shipped import AUTHOR, SCHEDULE, complete, shipped_mail_templates
from engine.store import ConfigVersion, UnitOfWork, make_engine
from engine.worker import missing_templates
from tests.configstore.conftest import utc

T0 = utc("2026-11-02T09:00+07:00")
NEW_LINK = "templates/mail/reporter.new_link.j2"
RECEIVED = "templates/mail/reporter.received.j2"
WORDING = "Đã nhận phản ánh {{ ma_phan_anh }}\n\nTỉnh {{ tinh }} đã nhận phản ánh của Ông/Bà.\n"


def older_release(files: dict[str, str]) -> dict[str, str]:
    """A province's files from before the tracking-link recovery, with its own receipt wording."""
    kept = {name: text for name, text in files.items() if name != NEW_LINK}
    kept[RECEIVED] = WORDING
    return kept


def test_the_shipped_templates_are_the_ones_the_worker_needs(files: dict[str, str]) -> None:
    shipped = shipped_mail_templates()
    assert NEW_LINK in shipped and shipped[NEW_LINK] == files[NEW_LINK]


def test_a_lacking_template_is_added_as_a_version_and_the_province_s_own_are_kept(
    uow: UnitOfWork, files: dict[str, str]
) -> None:
    with uow.begin() as session:
        old = configstore.create(
            session, older_release(files), author="quantri", reason="Cấu hình cũ", now=T0
        )
    assert missing_templates(configstore.snapshot_of(old)) == [NEW_LINK]

    with uow.begin() as session:
        added = complete(session, now=T0)
        assert added is not None
        added_id, author, reason = added.id, added.author, added.reason
    assert author == AUTHOR and NEW_LINK in reason
    with uow.read() as session:
        current = configstore.active(session, T0)
        assert current is not None and current.id == added_id and current.parent_id == old.id
        assert current.files[NEW_LINK] == files[NEW_LINK]
        assert current.files[RECEIVED] == WORDING
        assert missing_templates(configstore.snapshot_of(current)) == []

    with uow.begin() as session:
        assert complete(session, now=T0) is None, "a second upgrade adds nothing"
    with uow.read() as session:
        assert session.scalar(select(func.count()).select_from(ConfigVersion)) == 2


def test_a_configuration_from_before_the_schedule_gains_it(
    uow: UnitOfWork, files: dict[str, str]
) -> None:
    """A province on a release from before the scheduled reports (Đ13.9) has no periodic.yaml:
    the upgrade adds the shipped schedule, so the worker builds the October and December reports."""
    before = {name: text for name, text in files.items() if name != SCHEDULE}
    with uow.begin() as session:
        old = configstore.create(session, before, author="quantri", reason="Cấu hình cũ", now=T0)
    assert configstore.snapshot_of(old).periodic == ()
    with uow.begin() as session:
        added = complete(session, now=T0)
        assert added is not None and SCHEDULE in added.reason
    with uow.read() as session:
        current = configstore.active(session, T0)
        assert current is not None and current.files[SCHEDULE] == files[SCHEDULE]
        assert [r.name for r in configstore.snapshot_of(current).periodic] == [
            "Báo cáo tháng 10",
            "Báo cáo tháng 12",
        ]


def test_a_schedule_the_province_removed_is_not_put_back(
    uow: UnitOfWork, files: dict[str, str]
) -> None:
    with uow.begin() as session:
        first = configstore.create(session, files, author="quantri", reason="Cấu hình", now=T0)
        without = {name: text for name, text in files.items() if name != SCHEDULE}
        configstore.create(
            session, without, author="quantri", reason="Không lập báo cáo theo lịch",
            base_id=first.id, now=T0,
        )  # fmt: skip
    with uow.begin() as session:
        assert complete(session, now=T0) is None
    with uow.read() as session:
        current = configstore.active(session, T0)
        assert current is not None and SCHEDULE not in current.files


def test_a_database_without_a_version_is_left_for_its_first_one(uow: UnitOfWork) -> None:
    with uow.begin() as session:
        assert complete(session) is None
    with uow.read() as session:
        assert session.scalar(select(func.count()).select_from(ConfigVersion)) == 0


def test_db_upgrade_completes_the_configuration_in_force(
    tmp_path: Path,
    files: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite:///{tmp_path / 'province.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    engine = make_engine(url)
    try:
        with UnitOfWork(engine).begin() as session:
            configstore.create(
                session, older_release(files), author="quantri", reason="Cấu hình cũ"
            )

        assert main(["db", "upgrade"]) == 0
        out = capsys.readouterr().out
        assert "được bổ sung thành phiên bản" in out and NEW_LINK in out

        with UnitOfWork(engine).read() as session:
            current = configstore.active(session)
            assert current is not None
            assert missing_templates(configstore.snapshot_of(current)) == []
    finally:
        engine.dispose()
