"""``fetch`` against a real IMAP conversation (tests/mail/imap_server.py), with the real intake."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from engine.mail.fetch import MailboxError, fetch, imap_utf7
from engine.mail.intake import InboundResult, NotStored, receive
from engine.services.lifecycle import Lifecycle
from engine.store import UnitOfWork
from engine.store.models import InboundMessage
from engine.uploads import MediaStore
from tests.mail.imap_server import ImapServer, Mailbox
from tests.mail.messages import message

USER, PASSWORD = "dttm@vinhlong.gov.vn", 'mat "khau" thu'


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox(USER, PASSWORD)


@pytest.fixture
def client(mailbox: Mailbox) -> Iterator[imaplib.IMAP4]:
    with ImapServer(mailbox) as server:
        connection = imaplib.IMAP4("127.0.0.1", server.port, timeout=10)
        connection.login(USER, PASSWORD)
        yield connection
        connection.logout()


def _statuses(uow: UnitOfWork) -> list[tuple[str, str]]:
    with uow.read() as session:
        rows = session.scalars(select(InboundMessage).order_by(InboundMessage.id))
        return [(r.message_id or "", r.status) for r in rows]


def test_unseen_messages_are_stored_and_only_stored_ones_marked_seen(
    mailbox: Mailbox,
    client: imaplib.IMAP4,
    life: Lifecycle,
    media: MediaStore,
    uow: UnitOfWork,
) -> None:
    good = mailbox.add(message(message_id="<m1@x>", photos=1))
    old = mailbox.add(message(message_id="<m0@x>"), seen=True)
    garbage = mailbox.add(b"\x00\xff\x00 binary junk \x01\x02")
    unlucky = mailbox.add(message(message_id="<m3@x>"))

    def flaky(raw: bytes) -> InboundResult:
        if b"<m3@x>" in raw:
            raise NotStored("the database is down for this one")
        return receive(raw, life, media)

    result = fetch(client, flaky)

    assert result.seen == 3
    assert len(result.reports) == 1 and result.failed == 1
    assert result.not_stored == [str(unlucky)]
    assert mailbox.seen() == {good: True, old: True, garbage: True, unlucky: False}
    assert [s for _, s in _statuses(uow)] == ["report", "failed"]  # the junk is kept for staff

    # The next run takes what was left, and only that.
    again = fetch(client, lambda raw: receive(raw, life, media))
    assert (again.seen, len(again.reports), again.not_stored) == (1, 1, [])
    assert all(mailbox.seen().values())
    assert [m for m, _ in _statuses(uow)][-1] == "<m3@x>"


def test_messages_are_read_without_setting_seen(
    mailbox: Mailbox, client: imaplib.IMAP4, life: Lifecycle, media: MediaStore
) -> None:
    """The fetch must not mark a message by reading it: RFC822 would, so BODY.PEEK[] is used."""
    uid = mailbox.add(message())

    def down(_: bytes) -> InboundResult:
        raise NotStored("down")

    fetch(client, down)
    assert mailbox.seen() == {uid: False}
    assert any("BODY.PEEK[]" in c for c in mailbox.commands)
    assert not any("RFC822" in c or "BODY[]" in c.replace("PEEK", "") for c in mailbox.commands)


def test_a_message_already_stored_is_a_duplicate_and_marked(
    mailbox: Mailbox, client: imaplib.IMAP4, life: Lifecycle, media: MediaStore
) -> None:
    """Stored but the STORE was lost (connection cut): the next run sees it again, harmlessly."""
    receive(message(message_id="<dup@x>"), life, media)
    uid = mailbox.add(message(message_id="<dup@x>"))
    result = fetch(client, lambda raw: receive(raw, life, media))
    assert (result.duplicates, result.reports, mailbox.seen()) == (1, [], {uid: True})


def test_one_crashing_message_does_not_stop_the_rest(
    mailbox: Mailbox, client: imaplib.IMAP4
) -> None:
    first, second = mailbox.add(message(message_id="<a@x>")), mailbox.add(message())

    def crash_on_first(raw: bytes) -> InboundResult:
        if b"<a@x>" in raw:
            raise RuntimeError("unexpected")
        return InboundResult(1, "report", "PA-2026-000001", "received")

    result = fetch(client, crash_on_first)
    assert result.not_stored == [str(first)]
    assert mailbox.seen() == {first: False, second: True}


def test_an_unknown_folder_is_an_error(client: imaplib.IMAP4) -> None:
    with pytest.raises(MailboxError):
        fetch(client, lambda raw: InboundResult(0, "failed"), folder="Phản ánh")


def test_a_vietnamese_folder_name_is_sent_in_imap_utf7(mailbox: Mailbox) -> None:
    mailbox.folder = imap_utf7("Phản ánh & góp ý")
    assert mailbox.folder == "Ph&HqM-n &AOE-nh &- g&APM-p &AP0-"
    with ImapServer(mailbox) as server:
        connection = imaplib.IMAP4("127.0.0.1", server.port, timeout=10)
        connection.login(USER, PASSWORD)
        result = fetch(
            connection, lambda raw: InboundResult(0, "failed"), folder="Phản ánh & góp ý"
        )
        connection.logout()
    assert result.seen == 0
