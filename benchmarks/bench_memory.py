"""Memory of a web worker and of the outbox worker after 10 000 requests (issue #10).

One gunicorn worker (``phananh serve --production --workers 1``) on PostgreSQL answers 10 000
requests from this process over loopback — the portal's home, the public results, a result,
the API's list and one report, and one in five a new report through ``POST /api/v1/reports``;
then ``phananh worker`` sends the outbox those reports made (acknowledgements, agencies' mail)
to an SMTP sink in this process. The resident set (VmRSS) of the web worker and of the outbox
worker is read from ``/proc`` when they have started and after the load. The baseline, in the
same run: a bare Flask app under the same gunicorn, answering the same number of requests.
Target: each under 200 MB after the load.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUESTS = 10_000
CLIENTS = 4
GOAL_MB = 200.0
UNSENT = text("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND NOT parked")
BARE_APP = """
from flask import Flask
app = Flask(__name__)
@app.get("/")
def home():
    return "<!doctype html><title>bare</title><p>ok</p>"
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited before answering")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on {port}")


def one_worker(parent: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = children(parent.pid)
        if workers:
            return workers[0]
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def load(port: int, paths: list[str], posts_every: int) -> tuple[int, int]:
    """REQUESTS requests from CLIENTS threads; returns (answered 2xx, others)."""
    counter = iter(range(REQUESTS))
    lock = threading.Lock()
    tally = [0, 0]

    def client() -> None:
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            if posts_every and index % posts_every == 0:
                body = json.dumps(
                    {
                        "name": "Nguyễn Văn An",
                        "phone": "0909 123 456",
                        "email": f"dan{index}@example.vn",
                        "content": "Ổ gà lớn trước số 45 Phạm Thái Bường, xe máy dễ té ngã.",
                        "area": "29557",
                    }
                )
                headers = {
                    "Content-Type": "application/json",
                    "Idempotency-Key": str(uuid.uuid4()),
                    "X-Forwarded-For": f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}",
                }
                connection.request("POST", "/api/v1/reports", body=body, headers=headers)
            else:
                connection.request("GET", paths[index % len(paths)])
            answer = connection.getresponse()
            answer.read()
            connection.close()
            with lock:
                tally[0 if 200 <= answer.status < 300 else 1] += 1

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally[0], tally[1]


def measure_bare(folder: Path) -> tuple[float, float]:
    (folder / "bare.py").write_text(BARE_APP, encoding="utf-8")
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "bare:app",
        ],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(port, server)
        worker = one_worker(server)
        load(port, ["/"], 0)  # warm-up as for the app: one pass
        before = rss_mb(worker)
        load(port, ["/"], 0)
        return before, rss_mb(worker)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def run() -> str:
    schema = f"bench_mem_{uuid.uuid4().hex[:8]}"
    admin = create_engine(SERVER)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{SERVER}?options=-csearch_path%3D{schema}"
    folder = Path(tempfile.mkdtemp(prefix="phananh-bench-mem-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PHANANH_")},
        "DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
        "SECRET_KEY": "bench-memory",
        "PHANANH_MEDIA": str(folder / "media"),
        "PHANANH_PROXIES": "1",
    }
    command = [sys.executable, "-c", "from cli.main import main; raise SystemExit(main())"]
    try:
        subprocess.run(
            [*command, "demo", "--reports", "40"],
            env=env,
            cwd=folder,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with admin.connect() as connection:
            code = connection.execute(
                text(f"SELECT code FROM \"{schema}\".reports WHERE state = 'published' LIMIT 1")
            ).scalar_one()
        paths = ["/", "/ket-qua", f"/ket-qua/{code}", "/api/v1/reports", f"/api/v1/reports/{code}"]
        port = free_port()
        server = subprocess.Popen(
            [*command, "serve", "--production", "--workers", "1", "--port", str(port)],
            env=env,
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for(port, server)
            worker = one_worker(server)
            load(port, paths, 0)  # warm-up: every page once compiled and cached
            web_before = rss_mb(worker)
            started = time.perf_counter()
            ok, other = load(port, paths, 5)
            seconds = time.perf_counter() - started
            web_after = rss_mb(worker)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
        outbox = measure_worker(command, env, folder, url)
        bare_before, bare_after = measure_bare(folder)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    lines = [
        "## Memory under load",
        "",
        f"One gunicorn worker on PostgreSQL, {REQUESTS:,} requests from {CLIENTS} client threads on "
        f"loopback (five public pages and the API, one request in five a new report): {ok:,} "
        f"answered 2xx, {other:,} otherwise, in {seconds:.1f} s. Resident set (VmRSS) after a "
        "warm-up pass and after the load; the outbox worker's while it sends the load's mail.",
        "",
        "| Process | After start (MB) | After the load (MB) | Target |",
        "|---|---:|---:|---|",
        f"| phananh web worker | {web_before:.1f} | {web_after:.1f} | < {GOAL_MB:.0f} MB |",
        f"| phananh worker ({outbox[2]:,} mails) | {outbox[0]:.1f} | {outbox[1]:.1f} | < {GOAL_MB:.0f} MB |",
        f"| baseline: bare Flask app, same gunicorn | {bare_before:.1f} | {bare_after:.1f} | — |",
        "",
    ]
    for name, value in (("web worker", web_after), ("worker", outbox[1])):
        verdict = "meets" if value < GOAL_MB else "misses"
        lines.append(
            f"- {name}: {value:.1f} MB after the load, {verdict} the target of {GOAL_MB:.0f} MB."
        )
    return "\n".join(lines)


def measure_worker(
    command: list[str], env: dict[str, str], folder: Path, url: str
) -> tuple[float, float, int]:
    """The outbox worker's RSS after start and after it sent what the load queued."""
    from aiosmtpd.controller import Controller

    class Sink:
        count = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001
            Sink.count += 1
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    controller.start()
    worker = subprocess.Popen(
        [*command, "worker", "--interval", "0.5", "--smtp", f"127.0.0.1:{controller.port}"],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        time.sleep(3)
        before = rss_mb(worker.pid)
        database = create_engine(url)
        deadline = time.monotonic() + 1800
        try:
            while time.monotonic() < deadline:  # until the outbox holds nothing left to send
                with database.connect() as connection:
                    left = connection.execute(UNSENT).scalar_one()
                if not left:
                    break
                time.sleep(1)
        finally:
            database.dispose()
        return before, rss_mb(worker.pid), Sink.count
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        controller.stop()


if __name__ == "__main__":
    print(run())
