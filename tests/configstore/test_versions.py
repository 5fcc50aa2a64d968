"""Configuration versions (issue: configuration without code, point 3; R29, Đ13.8).

Each successful change is a version with author, time, reason and a diff against the previous
one, in force at once or from a chosen instant; any version can be restored as a new one; a
refused change leaves the version in force as it was; reports keep the version that routed them.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import configstore
from engine.config.errors import ConfigInvalid
from engine.config.loader import config_files, load
from engine.config.snapshot import Snapshot
from engine.configstore import NoChange, Status
from engine.services.errors import Conflict, InvalidInput, NotFound
from engine.services.lifecycle import Actor, Lifecycle, NewReport
from engine.store import ConfigVersion, Report, UnitOfWork
from engine.store.versions import digest_of
from engine.workflow import Role
from tests.configstore.conftest import AREA, ROOT, moved_environment, utc, with_step

T0 = utc("2026-11-02T09:00+07:00")
IOC = Actor("Trần Thị Bình", Role.IOC_OPERATOR)


def content(snapshot: Snapshot) -> Snapshot:
    """The snapshot without where it was read from: what two equal configurations share."""
    return dataclasses.replace(snapshot, source="")


def first(uow: UnitOfWork, files: dict[str, str], at=T0) -> int:  # noqa: ANN001
    with uow.begin() as session:
        return configstore.create(
            session, files, author="quantri", reason="Cấu hình ban đầu", now=at
        ).id


def count(uow: UnitOfWork) -> int:
    with uow.read() as session:
        return session.scalar(select(func.count()).select_from(ConfigVersion)) or 0


def test_bootstrap_records_the_directory_once_then_follows_the_database(
    uow: UnitOfWork, snapshot: Snapshot
) -> None:
    version_id, loaded = configstore.bootstrap(uow, ROOT / "config", "web")
    assert content(loaded) == content(snapshot)
    with uow.read() as session:
        version = configstore.get(session, version_id)
        assert version.files == config_files(ROOT / "config")
        assert version.active_from is not None and version.parent_id is None
        assert configstore.active_id(session) == version_id
    # Once the database has a version in force, the directory is not even read.
    again, _ = configstore.bootstrap(uow, ROOT / "no-such-directory", "web")
    assert again == version_id and count(uow) == 1


def test_a_change_is_a_version_with_author_reason_time_and_diff(
    uow: UnitOfWork, files: dict[str, str]
) -> None:
    v1 = first(uow, files)
    later = T0 + timedelta(hours=1)
    with uow.begin() as session:
        v2 = configstore.create(
            session,
            moved_environment(files),
            author="Lê Văn Cường",
            reason="Môi trường xã 28756 giao Sở NN&MT (thử nghiệm)",
            now=later,
        )
        assert (v2.parent_id, v2.active_from, v2.created_at) == (v1, later, later)
    with uow.read() as session:
        assert configstore.active_id(session, later) == v2.id
        assert configstore.active_id(session, later - timedelta(seconds=1)) == v1
        stored = configstore.get(session, v2.id)
        assert stored.author == "Lê Văn Cường" and stored.reason.startswith("Môi trường")
        # The diff names the file and shows exactly the added route, nothing else.
        assert stored.diff.startswith("--- a/sectors.yaml\n+++ b/sectors.yaml\n@@ ")
        added = [line for line in stored.diff.splitlines() if line.startswith("+  ")]
        assert added == [
            "+  - id: moi-truong-thu-nghiem",
            "+    sector: moi-truong",
            "+    agency: SNNMT",
            f'+    areas: ["{AREA}"]',
            "+    priority: 10",
        ]
        assert not [line for line in stored.diff.splitlines() if line.startswith("-  ")]
        assert configstore.diff(configstore.get(session, v1), stored) == stored.diff
        history = configstore.history(session, later)
        routed = configstore.snapshot_of(stored)
    assert [(h.id, h.status, h.active) for h in history] == [
        (v2.id, Status.ACTIVE, True),
        (v1, Status.SUPERSEDED, False),
    ]
    assert history[1].until == later
    assert routed.routes[-1].agency == "SNNMT" and routed.routes[-1].areas == (AREA,)


def test_invalid_files_are_refused_whole_with_file_line_errors(
    uow: UnitOfWork, files: dict[str, str]
) -> None:
    v1 = first(uow, files)
    broken = with_step(files, "verify", "1d", "3d")
    broken["sla.yaml"] = broken["sla.yaml"].replace(
        "timezone: Asia/Ho_Chi_Minh", "timezone: Mars/Olympus"
    )
    broken["templates/mail/digest.j2"] = "{% if %}"
    with pytest.raises(ConfigInvalid) as caught, uow.begin() as session:
        configstore.create(session, broken, author="quantri", reason="hỏng", now=T0)
    lines = [e.format("en") for e in caught.value.errors]
    assert len(lines) == 3
    assert any(line.startswith("sla.yaml:41: steps.verify.duration:") for line in lines), lines
    assert any(line.startswith("sla.yaml:8: calendar.timezone:") for line in lines), lines
    assert any(line.startswith("templates/mail/digest.j2:1:") for line in lines), lines
    with uow.read() as session:
        assert configstore.active_id(session, T0 + timedelta(days=1)) == v1
    assert count(uow) == 1


def test_refusals_write_nothing(uow: UnitOfWork, files: dict[str, str]) -> None:
    v1 = first(uow, files)
    changed = moved_environment(files)
    attempts = [
        ({"files": files}, NoChange),  # the same files as the version in force
        ({"files": changed, "reason": "  "}, InvalidInput),
        ({"files": changed, "author": ""}, InvalidInput),
        ({"files": changed, "active_from": T0 - timedelta(hours=1)}, InvalidInput),
        ({"files": changed, "active_from": T0.replace(tzinfo=None)}, InvalidInput),
        ({"files": changed, "base_id": v1 + 100}, Conflict),  # edited from a stale version
        ({"files": {**changed, "../secret.yaml": "x"}}, ConfigInvalid),
    ]
    for options, error in attempts:
        arguments = {"author": "quantri", "reason": "thử", "now": T0, **options}
        with pytest.raises(error), uow.begin() as session:
            configstore.create(session, **arguments)
    assert count(uow) == 1
    with uow.begin() as session:  # the right base is accepted
        assert (
            configstore.create(
                session, changed, author="quantri", reason="ok", base_id=v1, now=T0
            ).parent_id
            == v1
        )


def test_a_version_can_be_put_in_force_from_a_chosen_instant(
    uow: UnitOfWork, files: dict[str, str]
) -> None:
    v1 = first(uow, files)
    new_year = utc("2027-01-01T00:00+07:00")
    with uow.begin() as session:
        v2 = configstore.create(
            session, moved_environment(files), author="quantri", reason="Từ 1/1/2027", now=T0,
            active_from=new_year,
        ).id  # fmt: skip
    with uow.read() as session:
        assert configstore.active_id(session, T0) == v1
        assert configstore.active_id(session, new_year - timedelta(microseconds=1)) == v1
        assert configstore.active_id(session, new_year) == v2
        assert [h.status for h in configstore.history(session, T0)] == [
            Status.SCHEDULED,
            Status.ACTIVE,
        ]
    # A scheduled version can be withdrawn before its time — not after.
    with uow.begin() as session:
        configstore.cancel(session, v2, now=T0)
    with uow.read() as session:
        assert configstore.active_id(session, new_year) == v1
        assert configstore.history(session, T0)[0].status is Status.INACTIVE
    with pytest.raises(InvalidInput), uow.begin() as session:
        configstore.cancel(session, v1, now=T0)


def test_rollback_restores_an_earlier_version_as_a_new_one(
    uow: UnitOfWork, files: dict[str, str]
) -> None:
    v1 = first(uow, files)
    at = T0 + timedelta(hours=1)
    with uow.begin() as session:
        v2 = configstore.create(
            session, moved_environment(files), author="quantri", reason="thử", now=at
        ).id
    back = at + timedelta(hours=1)
    with uow.begin() as session:
        v3 = configstore.rollback(session, v1, author="lanhdao", now=back)
        assert (v3.parent_id, v3.restored_from_id, v3.reason) == (
            v2,
            v1,
            f"Khôi phục phiên bản {v1}",
        )
        assert "-    agency: SNNMT" in v3.diff
    with uow.read() as session:
        assert configstore.active_id(session, back) == v3.id
        restored, original = configstore.get(session, v3.id), configstore.get(session, v1)
        assert restored.files == original.files and restored.digest == original.digest
        assert content(configstore.snapshot_of(restored)) == content(
            configstore.snapshot_of(original)
        )
        # Every version stays in the history.
        assert [h.id for h in configstore.history(session, back)] == [v3.id, v2, v1]
    with pytest.raises(NoChange), uow.begin() as session:  # it is already in force
        configstore.rollback(session, v1, author="lanhdao", now=back)
    with pytest.raises(NotFound), uow.begin() as session:
        configstore.rollback(session, 9999, author="lanhdao", now=back)


def test_export_then_import_gives_the_same_snapshot(
    uow: UnitOfWork, files: dict[str, str], tmp_path: Path
) -> None:
    v1 = first(uow, files)
    with uow.read() as session:
        version = configstore.get(session, v1)
        written = configstore.export(version, tmp_path / "out")
        expected = configstore.snapshot_of(version)
    assert len(written) == len(files)
    assert content(load(tmp_path / "out")) == content(expected)
    assert config_files(tmp_path / "out") == files
    # Another version in force, then the exported directory imported: the first one again.
    with uow.begin() as session:
        configstore.create(
            session, moved_environment(files), author="quantri", reason="thử", now=T0
        )
    with uow.begin() as session:
        again = configstore.create(
            session, config_files(tmp_path / "out"), author="quantri", reason="nhập lại", now=T0
        )
        assert again.digest == digest_of(files)
        assert content(configstore.snapshot_of(again)) == content(expected)


def test_export_refuses_a_directory_in_use_unless_told_and_then_leaves_no_stale_file(
    uow: UnitOfWork, files: dict[str, str], tmp_path: Path
) -> None:
    v1 = first(uow, files)
    target = tmp_path / "out"
    (target / "templates" / "mail").mkdir(parents=True)
    (target / "templates" / "mail" / "old.notice.j2").write_text("cũ", encoding="utf-8")
    (target / "README.txt").write_text("ghi chú", encoding="utf-8")
    with uow.read() as session:
        version = configstore.get(session, v1)
        with pytest.raises(InvalidInput):
            configstore.export(version, target)
        configstore.export(version, target, replace=True)
    assert config_files(target) == files  # the stale template is gone
    assert (target / "README.txt").read_text(encoding="utf-8") == "ghi chú"  # not ours: kept


def test_reports_keep_the_version_that_routed_them(uow: UnitOfWork, files: dict[str, str]) -> None:
    v1 = first(uow, files)
    with uow.begin() as session:
        v2 = configstore.create(
            session, moved_environment(files), author="quantri", reason="thử", now=T0
        ).id

    def route_one(version_id: int) -> tuple[str, str]:
        with uow.read() as session:
            config = configstore.snapshot_of(configstore.get(session, version_id))
        life = Lifecycle(uow, config, config_version_id=version_id, now=lambda: T0)
        sent = life.submit(
            NewReport(name="Nguyễn Văn An", phone="0909123456", content="Rác thải đổ bừa bãi",
                      area=AREA)
        )  # fmt: skip
        done = life.perform(IOC, sent.code, "classify", version=sent.version, sector="moi-truong")
        life.perform(IOC, sent.code, "forward", version=done.version)
        return sent.code, life.snapshot.committee_of(AREA).code

    old_code, committee = route_one(v1)
    new_code, _ = route_one(v2)
    with uow.read() as session:
        rows = {
            r.code: (r.agency, r.config_version_id)
            for r in session.scalars(select(Report).where(Report.code.in_([old_code, new_code])))
        }
    assert rows == {old_code: (committee, v1), new_code: ("SNNMT", v2)}
