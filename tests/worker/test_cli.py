"""``phananh worker`` as operators run it: ``--once``, the loop stopped by SIGTERM, one-line failures.

The command is registered in ``cli.main`` by the lead; here it is called directly (click's runner,
and a real process for the signal). The database is a migrated SQLite file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.worker import worker
from engine.config.loader import load
from engine.services.lifecycle import Lifecycle
from engine.store import UnitOfWork, make_engine, migrate
from tests.services.conftest import road_report
from tests.worker.conftest import Inbox, configuration_sending_to

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'phananh.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def conf(tmp_path: Path, smtp: tuple[Inbox, int]) -> Path:
    """The default configuration with notify.yaml pointing at the test's SMTP server."""
    _, port = smtp
    return configuration_sending_to(tmp_path, port)


def submit(database: str, conf: Path) -> str:
    engine = make_engine(database)
    try:
        return Lifecycle(UnitOfWork(engine), load(conf)).submit(road_report()).code
    finally:
        engine.dispose()


def media_of(conf: Path) -> list[str]:
    """The media folder beside the test's configuration: on and after 10/10 the worker builds
    the scheduled periodic reports of the default ``periodic.yaml`` there, never in the checkout."""
    return ["--media", str(conf.parent / "media")]


def test_once_sends_what_is_due_and_exits(
    database: str, conf: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    code = submit(database, conf)
    result = CliRunner().invoke(
        worker, ["--once", *media_of(conf), "--config", str(conf)], env={"DATABASE_URL": database}
    )
    assert result.exit_code == 0, result.output
    assert "0 lần lỗi" in result.output
    # The reporter's acknowledgement; a deadline warning to the IOC may go too, by time of day.
    (mail,) = inbox.to("an.nguyen@example.vn")
    assert mail["Subject"] == f"Đã tiếp nhận phản ánh {code}"
    sent = len(inbox.messages)
    assert f"{sent} thư" in result.output
    again = CliRunner().invoke(
        worker, ["--once", *media_of(conf), "--config", str(conf)], env={"DATABASE_URL": database}
    )
    assert again.exit_code == 0 and "0 thư" in again.output
    assert len(inbox.messages) == sent


def test_sigterm_finishes_and_exits_zero(
    database: str, conf: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    submit(database, conf)
    env = {**os.environ, "DATABASE_URL": database, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from cli.worker import worker; worker(prog_name='phananh worker')",
            "--interval",
            "0.2",
            *media_of(conf),
            "--config",
            str(conf),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not inbox.envelopes and time.monotonic() < deadline:
            time.sleep(0.05)
        assert inbox.envelopes, "the running worker sent nothing"
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "SIGTERM" in err and "đã dừng" in err and "Traceback" not in err


def test_a_configuration_without_mail_templates_is_refused_in_one_line(database: str) -> None:
    result = CliRunner().invoke(
        worker,
        ["--once", "--config", str(ROOT / "config" / "examples" / "pilot-2020")],
        env={"DATABASE_URL": database},
    )
    assert result.exit_code == 1
    assert "thiếu mẫu thư: templates/mail/reporter.received.j2" in result.output
    assert "Traceback" not in result.output


def test_an_unreachable_database_is_one_line(conf: Path) -> None:
    result = CliRunner().invoke(
        worker,
        ["--once", "--config", str(conf)],
        env={"DATABASE_URL": "postgresql+psycopg://nobody:secret@127.0.0.1:1/x"},
    )
    assert result.exit_code == 1
    assert "cơ sở dữ liệu:" in result.output and "secret" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_smtp_option_must_be_host_and_port() -> None:
    from click.testing import CliRunner

    from cli.worker import worker

    result = CliRunner().invoke(worker, ["--once", "--smtp", "no-port-here"])
    assert result.exit_code == 2
    assert "HOST:PORT" in result.output
