"""Reading the e-mail channel's mailbox over IMAP, for a province whose mail server is elsewhere.

:func:`fetch` takes the unseen messages of one folder, one at a time: it reads each with
``BODY.PEEK[]`` (which, unlike ``RFC822``/``BODY[]``, does not set ``\\Seen`` on the server), gives
it to :func:`engine.mail.intake.receive`, and sets ``\\Seen`` only once the message is stored. A
message that could not be stored stays unseen and is tried again by the next run; one bad
message does not stop the others. UIDs are used throughout, so another client expunging messages
meanwhile does not shift what is marked.

Note: the fetch goes by ``\\Seen``; someone who reads the mailbox in webmail before it runs hides
those messages from it. Give the channel a mailbox (or folder) of its own.
"""

from __future__ import annotations

import base64
import imaplib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.mail.intake import InboundResult, NotStored

__all__ = ["FetchResult", "fetch"]

log = logging.getLogger(__name__)


class MailboxError(RuntimeError):
    """The folder could not be opened or searched: nothing was read."""


@dataclass
class FetchResult:
    """What one run did: counts by outcome, and the UIDs that stay unseen for the next run."""

    seen: int = 0
    reports: list[str] = field(default_factory=list)
    #: Codes of the reports that an answer by mail landed on.
    replies: list[str] = field(default_factory=list)
    duplicates: int = 0
    failed: int = 0
    not_stored: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.seen} thư mới: {len(self.reports)} phản ánh, "
            + (f"{len(self.replies)} thư trả lời phản ánh đã có, " if self.replies else "")
            + f"{self.duplicates} thư trùng, "
            f"{self.failed} thư không tạo được phản ánh (lưu lại cho IOC), "
            f"{len(self.not_stored)} thư chưa lưu được (sẽ thử lại)"
        )


def fetch(
    client: Any, receive: Callable[[bytes], InboundResult], *, folder: str = "INBOX"
) -> FetchResult:
    """Store every unseen message of ``folder``; ``client`` is a logged-in ``imaplib.IMAP4``."""
    typ, data = client.select(_quoted(imap_utf7(folder)))
    if typ != "OK":
        raise MailboxError(f"cannot open folder {folder!r}: {_text(data)}")
    typ, data = client.uid("SEARCH", None, "UNSEEN")
    if typ != "OK":
        raise MailboxError(f"cannot search folder {folder!r}: {_text(data)}")
    uids = [uid.decode() for uid in b" ".join(d for d in data if d).split()]
    result = FetchResult(seen=len(uids))
    for uid in uids:
        try:
            raw = _read(client, uid)
            outcome = receive(raw)
        except imaplib.IMAP4.abort:
            raise  # the connection is gone: nothing more can be read or marked
        except NotStored:
            result.not_stored.append(uid)
            continue
        except Exception:  # noqa: BLE001 - one bad message doesn't stop the rest
            log.exception("IMAP %s UID %s: not stored", folder, uid)
            result.not_stored.append(uid)
            continue
        typ, data = client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        if typ != "OK":  # stored already: the next run finds it a duplicate
            log.warning("IMAP %s UID %s: stored but not marked seen: %s", folder, uid, data)
        if outcome.status == "report" and outcome.code:
            result.reports.append(outcome.code)
        elif outcome.status == "reply" and outcome.code:
            result.replies.append(outcome.code)
        elif outcome.status == "duplicate":
            result.duplicates += 1
        else:
            result.failed += 1
    return result


def _read(client: Any, uid: str) -> bytes:
    typ, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
    if typ != "OK":
        raise imaplib.IMAP4.error(f"FETCH {uid}: {_text(data)}")
    for item in data or ():
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            return item[1]
    raise imaplib.IMAP4.error(f"FETCH {uid}: no message in the answer")


def imap_utf7(name: str) -> str:
    """A folder name as IMAP writes it (RFC 3501 §5.1.3): "Phản ánh" → "Ph&Hqc-n &AOE-nh"."""
    out, pending = [], []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def _quoted(folder: str) -> str:
    if folder.startswith('"') or not any(c in folder for c in ' "\\'):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data: Any) -> str:
    parts = data if isinstance(data, list | tuple) else [data]
    return " ".join(p.decode(errors="replace") if isinstance(p, bytes) else str(p) for p in parts)
