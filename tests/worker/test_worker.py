"""``phananh worker``: every visible step reaches its receiver, once, through real SMTP and HTTP.

Each test runs on SQLite and, with ``TEST_DATABASE_URL``, on PostgreSQL. Time is set through the
``now`` Clockwork (Wednesday 22/4/2026, 08:00 in Vĩnh Long unless a test moves it).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine import templates
from engine.config.snapshot import Snapshot
from engine.egress import WEBHOOK_ALLOW_ENV
from engine.services.lifecycle import Lifecycle
from engine.services.recovery import recover
from engine.store import OutboxMessage, UnitOfWork, User
from engine.store.models import Report
from engine.worker import NOTICE_KINDS, Worker, notices, outbox
from engine.worker.runner import DEFAULT_LEASE
from engine.worker.senders import message_id
from engine.workflow import Role, State
from tests.services.conftest import Clockwork, road_report
from tests.services.test_lifecycle import do, report_in
from tests.worker.conftest import (
    IOC_MAIL,
    LOOPBACK,
    SECRET,
    SECRET_ENV,
    SXD_MAIL,
    Hooks,
    Inbox,
    outbox_rows,
)

REPORTER_MAIL = "an.nguyen@example.vn"  # road_report()'s e-mail


def body_of(message: Any) -> str:
    return message.get_content()


def pending(uow: UnitOfWork) -> list[OutboxMessage]:
    return [r for r in outbox_rows(uow) if r.sent_at is None]


# -- the reporter at each visible step -------------------------------------------------------------


def test_each_visible_step_reaches_the_reporter_and_the_agency(
    life: Lifecycle, make_worker: Callable[..., Worker], smtp: tuple[Inbox, int], now: Clockwork
) -> None:
    inbox, _ = smtp
    worker = make_worker()
    tracked = report_in(life, State.RECEIVED)
    worker.run_once()
    received = inbox.to(REPORTER_MAIL)
    assert len(received) == 1
    mail = received[0]
    assert mail["Subject"] == f"Đã tiếp nhận phản ánh {tracked.code}"
    assert mail["From"].addresses[0].display_name == "Phản ánh hiện trường Vĩnh Long"
    assert mail["From"].addresses[0].addr_spec == "dttm@vinhlong.gov.vn"
    assert f"Mã phản ánh: {tracked.code}" in body_of(mail)
    assert "Kính gửi Ông/Bà Nguyễn Văn An" in body_of(mail)
    assert "22/04/2026 08:00" in body_of(mail)  # dd/mm/yyyy HH:MM, Asia/Ho_Chi_Minh
    assert f"https://phananh.vinhlong.gov.vn/ket-qua/{tracked.code}" in body_of(mail)
    key = f"reporter.received:{tracked.code}:1/mail"
    assert mail["X-Phananh-Dedup-Key"] == key
    assert mail["Message-ID"] == message_id(key)
    assert mail["Auto-Submitted"] == "auto-generated"

    do(life, tracked, "request_info", note="Vui lòng bổ sung ảnh chụp ổ gà.")
    worker.run_once()
    needs = inbox.to(REPORTER_MAIL)[-1]
    assert needs["Subject"] == f"Đề nghị bổ sung thông tin cho phản ánh {tracked.code}"
    assert "Vui lòng bổ sung ảnh chụp ổ gà." in body_of(needs)

    for action in ("provide_info", "classify", "forward"):
        do(life, tracked, action)
    worker.run_once()
    (forwarded,) = inbox.to(SXD_MAIL)
    assert forwarded["Subject"] == f"[{tracked.code}] Phản ánh chuyển đến Sở Xây dựng"
    assert "Nguyễn Văn An" not in body_of(forwarded) and "0909" not in body_of(forwarded)
    assert "xác minh phạm vi xử lý trước 23/04/2026 08:00" in body_of(forwarded)

    for action in ("accept", "propose_result", "approve", "publish"):
        do(life, tracked, action)
    worker.run_once()
    result = inbox.to(REPORTER_MAIL)[-1]
    assert result["Subject"] == f"Kết quả xử lý phản ánh {tracked.code}"
    assert "Kết quả đã được công khai" in body_of(result)
    assert "Đã vá ổ gà ngày 23/4/2026." in body_of(result)
    assert f"Xem kết quả: https://phananh.vinhlong.gov.vn/ket-qua/{tracked.code}" in body_of(result)

    do(life, tracked, "reply", text="Ổ gà lại bong sau mưa, xin làm rõ.")
    worker.run_once()
    (reply,) = inbox.to(IOC_MAIL)
    assert reply["Subject"] == f"[{tracked.code}] Người phản ánh phản hồi kết quả xử lý"
    assert "Ổ gà lại bong sau mưa, xin làm rõ." in body_of(reply)

    assert [len(inbox.to(a)) for a in (REPORTER_MAIL, SXD_MAIL, IOC_MAIL)] == [3, 1, 1]
    assert pending(life.uow) == []
    assert all(not r.parked and r.attempts == 0 for r in outbox_rows(life.uow))


def test_a_confidential_report_is_answered_privately_by_mail(
    life: Lifecycle, make_worker: Callable[..., Worker], smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    tracked = report_in(life, State.ANSWERED_PRIVATELY)
    make_worker().run_once()
    received, result = inbox.to(REPORTER_MAIL)
    assert "ket-qua/" not in body_of(received)  # it will never be public
    assert "kết quả chỉ được gửi riêng cho Ông/Bà và không công khai" in body_of(result)
    assert "Đã vá ổ gà ngày 23/4/2026." in body_of(result)
    assert "Xem kết quả" not in body_of(result)
    assert tracked.code in result["Subject"]


def test_a_state_secret_result_is_not_mailed(
    life: Lifecycle, make_worker: Callable[..., Worker], smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    report_in(life, State.RESTRICTED)
    make_worker().run_once()
    assert [m["Subject"].split(" PA-")[0] for m in inbox.to(REPORTER_MAIL)] == [
        "Đã tiếp nhận phản ánh"
    ]


def test_a_reporter_without_email_gets_nothing_and_nothing_waits(
    life: Lifecycle, make_worker: Callable[..., Worker], smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    life.submit(road_report(email=None))
    assert make_worker().run_once().mails == 0
    assert inbox.envelopes == [] and pending(life.uow) == []


def test_a_refused_mail_is_answered_in_its_thread(
    life: Lifecycle, make_worker: Callable[..., Worker], smtp: tuple[Inbox, int], now: Clockwork
) -> None:
    inbox, _ = smtp
    with life.uow.begin() as session:
        outbox.queue(
            session,
            kind="reporter.mail_refused",
            dedup_key="reporter.mail_refused:inbound-7",
            payload={
                "to": "Trần Văn Bé <be.tran@example.vn>",
                "reason": "Thư không có nội dung phản ánh.",
                "subject": "Ổ gà",
                "in_reply_to": "<abc@mail.example.vn>",
            },
            at=now(),
        )
    make_worker().run_once()
    (mail,) = inbox.to("be.tran@example.vn")
    assert mail["Subject"] == "Chưa tiếp nhận được phản ánh: Ổ gà"
    assert mail["In-Reply-To"] == "<abc@mail.example.vn>"
    assert "Lý do: Thư không có nội dung phản ánh." in body_of(mail)


# -- webhooks --------------------------------------------------------------------------------------


def test_a_forwarded_report_reaches_the_agency_system_signed(
    life: Lifecycle, make_worker: Callable[..., Worker], hooks: Hooks
) -> None:
    tracked = report_in(life, State.FORWARDED)
    summary = make_worker().run_once()
    assert summary.webhooks == 1
    (request,) = hooks.requests
    headers, body = request["headers"], request["body"]
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Phananh-Signature"], f"sha256={expected}")
    key = headers["Idempotency-Key"]
    assert key.startswith(f"agency.forwarded:{tracked.code}:") and key.endswith("/webhook")
    assert headers["X-Phananh-Event"] == "agency.forwarded"
    assert headers["X-Phananh-Timestamp"].isdigit()
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    event = json.loads(body)
    assert (event["id"], event["event"], event["agency"]) == (key, "agency.forwarded", "SXD")
    assert event["report"]["code"] == tracked.code
    assert event["report"]["sector"] == "giao-thong-van-tai"
    assert event["occurred_at"].endswith("Z")
    assert "Nguyễn Văn An" not in body.decode() and "0909" not in body.decode()


def test_a_wrong_secret_does_not_verify(
    life: Lifecycle, make_worker: Callable[..., Worker], hooks: Hooks
) -> None:
    report_in(life, State.FORWARDED)
    make_worker(environ={SECRET_ENV: "another-key", WEBHOOK_ALLOW_ENV: LOOPBACK}).run_once()
    (request,) = hooks.requests
    good = hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Phananh-Signature"] != f"sha256={good}"


def test_a_failing_receiver_is_retried_with_back_off_then_parked(
    life: Lifecycle,
    make_worker: Callable[..., Worker],
    hooks: Hooks,
    smtp: tuple[Inbox, int],
    now: Clockwork,
) -> None:
    inbox, _ = smtp
    hooks.statuses = [500] * 10
    report_in(life, State.FORWARDED)
    worker = make_worker()
    start = now()
    worker.run_once()
    assert len(hooks.requests) == 1 and len(inbox.to(SXD_MAIL)) == 1  # the mail is not held up
    (hook,) = [r for r in outbox_rows(life.uow) if r.kind == "webhook"]
    assert (hook.attempts, hook.parked) == (1, False)
    assert hook.next_attempt_at == start + timedelta(seconds=60)
    assert "HTTP 500" in hook.last_error

    worker.run_once()  # not due yet: nothing is tried
    now.value = start + timedelta(seconds=59)
    worker.run_once()
    assert len(hooks.requests) == 1

    now.value = start + timedelta(seconds=60)
    worker.run_once()
    assert len(hooks.requests) == 2
    (hook,) = [r for r in outbox_rows(life.uow) if r.kind == "webhook"]
    assert hook.attempts == 2 and hook.next_attempt_at == now() + timedelta(seconds=120)

    now.value += timedelta(seconds=120)
    summary = worker.run_once()
    assert len(hooks.requests) == 3 and summary.parked == 1
    (hook,) = [r for r in outbox_rows(life.uow) if r.kind == "webhook"]
    assert (hook.attempts, hook.parked, hook.next_attempt_at, hook.sent_at) == (3, True, None, None)
    assert [r.id for r in outbox.parked(life.uow)] == [hook.id]

    now.value += timedelta(hours=1)
    worker.run_once()
    assert len(hooks.requests) == 3  # parked: left for a person
    keys = {r["headers"]["Idempotency-Key"] for r in hooks.requests}
    assert keys == {hook.dedup_key}  # every attempt is recognisably the same message

    assert outbox.requeue(life.uow, [hook.id]) == 1  # the agency fixed its system
    worker.run_once()
    assert [r["status"] for r in hooks.requests] == [500, 500, 500, 500]
    hooks.statuses = []
    now.value += timedelta(minutes=1)
    worker.run_once()
    assert [r["status"] for r in hooks.requests] == [500, 500, 500, 500, 200]
    assert pending(life.uow) == []


def test_a_receiver_that_recovers_gets_the_message_once(
    life: Lifecycle, make_worker: Callable[..., Worker], hooks: Hooks, now: Clockwork
) -> None:
    hooks.statuses = [503]
    report_in(life, State.FORWARDED)
    worker = make_worker()
    worker.run_once()
    now.value += timedelta(minutes=1)
    worker.run_once()
    assert [r["status"] for r in hooks.requests] == [503, 200]
    assert pending(life.uow) == []


def test_a_missing_secret_is_a_failed_attempt_that_says_why(
    life: Lifecycle, make_worker: Callable[..., Worker], hooks: Hooks
) -> None:
    report_in(life, State.FORWARDED)
    make_worker(environ={}).run_once()
    assert hooks.requests == []
    (hook,) = [r for r in outbox_rows(life.uow) if r.kind == "webhook"]
    assert hook.attempts == 1 and SECRET_ENV in hook.last_error


def test_an_unreachable_mail_server_is_retried(
    life: Lifecycle,
    make_worker: Callable[..., Worker],
    configured: Snapshot,
    smtp: tuple[Inbox, int],
    now: Clockwork,
) -> None:
    inbox, port = smtp
    closed = dataclasses.replace(
        configured,
        notify=dataclasses.replace(
            configured.notify, smtp=dataclasses.replace(configured.notify.smtp, port=1)
        ),
    )
    life.submit(road_report())
    make_worker(snapshot=closed).run_once()
    (mail,) = [r for r in outbox_rows(life.uow) if r.kind == "mail"]
    assert mail.attempts == 1 and "127.0.0.1:1" in mail.last_error
    now.value += timedelta(minutes=1)
    make_worker().run_once()
    assert len(inbox.to(REPORTER_MAIL)) == 1


# -- at least once, seen at most once --------------------------------------------------------------


class Killed(BaseException):
    """The process dies: nothing in the worker catches it."""


def test_a_worker_killed_while_sending_loses_nothing(
    life: Lifecycle, make_worker: Callable[..., Worker], smtp: tuple[Inbox, int], now: Clockwork
) -> None:
    inbox, _ = smtp

    class DyingMailer:
        def send(self, mail: object, recipients: list[str]) -> None:
            raise Killed

    tracked = report_in(life, State.RECEIVED)
    with pytest.raises(Killed):
        make_worker(mailer=DyingMailer()).run_once()
    (mail,) = [r for r in outbox_rows(life.uow) if r.kind == "mail"]
    assert mail.claimed_by is not None and mail.sent_at is None

    assert make_worker().run_once().mails == 0  # the dead worker's lease still holds it
    assert inbox.envelopes == []
    now.value += DEFAULT_LEASE
    assert make_worker().run_once().mails == 1
    (received,) = inbox.to(REPORTER_MAIL)
    assert tracked.code in received["Subject"]
    assert pending(life.uow) == []


def test_a_notice_claimed_by_a_dead_worker_is_expanded_after_the_lease(
    life: Lifecycle, make_worker: Callable[..., Worker], smtp: tuple[Inbox, int], now: Clockwork
) -> None:
    inbox, _ = smtp
    life.submit(road_report())
    claimed = outbox.claim(life.uow, now(), DEFAULT_LEASE, "dead-worker:1")
    assert claimed is not None and claimed.kind == "reporter.received"
    assert make_worker().run_once().expanded == 0
    now.value += DEFAULT_LEASE + timedelta(seconds=1)
    summary = make_worker().run_once()
    assert (summary.expanded, summary.mails) == (1, 1)
    assert len(inbox.envelopes) == 1


def test_running_twice_sends_nothing_twice(
    life: Lifecycle,
    make_worker: Callable[..., Worker],
    smtp: tuple[Inbox, int],
    hooks: Hooks,
    now: Clockwork,
) -> None:
    inbox, _ = smtp
    report_in(life, State.PUBLISHED)
    first = make_worker().run_once()
    assert (first.mails, first.webhooks) == (3, 1)  # received, forwarded, result; the webhook
    rows = len(outbox_rows(life.uow))
    for minutes in (0, 1, 10):
        now.value += timedelta(minutes=minutes)
        again = make_worker().run_once()
        assert (again.expanded, again.mails, again.webhooks) == (0, 0, 0)
    assert len(inbox.envelopes) == 3 and len(hooks.requests) == 1
    assert len(outbox_rows(life.uow)) == rows


def test_a_resend_after_a_crash_is_the_same_message_for_the_receiver(
    life: Lifecycle,
    make_worker: Callable[..., Worker],
    smtp: tuple[Inbox, int],
    configured: Snapshot,
    now: Clockwork,
) -> None:
    """Sent, then killed before marking it sent: the second copy carries the same Message-ID."""
    inbox, _ = smtp
    from engine.worker.senders import SmtpMailer

    class SendThenDie(SmtpMailer):
        def send(self, mail: Any, recipients: list[str]) -> None:
            super().send(mail, recipients)
            raise Killed

    life.submit(road_report())
    with pytest.raises(Killed):
        make_worker(mailer=SendThenDie(configured.notify.smtp, {})).run_once()
    now.value += DEFAULT_LEASE
    make_worker().run_once()
    first, second = inbox.to(REPORTER_MAIL)
    assert first["Message-ID"] == second["Message-ID"]
    assert first["X-Phananh-Dedup-Key"] == second["X-Phananh-Dedup-Key"]
    assert first["Date"] == second["Date"] and body_of(first) == body_of(second)
    seen = {m["Message-ID"] for m in (first, second)}  # what a receiver keeps: one message
    assert len(seen) == 1


# -- timed jobs ------------------------------------------------------------------------------------


def clock_rows(uow: UnitOfWork) -> list[tuple[str, str]]:
    return [(r.kind, r.dedup_key) for r in outbox_rows(uow) if r.kind.startswith("clock.")]


def test_clock_warning_and_late_are_queued_once_per_clock(
    life: Lifecycle,
    make_worker: Callable[..., Worker],
    smtp: tuple[Inbox, int],
    hooks: Hooks,
    now: Clockwork,
) -> None:
    inbox, _ = smtp
    worker = make_worker()
    tracked = report_in(life, State.RECEIVED)  # intake and forward: 2 working hours from 08:00
    with life.uow.read() as session:
        from engine.store import Clock

        ids = {c.step: c.id for c in session.scalars(select(Clock))}
    worker.run_once()
    assert clock_rows(life.uow) == []

    now.set("2026-04-22T09:29+07:00")  # 89 of 120 minutes: not yet 75 %
    worker.run_once()
    assert clock_rows(life.uow) == []
    now.set("2026-04-22T09:30+07:00")
    for _ in range(3):
        worker.run_once()
    assert sorted(clock_rows(life.uow)) == sorted(
        [
            ("clock.warning", f"clock.warning:{ids['forward']}"),
            ("clock.warning", f"clock.warning:{ids['intake']}"),
        ]
    )
    warnings = inbox.to(IOC_MAIL)
    assert len(warnings) == 2
    assert {m["Subject"] for m in warnings} == {
        f"[{tracked.code}] Sắp đến hạn: Tiếp nhận, kiểm tra và phân loại — hạn 22/04/2026 10:00",
        f"[{tracked.code}] Sắp đến hạn: Kiểm tra và chuyển cơ quan xử lý — hạn 22/04/2026 10:00",
    }
    assert "còn 30 phút làm việc" in body_of(warnings[0])

    now.set("2026-04-22T10:01+07:00")
    for _ in range(3):
        worker.run_once()
    assert len(clock_rows(life.uow)) == 4
    late = [m for m in inbox.to(IOC_MAIL) if "TRỄ HẠN" in m["Subject"]]
    assert len(late) == 2 and "quá hạn 1 phút làm việc" in body_of(late[0])

    # The agency's step: the verify clock (1 working day) of the forwarded report.
    do(life, tracked, "classify")
    do(life, tracked, "forward")
    now.set("2026-04-23T08:05+07:00")  # 6 h 55 min of 8 h used: past 75 %, not late
    worker.run_once()
    worker.run_once()
    agency = [m for m in inbox.to(SXD_MAIL) if "Sắp đến hạn" in m["Subject"]]
    assert len(agency) == 1
    assert IOC_MAIL in agency[0]["Cc"]
    assert "Xác minh phạm vi xử lý" in agency[0]["Subject"]
    assert "Sở Xây dựng" in body_of(agency[0])
    events = [b["event"] for b in hooks.bodies()]
    assert events == ["agency.forwarded", "clock.warning"]
    assert hooks.bodies()[1]["clock"]["step"] == "verify"
    assert len(clock_rows(life.uow)) == 5


def test_the_deadline_job_queues_what_measuring_every_running_clock_would(
    life: Lifecycle, now: Clockwork
) -> None:
    """R27 at scale: the job reads only the clocks near their warning or due time (by budget, in
    SQL), yet queues exactly what measuring every running clock would, pass after pass, through a
    weekend (a warning window that spans Saturday and Sunday) and the clocks of several budgets."""
    from engine.sla import clocks as sla
    from engine.store import Clock
    from engine.worker import jobs

    report_in(life, State.RECEIVED)  # intake and forward: 2 working hours
    report_in(life, State.FORWARDED)  # verify: 1 working day
    report_in(life, State.IN_PROGRESS)  # handle: the sector's working days
    now.set("2026-04-24T15:10+07:00")  # Friday afternoon: windows that cross the weekend
    report_in(life, State.RECEIVED)
    report_in(life, State.FORWARDED)
    threshold = life.snapshot.sla.warning_threshold
    expected: set[str] = set()
    passes = 0
    while now.value < datetime.fromisoformat("2026-05-06T12:00+07:00"):
        now.value += timedelta(minutes=25)
        with life.uow.begin() as session:
            for clock in session.scalars(
                select(Clock).where(Clock.stopped_at.is_(None), Clock.paused_at.is_(None))
            ):
                standing = sla.status(clock, now(), life.calendar, threshold).standing
                late, warning = f"clock.late:{clock.id}", f"clock.warning:{clock.id}"
                if standing is sla.Standing.LATE:
                    expected.add(late)
                elif standing is sla.Standing.WARNING and late not in expected:
                    expected.add(warning)
            jobs.queue_clock_notices(session, life.snapshot, life.calendar, now())
        assert {key for _, key in clock_rows(life.uow)} == expected, now()
        passes += 1
    kinds = [kind for kind, _ in clock_rows(life.uow)]
    assert passes > 500 and kinds.count("clock.warning") >= 3 and kinds.count("clock.late") >= 3


def test_a_pass_queues_a_batch_of_notices_the_most_urgent_first_and_the_next_the_rest(
    life: Lifecycle, now: Clockwork
) -> None:
    """A pass is bounded (``limit`` notices): the late ones first, then the warnings; the next
    passes queue what it left, each notice once, until nothing is left."""
    from engine.store import Clock
    from engine.worker import jobs

    report_in(life, State.RECEIVED)  # intake and forward: 2 working hours from 08:00
    report_in(life, State.RECEIVED)
    now.set("2026-04-22T09:00+07:00")
    report_in(life, State.RECEIVED)  # due at 11:00
    now.set("2026-04-22T10:35+07:00")  # the first two late, the third at 95 of 120 minutes
    with life.uow.read() as session:
        clock_ids = sorted(session.scalars(select(Clock.id)))
    late = {f"clock.late:{i}" for i in clock_ids[:4]}
    warnings = {f"clock.warning:{i}" for i in clock_ids[4:]}
    passes = []
    for _ in range(4):
        with life.uow.begin() as session:
            queued = jobs.queue_clock_notices(session, life.snapshot, life.calendar, now(), limit=3)
        passes.append((queued, {key for _, key in clock_rows(life.uow)}))
    assert [queued for queued, _ in passes] == [3, 3, 0, 0]
    assert passes[0][1] < late  # three of the four late clocks
    assert passes[1][1] == late | warnings
    assert len(clock_rows(life.uow)) == len(late | warnings)  # nothing twice


def test_a_clock_notice_whose_step_is_done_is_dropped(
    life: Lifecycle, make_worker: Callable[..., Worker], smtp: tuple[Inbox, int], now: Clockwork
) -> None:
    inbox, _ = smtp
    tracked = report_in(life, State.RECEIVED)
    now.set("2026-04-22T09:45+07:00")
    with life.uow.begin() as session:
        from engine.worker import jobs

        jobs.queue_clock_notices(session, life.snapshot, life.calendar, now())
    do(life, tracked, "reject")  # both clocks stop before the worker sends the warnings
    make_worker().run_once()
    assert [m for m in inbox.messages if "Sắp đến hạn" in str(m["Subject"])] == []
    dropped = [r for r in outbox_rows(life.uow) if r.kind == "clock.warning"]
    assert len(dropped) == 2 and all(r.sent_at and "không gửi" in r.last_error for r in dropped)


def digests(uow: UnitOfWork) -> list[str]:
    return sorted(r.dedup_key for r in outbox_rows(uow) if r.kind == "digest")


def test_the_digest_goes_once_per_agency_per_working_day(
    life: Lifecycle, make_worker: Callable[..., Worker], smtp: tuple[Inbox, int], now: Clockwork
) -> None:
    inbox, _ = smtp
    worker = make_worker()
    in_progress = report_in(life, State.IN_PROGRESS)
    report_in(life, State.FORWARDED)
    report_in(life, State.RECEIVED)  # held by the IOC
    report_in(life, State.PUBLISHED)  # done: in nobody's digest
    now.set("2026-04-22T17:29+07:00")
    worker.run_once()
    assert digests(life.uow) == []

    now.set("2026-04-22T17:30+07:00")
    for _ in range(3):
        worker.run_once()
    assert digests(life.uow) == ["digest:SXD:2026-04-22", "digest:ioc:2026-04-22"]
    (sxd,) = [m for m in inbox.to(SXD_MAIL) if "Tổng hợp" in m["Subject"]]
    assert sxd["Subject"].startswith(
        "Tổng hợp phản ánh ngày 22/04/2026 — Sở Xây dựng: 2 đang xử lý"
    )
    assert in_progress.code in body_of(sxd)
    (ioc,) = [m for m in inbox.to(IOC_MAIL) if "Tổng hợp" in m["Subject"]]
    assert "1 đang xử lý" in ioc["Subject"]

    now.set("2026-04-22T23:59+07:00")
    worker.run_once()
    now.set("2026-04-25T18:00+07:00")  # Saturday: no digest
    worker.run_once()
    assert len(digests(life.uow)) == 2
    now.set("2026-04-27T17:45+07:00")  # Monday, the day off for Giỗ Tổ Hùng Vương: none either
    worker.run_once()
    assert len(digests(life.uow)) == 2
    now.set("2026-04-28T17:45+07:00")  # Tuesday
    worker.run_once()
    worker.run_once()
    assert digests(life.uow) == [
        "digest:SXD:2026-04-22",
        "digest:SXD:2026-04-28",
        "digest:ioc:2026-04-22",
        "digest:ioc:2026-04-28",
    ]
    late = [m for m in inbox.to(SXD_MAIL) if m["Subject"].startswith("Tổng hợp phản ánh ngày 28")]
    assert "TRỄ HẠN:" in body_of(late[0])  # the forwarded report's verify day has passed


# -- contexts, templates, loop ---------------------------------------------------------------------


def test_every_kind_gets_exactly_the_variables_its_samples_declare(
    life: Lifecycle,
    make_worker: Callable[..., Worker],
    smtp: tuple[Inbox, int],
    now: Clockwork,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The loader checks templates on their samples; the worker must give those very names."""
    seen: dict[str, set[str]] = {}
    real = templates.render

    def spy(source: str, context: dict[str, Any]) -> str:
        for kind in NOTICE_KINDS:
            if source == life.snapshot.templates[notices.template_name(kind)].source:
                seen[kind] = set(context)
        return real(source, context)

    monkeypatch.setattr(notices.templates, "render", spy)
    worker = make_worker()
    tracked = report_in(life, State.RECEIVED)
    do(life, tracked, "request_info", note="Bổ sung ảnh.")
    for action in ("provide_info", "classify", "forward", "accept", "propose_result"):
        do(life, tracked, action)
    for action in ("approve", "publish", "reply"):
        do(life, tracked, action)
    recover(life, report_in(life, State.RECEIVED).code, "+84 909 123 456")
    with life.uow.begin() as session:
        outbox.queue(
            session,
            kind="reporter.mail_refused",
            dedup_key="reporter.mail_refused:inbound-1",
            payload={"to": "x@example.vn", "reason": "…", "subject": None, "in_reply_to": None},
            at=now(),
        )
    worker.run_once()
    now.set("2026-04-22T09:45+07:00")  # the second report's intake clocks: warning
    worker.run_once()
    now.set("2026-04-22T11:00+07:00")  # … and late
    worker.run_once()
    report_in(life, State.FORWARDED)
    now.set("2026-04-23T17:45+07:00")
    worker.run_once()
    assert set(seen) == set(NOTICE_KINDS)
    for kind, names in seen.items():
        for sample in templates.MAIL_SAMPLES[f"{kind}.j2"]:
            assert names == set(sample), kind


def test_the_loop_stops_when_asked(make_worker: Callable[..., Worker], life: Lifecycle) -> None:
    worker = make_worker()
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop, 0.05))
    thread.start()
    life.submit(road_report())
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_an_unknown_kind_is_retried_then_parked(
    life: Lifecycle, make_worker: Callable[..., Worker], now: Clockwork
) -> None:
    with life.uow.begin() as session:
        outbox.queue(session, kind="sms.sent", dedup_key="sms:1", payload={}, at=now())
    worker = make_worker()
    for _ in range(3):
        worker.run_once()
        now.value += timedelta(hours=1)
    (row,) = outbox_rows(life.uow)
    assert row.parked and "sms.sent" in row.last_error


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_credentials_come_from_the_environment(
    life: Lifecycle, make_worker: Callable[..., Worker], configured: Snapshot
) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    from tests.worker.conftest import free_port

    logins: list[tuple[bytes, bytes]] = []

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        if isinstance(data, LoginPassword):
            logins.append((data.login, data.password))
            ok = (data.login, data.password) == (b"dttm", b"mat-khau")
            return AuthResult(success=ok)
        return AuthResult(success=False)

    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        smtp = dataclasses.replace(
            configured.notify.smtp,
            port=port,
            username_env="PHANANH_SMTP_USER",
            password_env="PHANANH_SMTP_PASSWORD",
            allow_plain_login_localhost=True,  # the test's server on 127.0.0.1 has no TLS
        )
        snap = dataclasses.replace(
            configured, notify=dataclasses.replace(configured.notify, smtp=smtp)
        )
        life.submit(road_report())
        env = {"PHANANH_SMTP_USER": "dttm", "PHANANH_SMTP_PASSWORD": "mat-khau"}
        assert make_worker(snapshot=snap, environ=env).run_once().mails == 1
    finally:
        controller.stop()
    assert logins == [(b"dttm", b"mat-khau")]
    assert len(inbox.envelopes) == 1


def test_message_ids_are_valid_and_distinct() -> None:
    keys = ["a:b", "a.b", "a=3Ab", "..x..", "digest:SXD:2026-04-22/mail"]
    ids = [message_id(k) for k in keys]
    assert len(set(ids)) == len(ids)
    for value in ids:
        local = value[1:-1].rsplit("@", 1)[0]
        assert ":" not in local and ".." not in local
        assert not local.startswith(".") and not local.endswith(".")


def test_several_workers_at_once_send_each_message_once(
    life: Lifecycle, make_worker: Callable[..., Worker], now: Clockwork
) -> None:
    """Claims are atomic: four workers on one queue never take the same row (PostgreSQL: SKIP
    LOCKED; SQLite: one statement under its write lock)."""
    sent: list[str] = []
    lock = threading.Lock()

    class Counting:
        def send(self, mail: Any, recipients: list[str]) -> None:
            with lock:
                sent.append(str(mail["X-Phananh-Dedup-Key"]))

    with life.uow.begin() as session:
        for n in range(30):
            outbox.queue(
                session,
                kind="reporter.mail_refused",
                dedup_key=f"reporter.mail_refused:inbound-{n}",
                payload={"to": f"nguoi{n}@example.vn", "reason": "Thư trống.", "subject": None},
                at=now(),
            )
    workers = [make_worker(mailer=Counting()) for _ in range(4)]
    threads = [threading.Thread(target=w.run_once) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(sent) == sorted(f"reporter.mail_refused:inbound-{n}/mail" for n in range(30))
    assert pending(life.uow) == []


@pytest.mark.skipif(not hasattr(User, "email"), reason="users.email comes with the staff-side work")
def test_the_agency_s_leader_and_officers_are_addressed_by_name(
    life: Lifecycle, make_worker: Callable[..., Worker], smtp: tuple[Inbox, int], now: Clockwork
) -> None:
    inbox, _ = smtp
    people = [
        ("vo.thi.em", "Võ Thị Em", Role.LEADER, "SXD", "em.vo@example.vn"),
        ("pham.minh.duc", "Phạm Minh Đức", Role.OFFICER, "SXD", "duc.pham@example.vn"),
        ("le.van.hai", "Lê Văn Hải", Role.OFFICER, "SXD", "hai.le@example.vn"),
        ("ngo.van.phuc", "Ngô Văn Phúc", Role.OFFICER, "SYT", "phuc.ngo@example.vn"),
    ]
    with life.uow.begin() as session:
        for username, name, role, agency, email in people:
            session.add(
                User(
                    username=username,
                    display_name=name,
                    role=role,
                    agency=agency,
                    password_hash="x",
                    created_at=now(),
                    email=email,
                )
            )
    worker = make_worker()
    tracked = report_in(life, State.FORWARDED)
    worker.run_once()
    (forwarded,) = inbox.to(SXD_MAIL)
    to = {a.addr_spec for a in forwarded["To"].addresses}
    assert to == {SXD_MAIL, "em.vo@example.vn", "duc.pham@example.vn", "hai.le@example.vn"}

    do(life, tracked, "accept")  # by Phạm Minh Đức: from now on the report is his
    now.set("2026-04-29T14:00+07:00")  # 4.5 of its 6 working days (25-27/4 are days off)
    worker.run_once()
    (warning,) = [m for m in inbox.to(SXD_MAIL) if "Sắp đến hạn" in m["Subject"]]
    assert {a.addr_spec for a in warning["To"].addresses} == {
        SXD_MAIL,
        "em.vo@example.vn",
        "duc.pham@example.vn",
    }
    assert [a.addr_spec for a in warning["Cc"].addresses] == [IOC_MAIL]

    now.set("2026-04-29T17:45+07:00")
    worker.run_once()
    (digest,) = [m for m in inbox.to(SXD_MAIL) if "Tổng hợp" in m["Subject"]]
    assert {a.addr_spec for a in digest["To"].addresses} == {SXD_MAIL, "em.vo@example.vn"}


def test_queueing_a_key_twice_keeps_one_row(life: Lifecycle, now: Clockwork) -> None:
    with life.uow.begin() as session:
        first = outbox.queue(session, kind="digest", dedup_key="digest:SXD:x", payload={}, at=now())
        second = outbox.queue(
            session, kind="digest", dedup_key="digest:SXD:x", payload={}, at=now()
        )
    assert (first, second) == (True, False)
    assert [r.dedup_key for r in outbox_rows(life.uow)] == ["digest:SXD:x"]


def test_a_pass_of_many_notices_queues_each_key_once_and_keeps_every_payload(
    life: Lifecycle, now: Clockwork
) -> None:
    """One deadline pass may queue thousands of notices at once: each key is added once, whether
    it was there before or comes twice in the batch, and each payload reads back as written."""
    report_in(life, State.RECEIVED)
    with life.uow.read() as session:
        report_id = session.scalars(select(Report.id)).one()
    with life.uow.begin() as session:
        assert outbox.queue(session, kind="clock.late", dedup_key="k:7", payload={}, at=now())
    messages = [
        outbox.Message(
            "clock.late",
            f"k:{n}",
            {"clock_id": n, "step": "verify", "agency": "SXD", "ghi_chú": f"Phản ánh {n}"},
            report_id if n % 2 else None,
        )
        for n in range(1200)
    ]
    with life.uow.begin() as session:
        added = outbox.queue_many(session, [*messages, messages[3]], at=now())
        assert outbox.queue_many(session, [], at=now()) == 0
    assert added == 1199  # k:7 was there; k:3 comes twice
    rows = {r.dedup_key: r for r in outbox_rows(life.uow) if r.dedup_key.startswith("k:")}
    assert len(rows) == 1200 and rows["k:7"].payload == {}
    for message in messages:
        if message.dedup_key == "k:7":
            continue
        row = rows[message.dedup_key]
        assert (row.kind, row.payload, row.report_id) == (
            message.kind,
            message.payload,
            message.report_id,
        )
        assert row.created_at == now() and row.attempts == 0 and row.sent_at is None


# -- a backlog of one kind never starves another ---------------------------------------------------


def test_a_backlog_of_notices_does_not_keep_the_mail_waiting(
    life: Lifecycle, make_worker: Callable[..., Worker], now: Clockwork
) -> None:
    """Issue 13: claimed oldest first, 11,032 queued mails waited behind notices for ever.

    Sixty notices are queued before ten mails; a pass may handle twenty rows. Each kind gets its
    share of every batch, so all ten mails leave in the first pass while notices still wait.
    """
    sent: list[str] = []

    class Counting:
        def send(self, mail: Any, recipients: list[str]) -> None:
            sent.append(str(mail["X-Phananh-Dedup-Key"]))

    with life.uow.begin() as session:
        for n in range(60):
            outbox.queue(
                session,
                kind="reporter.mail_refused",
                dedup_key=f"reporter.mail_refused:inbound-{n}",
                payload={"to": f"nguoi{n}@example.vn", "reason": "Thư trống.", "subject": None},
                at=now(),
            )
        for n in range(10):
            outbox.queue(
                session,
                kind=notices.MAIL,
                dedup_key=f"thu-cho:{n}",
                payload={"to": [f"cho{n}@example.vn"], "subject": "Thư chờ", "body": "Nội dung."},
                at=now(),
            )
    worker = make_worker(mailer=Counting(), pass_limit=20, claim_batch=10)
    first = worker.run_once()
    assert {f"thu-cho:{n}" for n in range(10)} <= set(sent)
    assert first.expanded == 10 and first.mails == 10
    assert len([r for r in pending(life.uow) if r.kind == "reporter.mail_refused"]) == 50


def test_claims_take_a_share_of_each_kind_and_leave_the_rest_to_others(
    life: Lifecycle, now: Clockwork
) -> None:
    """A kind with less than its share leaves the rest of the batch to the kinds with more."""
    with life.uow.begin() as session:
        for n in range(30):
            outbox.queue(session, kind="digest", dedup_key=f"d:{n}", payload={}, at=now())
        outbox.queue(session, kind="ioc.reply", dedup_key="r:0", payload={}, at=now())
        for n in range(30):
            outbox.queue(session, kind=notices.MAIL, dedup_key=f"m:{n}", payload={}, at=now())
    rows = outbox.claim_batch(life.uow, now(), DEFAULT_LEASE, "w:1", 21)
    kinds = [r.kind for r in rows]
    assert (kinds.count("digest"), kinds.count("ioc.reply"), kinds.count(notices.MAIL)) == (
        10,
        1,
        10,
    )
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    again = outbox.claim_batch(life.uow, now(), DEFAULT_LEASE, "w:2", 100)
    assert not {r.id for r in rows} & {r.id for r in again}  # a live lease keeps its rows
    assert len(again) == 40


def test_a_worker_asked_to_stop_gives_back_the_rest_of_its_batch(
    life: Lifecycle, make_worker: Callable[..., Worker], now: Clockwork
) -> None:
    stop = threading.Event()

    class StopAfterOne:
        def send(self, mail: Any, recipients: list[str]) -> None:
            stop.set()

    with life.uow.begin() as session:
        for n in range(5):
            outbox.queue(
                session,
                kind=notices.MAIL,
                dedup_key=f"m:{n}",
                payload={"to": [f"cho{n}@example.vn"], "subject": "Thư", "body": "Nội dung."},
                at=now(),
            )
    worker = make_worker(mailer=StopAfterOne())
    worker.stopping = stop
    assert worker.run_once().mails == 1
    waiting = pending(life.uow)
    assert len(waiting) == 4 and all(r.claimed_by is None for r in waiting)
    assert make_worker(mailer=StopAfterOne()).run_once().mails == 4  # no lease to wait out


def test_a_row_whose_lease_ran_out_mid_batch_is_left_to_whoever_holds_it_now(
    life: Lifecycle, make_worker: Callable[..., Worker], now: Clockwork
) -> None:
    """A slow batch: once a row's lease has passed, another worker may have it, so skip it."""
    sent: list[str] = []

    class Slow:
        def send(self, mail: Any, recipients: list[str]) -> None:
            sent.append(str(mail["X-Phananh-Dedup-Key"]))
            now.value += DEFAULT_LEASE  # this one send outlasts the others' leases

    with life.uow.begin() as session:
        for n in range(3):
            outbox.queue(
                session,
                kind=notices.MAIL,
                dedup_key=f"m:{n}",
                payload={"to": [f"cho{n}@example.vn"], "subject": "Thư", "body": "Nội dung."},
                at=now(),
            )
    worker = make_worker(mailer=Slow(), pass_limit=3)
    assert worker.run_once().mails == 1
    assert sent == ["m:0"]
