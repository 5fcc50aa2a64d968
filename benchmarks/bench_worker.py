"""Benchmark of the worker's outbox: draining a backlog of mails and notices on PostgreSQL.

``run()`` returns a Markdown section (``## Worker outbox``). In a schema of its own (made here,
dropped after) it writes an outbox as a busy year leaves it — ``SENT`` rows already sent — and a
backlog of ``NOTICES`` notices (``reporter.mail_refused``, each expanded into one mail) queued
*before* ``MAILS`` mails. Two runs on the same data, in this process:

* **before** — the claim of main before issue 13, on the schema before migration 0004: one row
  at a time, ``ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`` (:func:`claim_one_by_one`). It walks
  past every sent row, so it is given ``BEFORE_SECONDS`` and its rate measured on what it did;
* **after** — :class:`engine.worker.Worker` as it is, batches of a share per kind from
  ``ix_outbox_unsent``; it drains the whole backlog.

Every mail goes over SMTP to a sink started here (aiosmtpd on 127.0.0.1), one connection a mail,
as the worker sends. Fairness is the number of the queued mails sent among the first
``FAIR_WINDOW`` rows handled: claimed oldest first, mails wait behind every notice.

``BENCH_DATABASE_URL`` (default the test database on 127.0.0.1) names the PostgreSQL database.
Takes about two minutes.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # when run as `python benchmarks/bench_worker.py`
    sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import Engine, select, text, update  # noqa: E402

from engine.config.loader import load  # noqa: E402
from engine.config.snapshot import SmtpConfig, Snapshot  # noqa: E402
from engine.store import Base, UnitOfWork, make_engine  # noqa: E402
from engine.store.models import OutboxMessage  # noqa: E402
from engine.worker import Worker, outbox  # noqa: E402
from engine.worker.runner import RunSummary  # noqa: E402
from engine.worker.senders import SmtpMailer  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SENT = 300_000
NOTICES = 5_000
MAILS = 5_000
BEFORE_SECONDS = 30.0
FAIR_WINDOW = 2_000


class Sink:
    """An SMTP server that counts what it accepts."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.count += 1
        return "250 OK"


class Recording(SmtpMailer):
    """The worker's own SMTP mailer, noting the order in which the mails left."""

    def __init__(self, config: SmtpConfig) -> None:
        super().__init__(config, {})
        self.keys: list[str] = []

    def send(self, mail: Any, recipients: list[str]) -> None:
        super().send(mail, recipients)
        self.keys.append(str(mail["X-Phananh-Dedup-Key"]))


def claim_one_by_one(uow: UnitOfWork, now: datetime, lease: Any, token: str) -> Any:
    """The claim before issue 13: the oldest due row of any kind, one per transaction."""
    first = (
        select(OutboxMessage.id)
        .where(*outbox.due(now))
        .order_by(OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    with uow.begin() as session:
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == first)
            .values(claimed_by=token, claimed_until=now + lease)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        ).first()
        return None if claimed is None else session.get(OutboxMessage, claimed.id)


class OneByOne(Worker):
    """The pass of main before issue 13, stopped after ``budget`` seconds."""

    budget = BEFORE_SECONDS

    def run_once(self) -> RunSummary:
        summary, started = RunSummary(), time.perf_counter()
        while time.perf_counter() - started < self.budget:
            row = claim_one_by_one(self.uow, self.now(), self.lease, self._token())
            if row is None:
                break
            self.handle(row, summary)
        return summary


def seed(engine: Engine, *, unsent_index: bool) -> None:
    """Empty tables; ``SENT`` sent rows, then the notices, then the mails (bulk SQL)."""
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        if not unsent_index:
            conn.execute(text("DROP INDEX ix_outbox_unsent"))
        conn.execute(
            text(
                "INSERT INTO outbox (created_at, kind, dedup_key, payload, attempts, parked,"
                " sent_at) SELECT now(), CASE WHEN g % 3 = 0 THEN 'reporter.received' ELSE"
                " 'mail' END, 'sent:' || g, '{}', 1, false, now() FROM generate_series(1, :n) g"
            ),
            {"n": SENT},
        )
        conn.execute(
            text(
                "INSERT INTO outbox (created_at, kind, dedup_key, payload, attempts, parked)"
                " SELECT now(), 'reporter.mail_refused', 'reporter.mail_refused:inbound-' || g,"
                " json_build_object('to', 'nguoi' || g || '@example.vn', 'reason',"
                " 'Thư trống.', 'subject', null), 0, false FROM generate_series(1, :n) g"
            ),
            {"n": NOTICES},
        )
        conn.execute(
            text(
                "INSERT INTO outbox (created_at, kind, dedup_key, payload, attempts, parked)"
                " SELECT now(), 'mail', 'queued:' || g, json_build_object('to',"
                " json_build_array('cho' || g || '@example.vn'), 'subject', 'Thư chờ',"
                " 'body', 'Nội dung.'), 0, false FROM generate_series(1, :n) g"
            ),
            {"n": MAILS},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE outbox"))


def drain(
    engine: Engine, snapshot: Snapshot, make: Callable[..., Worker]
) -> tuple[float, int, int, int]:
    """Seconds, rows handled, rows left, queued mails among the first ``FAIR_WINDOW`` sent."""
    mailer = Recording(snapshot.notify.smtp)
    worker = make(
        UnitOfWork(engine),
        snapshot,
        now=lambda: datetime.now(UTC),
        mailer=mailer,
        pass_limit=NOTICES * 2 + MAILS,
    )
    started = time.perf_counter()
    summary = worker.run_once()
    seconds = time.perf_counter() - started
    handled = summary.expanded + summary.mails + summary.failed
    with engine.connect() as conn:
        left = conn.scalar(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
    window = mailer.keys[:FAIR_WINDOW]
    return seconds, handled, int(left or 0), sum(k.startswith("queued:") for k in window)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    """Whether the PostgreSQL server of ``url`` takes a connection."""
    from sqlalchemy.exc import OperationalError

    from engine.store import make_engine

    engine = make_engine(url)
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def run() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not answers(url):
        return f"## Worker outbox\n\nNot measured: no PostgreSQL answers at `{url}` (set `BENCH_DATABASE_URL`).\n"
    schema = f"bench_worker_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    base = load(ROOT / "config")
    smtp = SmtpConfig(host="127.0.0.1", port=port, sender="dttm@vinhlong.gov.vn")
    snapshot = dataclasses.replace(base, notify=dataclasses.replace(base.notify, smtp=smtp))
    try:
        seed(engine, unsent_index=False)
        before = drain(engine, snapshot, OneByOne)
        seed(engine, unsent_index=True)
        after = drain(engine, snapshot, Worker)
    finally:
        controller.stop()
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return report(before, after, sink.count)


def report(
    before: tuple[float, int, int, int], after: tuple[float, int, int, int], smtp_count: int
) -> str:
    total = NOTICES * 2 + MAILS
    rate_before, rate_after = before[1] / before[0], after[1] / after[0]
    lines = [
        "## Worker outbox",
        "",
        f"PostgreSQL, one worker, an outbox of {SENT:,} rows already sent and a backlog of "
        f"{NOTICES:,} notices (each expanded into a mail) queued before {MAILS:,} mails: "
        f"{total:,} rows to handle. Every mail over SMTP to a sink on 127.0.0.1, one "
        f"connection a mail ({smtp_count:,} accepted in all). Before: the claim of main, one "
        f"row at a time by `ORDER BY id`, on the schema without `ix_outbox_unsent`, given "
        f"{BEFORE_SECONDS:.0f} s. After: batches of a share per kind from the partial index.",
        "",
        "| Claim | Rows handled | Seconds | Rows/s | Rows left | Queued mails among the "
        f"first {FAIR_WINDOW:,} sent |",
        "|---|---:|---:|---:|---:|---:|",
        f"| before: one by one, `ORDER BY id` | {before[1]:,} | {before[0]:.1f} | "
        f"{rate_before:,.0f} | {before[2]:,} | {before[3]:,} |",
        f"| after: batches, a share per kind | {after[1]:,} | {after[0]:.1f} | "
        f"{rate_after:,.0f} | {after[2]:,} | {after[3]:,} |",
        "",
        f"- Load average of the machine when the section was written: "
        f"{os.getloadavg()[0]:.1f} (1 min), {os.getloadavg()[2]:.1f} (15 min), on "
        f"{os.cpu_count()} cores shared with other work: the rates are this machine's, today.",
        f"- {rate_after / rate_before:.1f}× the rows per second; the backlog "
        + ("drained" if after[2] == 0 else f"not drained ({after[2]:,} left)")
        + f" in {after[0]:.1f} s. The mails queued behind the notices: "
        f"{before[3]:,} of the first {FAIR_WINDOW:,} sent before, {after[3]:,} after.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
