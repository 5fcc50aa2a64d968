"""The SMTP path for real: aiosmtpd on 127.0.0.1, smtplib as the sending server."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.mail.gateway import Gateway
from engine.mail.intake import receive
from engine.services.lifecycle import Lifecycle
from engine.store import UnitOfWork, make_engine
from engine.store.models import InboundMessage, Report
from engine.uploads import MediaStore
from tests.mail.messages import ADDRESS, SENDER, message


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gateway(life: Lifecycle, media: MediaStore) -> Iterator[Gateway]:
    with Gateway(partial(receive, life=life, store=media), port=free_port()) as running:
        yield running


def _counts(uow: UnitOfWork) -> tuple[int, int]:
    with uow.read() as session:
        return (
            len(session.scalars(select(Report.id)).all()),
            len(session.scalars(select(InboundMessage.id)).all()),
        )


def _states(uow: UnitOfWork) -> list[tuple[str, str]]:
    with uow.read() as session:
        return [(r.channel, r.state) for r in session.scalars(select(Report))]


def test_a_mail_to_the_address_is_a_report_once_250_is_said(
    gateway: Gateway, uow: UnitOfWork
) -> None:
    with smtplib.SMTP(gateway.host, gateway.port, timeout=10) as client:
        code, _ = client.ehlo()
        assert code == 250
        assert client.sendmail(SENDER, [ADDRESS], message(photos=1)) == {}
        # The 250 for DATA came back: by then the report is committed.
        assert _states(uow) == [("email", "received")]
    assert _counts(uow) == (1, 1)


def test_the_address_is_matched_without_case(gateway: Gateway, uow: UnitOfWork) -> None:
    with smtplib.SMTP(gateway.host, gateway.port, timeout=10) as client:
        client.sendmail(SENDER, [ADDRESS.upper()], message())
    assert _counts(uow) == (1, 1)


def test_another_recipient_is_refused(gateway: Gateway, uow: UnitOfWork) -> None:
    with smtplib.SMTP(gateway.host, gateway.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.sendmail(SENDER, ["giamdoc@vinhlong.gov.vn"], message())
        assert refused.value.recipients["giamdoc@vinhlong.gov.vn"][0] == 550
        # With one good recipient among others, only the others are refused.
        answer = client.sendmail(SENDER, ["someone@example.com", ADDRESS], message())
        assert answer["someone@example.com"][0] == 550
    assert _counts(uow) == (1, 1)


def test_the_same_message_retried_makes_one_report(gateway: Gateway, uow: UnitOfWork) -> None:
    with smtplib.SMTP(gateway.host, gateway.port, timeout=10) as client:
        client.sendmail(SENDER, [ADDRESS], message())
        client.sendmail(SENDER, [ADDRESS], message())
    assert _counts(uow) == (1, 1)


def test_an_unreadable_message_is_stored_then_acknowledged(
    gateway: Gateway, uow: UnitOfWork
) -> None:
    with smtplib.SMTP(gateway.host, gateway.port, timeout=10) as client:
        assert client.sendmail(SENDER, [ADDRESS], b"\x01\x02 not a mail \xff\r\n") == {}
    assert _counts(uow) == (0, 1)


def test_a_storing_failure_is_a_temporary_error_never_250(
    life: Lifecycle, media: MediaStore, tmp_path: Path
) -> None:
    """A database where nothing can be written (no tables): the sender is told 451 and retries."""
    broken = Lifecycle(
        UnitOfWork(make_engine(f"sqlite:///{tmp_path / 'empty.db'}")), life.snapshot, now=life.now
    )
    with (
        Gateway(partial(receive, life=broken, store=media), port=free_port()) as running,
        smtplib.SMTP(running.host, running.port, timeout=10) as client,
    ):
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail(SENDER, [ADDRESS], message())
        assert 400 <= refused.value.smtp_code < 500


def test_a_message_over_the_size_limit_is_refused(
    life: Lifecycle, media: MediaStore, uow: UnitOfWork
) -> None:
    raw = message(photos=6)
    assert len(raw) > 4096
    with (
        Gateway(partial(receive, life=life, store=media), port=free_port(), max_bytes=4096) as gw,
        smtplib.SMTP(gw.host, gw.port, timeout=10) as client,
    ):
        with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
            client.sendmail(SENDER, [ADDRESS], raw)
        assert refused.value.smtp_code == 552
    assert _counts(uow) == (0, 0)


def test_a_port_in_use_is_an_error_at_start(life: Lifecycle, media: MediaStore) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        gateway = Gateway(partial(receive, life=life, store=media), port=taken.getsockname()[1])
        with pytest.raises(OSError):
            gateway.start()
