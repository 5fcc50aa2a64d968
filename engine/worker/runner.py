"""One worker: timed jobs, then every due outbox row, a batch at a time, until none is due.

A pass (:meth:`Worker.run_once`) runs the timed jobs (:mod:`engine.worker.jobs`) in one
transaction, builds the scheduled periodic reports that are due (only with a media store to keep
them in: :func:`engine.periodic.store.build_due`), counts again the figures' tallies of the days
with changed reports (:func:`engine.stats.tallies.refresh`, a month of days a pass), forgets old ``Idempotency-Key`` answers
(:mod:`engine.worker.housekeeping`, a bounded number per pass), then claims rows in batches
(:func:`engine.worker.outbox.claim_batch`: a share for every kind, so a backlog of notices never
keeps the mail waiting) and handles them one by one, each only while its lease holds (a row whose
lease ran out may already be another worker's): a notice is expanded into its deliveries and marked
sent in one transaction (:mod:`engine.worker.notices`); a delivery is sent and then marked sent —
or its failure counted, retried later with back-off, and parked after the last attempt. One row's
failure never stops the pass. :meth:`Worker.run` repeats passes every ``interval`` seconds until
its stop event is set; a stop request lets the current row finish (claim → send → mark), gives back
the rest of the batch and then returns.

Time comes from the injectable ``now`` (tests drive back-off and leases with it); secrets from the
injectable ``environ``.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses
from typing import Protocol
from zoneinfo import ZoneInfo

from engine.calendar import WorkingCalendar
from engine.config.snapshot import Snapshot
from engine.periodic import store as periodic_store
from engine.stats import tallies
from engine.store.db import UnitOfWork
from engine.store.models import OutboxMessage
from engine.uploads import MediaStore
from engine.worker import housekeeping, jobs, notices, outbox
from engine.worker.senders import DeliveryError, SmtpMailer, WebhookPoster, build_mail

log = logging.getLogger(__name__)

#: How long a claim holds a row: longer than any one send can take (SMTP and HTTP time out well
#: before), short enough that a dead worker's row is retried soon.
DEFAULT_LEASE = timedelta(minutes=5)
#: Rows handled in one pass at most, so the timed jobs are not starved by a long queue.
BATCH = 1000
#: Rows claimed in one transaction: enough to spare the claim's round trips, few enough that the
#: batch is sent well within its lease.
CLAIM_BATCH = 50


class Mailer(Protocol):
    def send(self, mail: object, recipients: list[str]) -> None: ...


@dataclass
class RunSummary:
    """What one pass did."""

    queued: int = 0
    expanded: int = 0
    mails: int = 0
    webhooks: int = 0
    failed: int = 0
    parked: int = 0
    purged: int = 0
    reports: int = 0
    tallied: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(
            self.queued or self.expanded or self.mails or self.webhooks or self.failed
            or self.reports
        )  # fmt: skip

    def line(self) -> str:
        return (
            f"{self.queued} thông báo hẹn giờ, {self.expanded} thông báo đã xử lý, "
            f"{self.mails} thư, {self.webhooks} webhook đã gửi, {self.failed} lần lỗi "
            f"({self.parked} tạm giữ)"
        ) + (f", {self.reports} báo cáo định kỳ đã lập" if self.reports else "")


def worker_id() -> str:
    """``host:pid:random``, at most 60 characters: who holds a claim, for a person reading rows."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    def __init__(
        self,
        uow: UnitOfWork,
        snapshot: Snapshot,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        environ: Mapping[str, str] | None = None,
        mailer: Mailer | None = None,
        poster: WebhookPoster | None = None,
        lease: timedelta = DEFAULT_LEASE,
        name: str | None = None,
        idempotency_keep: timedelta = housekeeping.IDEMPOTENCY_KEEP,
        purge_batch: int = housekeeping.PURGE_BATCH,
        pass_limit: int = BATCH,
        claim_batch: int = CLAIM_BATCH,
        store: MediaStore | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self.uow = uow
        self.now = now
        self._env = env
        self._own_mailer, self._own_poster = mailer is None, poster is None
        self.mailer = mailer
        self.poster = poster
        self.reconfigure(snapshot)
        self.lease = lease
        self.idempotency_keep, self.purge_batch = idempotency_keep, purge_batch
        self.pass_limit, self.claim_batch = pass_limit, claim_batch
        #: Where the scheduled periodic reports are kept; ``None``: they are not built.
        self.store = store
        self.name = name or worker_id()
        self.stopping = threading.Event()
        self._claims = itertools.count(1)

    def reconfigure(self, snapshot: Snapshot) -> None:
        """Use ``snapshot`` from the next pass on (a new configuration version in force)."""
        self.snapshot = snapshot
        self.calendar = WorkingCalendar.from_config(snapshot.calendar)
        self.expander = notices.Expander(snapshot, self.calendar)
        if self._own_mailer:
            self.mailer = SmtpMailer(snapshot.notify.smtp, self._env)
        if self._own_poster:
            self.poster = WebhookPoster(snapshot.notify.webhook_timeout_seconds, self._env)

    # -- loops -----------------------------------------------------------------------------------

    def run(
        self,
        stop: threading.Event,
        interval: float,
        refresh: Callable[[], Snapshot | None] | None = None,
    ) -> None:
        """Passes every ``interval`` seconds until ``stop`` is set; a failed pass (the database
        unreachable) is logged and the next one tried. ``refresh``, asked before each pass,
        returns a new snapshot when another configuration version has come in force."""
        self.stopping = stop
        while not stop.is_set():
            fresh = refresh() if refresh is not None else None
            if fresh is not None and notices.missing_templates(fresh):
                missing = ", ".join(notices.missing_templates(fresh))
                log.error("phananh worker: new configuration lacks %s; keeping the old", missing)
            elif fresh is not None:
                self.reconfigure(fresh)
                log.info("phananh worker: configuration reloaded")
            try:
                summary = self.run_once()
            except Exception:  # noqa: BLE001 - the database may be away a moment: try next pass
                log.exception("phananh worker: the pass failed; trying again in %gs", interval)
            else:
                if summary.busy:
                    log.info("phananh worker: %s", summary.line())
            stop.wait(interval)

    def run_once(self) -> RunSummary:
        """Queue what the timed jobs find due, then handle every due row once."""
        summary = RunSummary()
        try:
            with self.uow.begin() as session:
                now = self.now()
                summary.queued += jobs.queue_clock_notices(
                    session, self.snapshot, self.calendar, now
                )
                summary.queued += jobs.queue_digests(session, self.snapshot, self.calendar, now)
        except Exception as exc:  # noqa: BLE001 - the deliveries still run; the error is logged
            log.exception("phananh worker: timed jobs failed")
            summary.errors.append(f"timed jobs: {type(exc).__name__}: {exc}")
        self._periodic(summary)
        self._tally(summary)
        self._purge(summary)
        handled = 0
        while handled < self.pass_limit and not self.stopping.is_set():
            size = min(self.claim_batch, self.pass_limit - handled)
            token = self._token()
            rows = outbox.claim_batch(self.uow, self.now(), self.lease, token, size)
            if not rows:
                break
            handled += self._handle_batch(rows, token, summary)
        return summary

    def _periodic(self, summary: RunSummary) -> None:
        """Build the scheduled periodic reports that are due; a failure is logged, the pass goes
        on, and the next pass tries again (nothing is recorded for a report not kept)."""
        if self.store is None or not self.snapshot.periodic:
            return
        try:
            built = periodic_store.build_due(
                self.uow, self.snapshot, self.store, self.now(), self.name
            )
        except Exception as exc:  # noqa: BLE001 - the deliveries still run; the error is logged
            log.exception("phananh worker: building the periodic reports failed")
            summary.errors.append(f"periodic reports: {type(exc).__name__}: {exc}")
            return
        summary.reports = len(built)
        for kept in built:
            log.info("phananh worker: %s (%s) built and kept", kept.title, kept.format)

    def _tally(self, summary: RunSummary) -> None:
        """Count again the tallies of the days with changed reports; a failure is logged and the
        pass goes on (the figures count those days from the rows meanwhile)."""
        try:
            with self.uow.begin() as session:
                summary.tallied = tallies.refresh(
                    session, ZoneInfo(self.snapshot.calendar.timezone)
                )
        except Exception as exc:  # noqa: BLE001 - the deliveries still run; the error is logged
            log.exception("phananh worker: counting the figures' tallies failed")
            summary.errors.append(f"tallies: {type(exc).__name__}: {exc}")

    def _purge(self, summary: RunSummary) -> None:
        """Forget old ``Idempotency-Key`` answers; a failure is logged and the pass goes on."""
        try:
            summary.purged = housekeeping.purge_idempotency(
                self.uow, self.now(), self.idempotency_keep, self.purge_batch
            )
        except Exception as exc:  # noqa: BLE001 - the deliveries still run; the error is logged
            log.exception("phananh worker: purging old Idempotency-Key answers failed")
            summary.errors.append(f"purge: {type(exc).__name__}: {exc}")
            return
        if summary.purged:
            log.info("phananh worker: %d old Idempotency-Key answers deleted", summary.purged)

    def _handle_batch(self, rows: list[OutboxMessage], token: str, summary: RunSummary) -> int:
        """Handle the claimed rows while their lease holds; give back the rest on a stop."""
        for done, row in enumerate(rows):
            if self.stopping.is_set():
                outbox.release(self.uow, [r.id for r in rows[done:]], token)
                return done
            if row.claimed_until is not None and self.now() >= row.claimed_until:
                continue  # the lease ran out: the row may be another worker's by now
            self.handle(row, summary)
        return len(rows)

    def _token(self) -> str:
        return f"{self.name}:{next(self._claims)}"

    # -- one row ---------------------------------------------------------------------------------

    def handle(self, row: OutboxMessage, summary: RunSummary) -> None:
        """Expand or send the claimed ``row``; count a failure on it instead of raising."""
        try:
            if row.kind == notices.MAIL:
                self._send_mail(row)
                summary.mails += 1
            elif row.kind == notices.WEBHOOK:
                self._send_webhook(row)
                summary.webhooks += 1
            else:
                self._expand(row)
                summary.expanded += 1
                return
        except Exception as exc:  # noqa: BLE001 - every failure is counted on its row
            error = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, DeliveryError):
                log.exception("phananh worker: outbox row %s (%s) failed", row.id, row.kind)
            failed = outbox.fail(self.uow, row.id, self.now(), error, self.snapshot.notify.retry)
            summary.failed += 1
            if failed is not None and failed.parked:
                summary.parked += 1
                log.warning("phananh worker: row %s parked: %s", row.id, error)
            return
        outbox.finish(self.uow, row.id, self.now())

    def _expand(self, row: OutboxMessage) -> None:
        with self.uow.begin() as session:
            notice = session.get(OutboxMessage, row.id)
            if notice is None or notice.sent_at is not None:
                return
            expansion = self.expander.expand(session, notice)
            now = self.now()
            for delivery in expansion.deliveries:
                outbox.queue(
                    session,
                    kind=delivery.kind,
                    dedup_key=delivery.dedup_key,
                    payload=delivery.payload,
                    at=now,
                    report_id=notice.report_id,
                )
            notice.sent_at = now
            notice.claimed_by = notice.claimed_until = None
            notice.last_error = expansion.note

    def _send_mail(self, row: OutboxMessage) -> None:
        payload = row.payload
        to, cc = list(payload.get("to") or []), list(payload.get("cc") or [])
        mail = build_mail(
            key=row.dedup_key,
            sender=self.snapshot.notify.smtp.sender,
            to=to,
            cc=cc,
            subject=payload["subject"],
            body=payload["body"],
            queued_at=row.created_at,
            in_reply_to=payload.get("in_reply_to"),
        )
        recipients = [address for _, address in getaddresses(to + cc) if address]
        self.mailer.send(mail, recipients)

    def _send_webhook(self, row: OutboxMessage) -> None:
        code = row.payload.get("agency")
        agency = self.snapshot.agencies.get(code or "")
        if agency is None or not agency.webhook_url or not agency.webhook_secret_env:
            raise DeliveryError(f"cơ quan '{code}' không còn cấu hình webhook_url")
        self.poster.post(
            url=agency.webhook_url,
            secret_env=agency.webhook_secret_env,
            body=row.payload["body"].encode("utf-8"),
            key=row.dedup_key,
            event=row.payload.get("notice_kind", ""),
            at=self.now(),
        )
