"""Live reload (issue: configuration without code, point 4).

Every web process and worker picks up a new version in force within seconds, without a restart,
rules packs included, and never evaluates with a half-loaded configuration.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pytest
from flask import Flask

from cli.runtime import CONFIG_OPTION, refresher
from engine import configstore
from engine.config.snapshot import Snapshot
from engine.configstore import LiveConfig, Loaded
from engine.services.lifecycle import Lifecycle
from engine.store import UnitOfWork
from engine.worker import Worker
from tests.configstore.conftest import AREA, ROOT, moved_environment
from web import create_app, runtime

COMMITTEE = f"UBND-{AREA}"


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.value = 0.0

    def __call__(self) -> float:
        return self.value


def change(uow: UnitOfWork, files: dict[str, str], reason: str, **options: Any) -> int:
    with uow.begin() as session:
        return configstore.create(session, files, author="quantri", reason=reason, **options).id


def routed(life: Lifecycle) -> str:
    return life.rules.route("moi-truong", AREA).value["agency"]


@pytest.fixture
def started(uow: UnitOfWork) -> tuple[int, Snapshot]:
    return configstore.bootstrap(uow, ROOT / "config", "test")


def live_config(uow: UnitOfWork, started: tuple[int, Snapshot], **options: Any) -> LiveConfig:
    def build(version_id: int, snapshot: Snapshot) -> Lifecycle:
        return Lifecycle(uow, snapshot, config_version_id=version_id)

    version_id, snapshot = started
    initial = Loaded(version_id, snapshot, build(version_id, snapshot))
    return LiveConfig(uow, initial, options.pop("build", build), **options)


def test_a_new_version_is_taken_at_the_next_check_whole(
    uow: UnitOfWork, started: tuple[int, Snapshot], files: dict[str, str]
) -> None:
    ticks, seen = Ticks(), []
    live = live_config(uow, started, interval=2.0, clock=ticks, on_change=seen.append)
    before = live.current().value
    assert routed(before) == COMMITTEE
    v2 = change(uow, moved_environment(files), "thử")
    ticks.value = 1.9  # not yet due: no query, the same configuration
    assert live.current().value is before
    ticks.value = 2.0
    after = live.current()
    assert after.version_id == v2 and [s.version_id for s in seen] == [v2]
    life = after.value
    # Everything of the new Lifecycle comes from the new version, the rules packs included.
    assert (life.config_version_id, life.snapshot, life.rules.snapshot) == (
        v2,
        after.snapshot,
        after.snapshot,
    )
    assert routed(life) == "SNNMT"
    # The old one is untouched: a request that took it finishes on it.
    assert routed(before) == COMMITTEE and before.config_version_id == started[0]


def test_a_scheduled_version_comes_in_when_its_time_comes(
    uow: UnitOfWork, started: tuple[int, Snapshot], files: dict[str, str]
) -> None:
    clock = [datetime.now(UTC)]
    live = live_config(uow, started, interval=0, now=lambda: clock[0])
    v2 = change(
        uow, moved_environment(files), "từ 1 giờ sau", active_from=clock[0] + timedelta(hours=1)
    )
    assert live.current().version_id == started[0]
    clock[0] += timedelta(hours=1)
    assert live.current().version_id == v2


def test_a_failed_reload_keeps_the_configuration_in_force(
    uow: UnitOfWork, started: tuple[int, Snapshot], files: dict[str, str]
) -> None:
    attempts = []

    def flaky(version_id: int, snapshot: Snapshot) -> Lifecycle:
        attempts.append(version_id)
        if len(attempts) == 1:
            raise RuntimeError("the rules backend is away")
        return Lifecycle(uow, snapshot, config_version_id=version_id)

    live = live_config(uow, started, interval=0, build=flaky)
    v2 = change(uow, moved_environment(files), "thử")
    assert live.current().version_id == started[0]  # logged, kept
    assert live.current().version_id == v2  # tried again at the next check
    assert attempts == [v2, v2]


def test_readers_never_see_a_mixture_while_versions_change(
    uow: UnitOfWork, started: tuple[int, Snapshot], files: dict[str, str]
) -> None:
    live = live_config(uow, started, interval=0)
    moved = moved_environment(files)
    stop, problems, evaluations = threading.Event(), [], [0]

    def read() -> None:
        while not stop.is_set():
            loaded = live.current()
            life = loaded.value
            narrowed = any(AREA in r.areas for r in life.snapshot.routes)
            expected = "SNNMT" if narrowed else COMMITTEE
            if life.rules.snapshot is not life.snapshot or routed(life) != expected:
                problems.append(loaded.version_id)
            reloaded = life.config_version_id != started[0]
            if reloaded and life.snapshot.source != f"config_versions:{life.config_version_id}":
                problems.append(("source", loaded.version_id, life.snapshot.source))
            evaluations[0] += 1

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        for i in range(6):
            change(uow, moved if i % 2 == 0 else files, f"đổi lần {i}")
            time.sleep(0.05)
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert problems == []
    assert live.loaded.version_id == max(v.id for v in _history(uow))
    assert evaluations[0] > 20


def _history(uow: UnitOfWork) -> list[configstore.VersionInfo]:
    with uow.read() as session:
        return configstore.history(session)


# -- the web app -----------------------------------------------------------------------------------


def _app(database_url: str, media: Path, interval: float) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "CONFIG_DIR": str(ROOT / "config"),
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(media),
            "SECRET_KEY": "test",
            "CONFIG_RELOAD_SECONDS": interval,
        }
    )

    @app.get("/_test/route/<sector>/<area>")
    def probe(sector: str, area: str) -> dict[str, Any]:
        life = runtime.lifecycle()
        decision = life.rules.route(sector, area)
        return {
            "agency": decision.value["agency"] if decision else None,
            "version": life.config_version_id,
            "same_snapshot": runtime.snapshot() is life.snapshot,
        }

    return app


def test_the_web_app_takes_a_new_version_without_restart(
    uow: UnitOfWork, database_url: str, files: dict[str, str], tmp_path: Path
) -> None:
    app = _app(database_url, tmp_path, interval=0.3)
    client = app.test_client()
    first = client.get(f"/_test/route/moi-truong/{AREA}").get_json()
    assert first["agency"] == COMMITTEE and first["same_snapshot"]
    v2 = change(uow, moved_environment(files), "thử")
    time.sleep(0.35)
    answer = client.get(f"/_test/route/moi-truong/{AREA}").get_json()
    assert answer == {"agency": "SNNMT", "version": v2, "same_snapshot": True}
    # What code outside a request reads follows too.
    assert app.extensions["phananh.lifecycle"].config_version_id == v2
    assert app.extensions["phananh.snapshot"] is app.extensions["phananh.lifecycle"].snapshot
    # A rollback is a new version like any other.
    with uow.begin() as session:
        v3 = configstore.rollback(session, first["version"], author="quantri").id
    assert runtime.reload_now(app)
    answer = client.get(f"/_test/route/moi-truong/{AREA}").get_json()
    assert (answer["agency"], answer["version"]) == (COMMITTEE, v3)


def test_a_request_keeps_the_configuration_it_started_with(
    uow: UnitOfWork, database_url: str, files: dict[str, str], tmp_path: Path
) -> None:
    app = _app(database_url, tmp_path, interval=0)
    taken: dict[str, Any] = {}
    gate, resume = threading.Event(), threading.Event()

    @app.get("/_test/slow")
    def slow() -> dict[str, Any]:
        first = runtime.lifecycle()
        gate.set()
        resume.wait(5)
        second = runtime.lifecycle()  # after a reload by another request meanwhile
        return {"same": first is second, "agency": routed(second)}

    def run_slow() -> None:
        taken.update(app.test_client().get("/_test/slow").get_json())

    worker = threading.Thread(target=run_slow)
    worker.start()
    assert gate.wait(5)
    change(uow, moved_environment(files), "thử")
    other = app.test_client().get(f"/_test/route/moi-truong/{AREA}").get_json()
    resume.set()
    worker.join(5)
    assert other["agency"] == "SNNMT"
    assert taken == {"same": True, "agency": COMMITTEE}


SECOND_PROCESS = """
import json, sys
from web import create_app, runtime

app = create_app({
    "TESTING": True, "CONFIG_DIR": sys.argv[1], "DATABASE_URL": sys.argv[2],
    "MEDIA_ROOT": sys.argv[3], "SECRET_KEY": "test", "CONFIG_RELOAD_SECONDS": 0.2,
})

@app.get("/_test/route/<sector>/<area>")
def probe(sector, area):
    life = runtime.lifecycle()
    decision = life.rules.route(sector, area)
    return {"agency": decision.value["agency"] if decision else None,
            "version": life.config_version_id}

client = app.test_client()
print("ready", flush=True)
for line in sys.stdin:
    print(json.dumps(client.get(line.strip()).get_json()), flush=True)
"""


class Process:
    """A process answering one line per line sent, read with a timeout."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def read(self, timeout: float = 30) -> str:
        try:
            return self.lines.get(timeout=timeout).strip()
        except queue.Empty:
            self.proc.kill()
            raise AssertionError(f"no answer; stderr: {self.proc.stderr.read()[-2000:]}") from None

    def ask(self, path: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(path + "\n")
        self.proc.stdin.flush()
        return json.loads(self.read())

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def second_process(database_url: str, tmp_path: Path, uow: UnitOfWork) -> Iterator[Process]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-c", SECOND_PROCESS, str(ROOT / "config"), database_url, str(tmp_path)]
    process = Process(argv, env)
    try:
        assert process.read(60) == "ready"
        yield process
    finally:
        process.close()


def test_a_second_process_sees_the_new_version_within_seconds(
    second_process: Process, uow: UnitOfWork, files: dict[str, str], database_url: str
) -> None:
    path = f"/_test/route/moi-truong/{AREA}"
    before = second_process.ask(path)
    assert before["agency"] == COMMITTEE
    v2 = change(uow, moved_environment(files), "thử")
    started = time.monotonic()
    while (answer := second_process.ask(path))["version"] != v2:
        assert time.monotonic() - started < 5, answer
        time.sleep(0.05)
    assert answer["agency"] == "SNNMT"
    # And a command started now, without --config, routes with it too.
    done = subprocess.run(
        [str(Path(sys.executable).with_name("phananh")), "route", "--sector", "moi-truong",
         "--area", AREA],
        capture_output=True, text=True, cwd=ROOT, check=False,
        env={**os.environ, "DATABASE_URL": database_url},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["agency"]["code"] == "SNNMT"


# -- the worker ------------------------------------------------------------------------------------


def test_the_worker_takes_the_new_configuration_between_passes(
    uow: UnitOfWork, started: tuple[int, Snapshot], files: dict[str, str]
) -> None:
    mailer, poster = object(), object()
    worker = Worker(uow, started[1], mailer=mailer, poster=poster)  # type: ignore[arg-type]
    stop = threading.Event()
    newer = configstore.snapshot_of(_version(uow, change(uow, moved_environment(files), "thử")))
    answers = iter([newer, None])

    def refresh() -> Snapshot | None:
        fresh = next(answers, None)
        if fresh is None:
            stop.set()
        return fresh

    worker.run(stop, 0.01, refresh=refresh)
    assert worker.snapshot is newer and worker.expander.snapshot is newer
    assert (worker.mailer, worker.poster) == (mailer, poster)  # what the caller gave is kept


def _version(uow: UnitOfWork, version_id: int) -> configstore.versions.ConfigVersion:
    with uow.read() as session:
        version = configstore.get(session, version_id)
        session.expunge(version)
        return version


def test_the_command_line_refresher_follows_the_database_only_without_config(
    uow: UnitOfWork,
    started: tuple[int, Snapshot],
    files: dict[str, str],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    found: dict[str, Any] = {}

    @click.command()
    @CONFIG_OPTION
    def probe(config_dir: Path) -> None:
        found["refresh"] = refresher(config_dir)

    probe.main([], standalone_mode=False)
    refresh = found["refresh"]
    assert refresh is not None and refresh() is None  # nothing new yet
    change(uow, moved_environment(files), "thử")
    fresh = refresh()
    assert fresh is not None and fresh.routes[-1].agency == "SNNMT"
    assert refresh() is None  # told once
    probe.main(["--config", str(ROOT / "config")], standalone_mode=False)
    assert found["refresh"] is None


def test_once_the_database_has_a_version_the_folder_is_not_read_at_start(
    uow: UnitOfWork, database_url: str, tmp_path: Path
) -> None:
    """An administrator's versions are the configuration: a folder broken (or emptied) later
    by hand does not stop the service from starting on the version in force."""
    first = _app(database_url, tmp_path, interval=0)
    in_force = first.extensions[runtime.LIFECYCLE].config_version_id
    broken = tmp_path / "broken-config"
    broken.mkdir()
    (broken / "sectors.yaml").write_text("sectors: [khong hop le\n", encoding="utf-8")
    app = create_app(
        {
            "TESTING": True,
            "CONFIG_DIR": str(broken),
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(tmp_path),
            "SECRET_KEY": "test",
        }
    )
    assert app.extensions[runtime.LIFECYCLE].config_version_id == in_force
    assert app.test_client().get("/linh-vuc").status_code == 200
