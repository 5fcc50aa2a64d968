"""Real processes killed with SIGKILL: the database (PostgreSQL when ``TEST_DATABASE_URL`` names
one, in a schema of its own, else a SQLite file), the ``phananh`` command run as a process, and
free ports on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from engine.store import UnitOfWork, make_engine, migrate
from tests.databases import PG_URL, postgres_schema

ROOT = Path(__file__).resolve().parents[2]
COMMAND = "from cli.main import main; raise SystemExit(main())"


def _databases() -> list[object]:
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set"),
        ),
    ]


@pytest.fixture(params=_databases())
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database's URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'phananh.db'}"
        migrate.upgrade(url)
        yield url
        return
    with postgres_schema("phananh_fault") as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def uow(database: str) -> Iterator[UnitOfWork]:
    engine = make_engine(database)
    yield UnitOfWork(engine)
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(database: str, folder: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHANANH_", "PROMETHEUS_"))}
    env.update(
        DATABASE_URL=database,
        PYTHONPATH=str(ROOT),
        SECRET_KEY="fault-test-secret",
        PHANANH_MEDIA=str(folder / "media"),
        CONFIG_RELOAD_SECONDS="3600",
        TMPDIR=str(folder),  # what a killed server leaves (its metrics folder) goes with the test
        **extra,
    )
    return env


class Process:
    """``phananh ARGS`` as its own process group, so that SIGKILL reaches every process of it."""

    def __init__(self, args: Sequence[str], env: dict[str, str], cwd: Path) -> None:
        self.args, self.env, self.cwd = list(args), env, cwd
        self.popen: subprocess.Popen[bytes] | None = None
        self.log = cwd / f"{args[0]}.log"

    def start(self) -> Process:
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(
                [sys.executable, "-c", COMMAND, *self.args],
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def kill(self) -> None:
        """SIGKILL to the whole group: nothing runs an exit handler, nothing is flushed."""
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=30)

    def stop(self) -> int | None:
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.popen.returncode

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


def wait_for_port(port: int, process: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.alive(), process.log.read_text(errors="replace")[-3000:]
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"nothing answered on port {port} within {timeout} s")
