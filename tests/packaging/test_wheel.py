"""A province installs the wheel, not the repository (issue #10).

In an empty folder, with no checkout on the path: a new virtual environment, ``pip install`` of
the wheel built from this tree, then what an operator does first — validate the shipped
configuration, migrate, load the demo, serve with the production server and its three workers,
ask ``/``, ``/healthz`` and ``/metrics``, run the worker once, and make the periodic report as
PDF (its font comes from a dependency, not from the repository). On PostgreSQL when
``TEST_DATABASE_URL`` names one (in a schema of its own), else on SQLite.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import PG_URL, postgres_schema

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a new venv holding the wheel and its production extra."""
    place = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(place), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = place.glob("phananh-*.whl")
    assert "project.license" not in built.stderr  # the deprecation banner is gone
    subprocess.run([sys.executable, "-m", "venv", str(place / "venv")], check=True)
    bin_dir = place / "venv" / "bin"
    install = subprocess.run(
        [str(bin_dir / "pip"), "install", "-q", f"{wheel}[production]"],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    return bin_dir


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'phananh.db'}"
        return
    with postgres_schema("phananh_wheel") as url:
        yield url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def test_the_wheel_alone_migrates_runs_the_demo_and_serves(
    installed: Path, database: str, tmp_path: Path
) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(DATABASE_URL=database, SECRET_KEY="wheel-test-secret")

    def phananh(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(installed / "phananh"), *args],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"phananh {' '.join(args)}: {done.stderr}"
        return done

    assert "hợp lệ" in phananh("config", "validate").stdout
    phananh("db", "upgrade")
    phananh("demo", "--reports", "12")
    port = free_port()
    command = ["serve", "--production", "--workers", "3", "--port", str(port)]
    server = subprocess.Popen(
        [str(installed / "phananh"), *command],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                status, page = fetch(f"{base}/")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                time.sleep(0.25)
        else:
            pytest.fail("the production server did not answer within 30 s")
        assert status == 200 and "Phản ánh hiện trường" in page
        status, health = fetch(f"{base}/healthz")
        assert status == 200 and '"database":"ok"' in health.replace(" ", "")
        status, metrics = fetch(f"{base}/metrics")
        assert status == 200 and 'phananh_reports{state="published"}' in metrics
        assert 'phananh_http_requests_total{method="GET",route="/",status="200"}' in metrics
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert server.returncode == 0
    phananh("worker", "--once")
    report = folder / "bao-cao.pdf"
    period = ["--from", "01/01/2000", "--to", "31/12/2099"]
    phananh("report", "periodic", *period, "--format", "pdf", "--out", str(report))
    assert report.read_bytes().startswith(b"%PDF") and b"SourceSerifPro" in report.read_bytes()
    report.unlink()
    assert not (folder / "config").exists() and not (folder / "migrations").exists()
