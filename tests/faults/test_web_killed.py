"""The web server killed with SIGKILL while citizens submit (issue #10, Đ4: nothing lost).

Four clients each send their reports one after another through the production server; each
report has its own ``Idempotency-Key`` and the client retries it, as the mobile app does, until it
gets its answer. Meanwhile the server's whole process group is killed three times and started
again. Then every report answered 201 is in the database exactly once, with the code its client
was given, no report exists that no client was given, and the record's hash chains hold.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import select

from engine import audit
from engine.store import UnitOfWork
from engine.store.models import Report
from tests.faults.conftest import Process, environment, free_port, wait_for_port

CLIENTS = 4
REPORTS_EACH = 8
KILLS = 3
GIVE_UP_AFTER = 120.0  # seconds a client keeps retrying one report


def report_body(marker: str) -> bytes:
    return json.dumps(
        {
            "name": "Nguyễn Văn An",
            "phone": "0909 123 456",
            "content": f"Ổ gà lớn trước số 45 Phạm Thái Bường, mã kiểm thử {marker}.",
            "area": "29557",
            "address": "45 Phạm Thái Bường",
        }
    ).encode()


class Client(threading.Thread):
    """Sends its reports in turn; retries each with the same key until it is answered."""

    def __init__(self, number: int, port: int) -> None:
        super().__init__(daemon=True)
        self.number, self.port = number, port
        self.answered: dict[str, str] = {}  # marker → code
        self.given_up: list[str] = []
        self.retries = 0

    def run(self) -> None:
        for index in range(REPORTS_EACH):
            marker = f"K{self.number}-{index}-{uuid.uuid4().hex[:8]}"
            key = str(uuid.uuid4())
            # One client address per report: the public limit is per client, not the point here.
            headers = {
                "Content-Type": "application/json",
                "Idempotency-Key": key,
                "X-Forwarded-For": f"10.{self.number}.{index}.1",
            }
            code = self.send(report_body(marker), headers)
            if code is None:
                self.given_up.append(marker)
            else:
                self.answered[marker] = code

    def send(self, body: bytes, headers: dict[str, str]) -> str | None:
        deadline = time.monotonic() + GIVE_UP_AFTER
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                connection.request("POST", "/api/v1/reports", body=body, headers=headers)
                answer = connection.getresponse()
                payload = answer.read()
                connection.close()
                if answer.status in (200, 201):
                    return json.loads(payload)["code"]
            except (OSError, http.client.HTTPException):
                pass  # the server is down: the connection was refused or cut
            self.retries += 1
            time.sleep(0.2)
        return None


def test_every_answered_report_is_stored_once_across_kills(
    database: str, uow: UnitOfWork, tmp_path: Path
) -> None:
    port = free_port()
    env = environment(database, tmp_path, PHANANH_PROXIES="1")
    server = Process(
        ["serve", "--production", "--workers", "2", "--port", str(port)], env, tmp_path
    ).start()
    wait_for_port(port, server)
    clients = [Client(number, port) for number in range(CLIENTS)]
    for client in clients:
        client.start()
    total = CLIENTS * REPORTS_EACH
    try:
        for kill in range(1, KILLS + 1):
            # Kill while submissions are under way: after a share of the reports are answered.
            while sum(len(c.answered) for c in clients) < total * kill // (KILLS + 1):
                assert any(c.is_alive() for c in clients)
                time.sleep(0.02)
            server.kill()
            server.start()
            wait_for_port(port, server)
        for client in clients:
            client.join(timeout=GIVE_UP_AFTER * REPORTS_EACH)
    finally:
        server.stop()
    answered = {marker: code for c in clients for marker, code in c.answered.items()}
    assert not [m for c in clients for m in c.given_up], server.log.read_text()[-3000:]
    assert len(answered) == total
    assert sum(c.retries for c in clients) > 0, "no request met a killed server"
    with uow.read() as session:
        stored = session.execute(select(Report.code, Report.content)).all()
        breaks = list(audit.verify(session))
    assert len(stored) == total, "a report was stored twice, or without its answer"
    by_marker = {content.rsplit(" ", 1)[-1].rstrip("."): code for code, content in stored}
    assert by_marker == answered
    assert breaks == []
