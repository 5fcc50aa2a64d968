"""The SMTP receiver of the e-mail channel (aiosmtpd), for a province that receives its own mail.

The sending server is told ``250`` only once :func:`engine.mail.intake.receive` has returned,
that is once the message is committed to ``inbound_messages`` (whether it then became a report
or was kept as failed for staff to read). If storing fails the answer is ``451`` — a temporary
failure, so the sending server keeps the message and tries again later; an unstored message is
never answered ``250``. Only the configured recipient addresses are accepted (``550`` for any
other: this is not a relay), and a message larger than ``max_bytes`` is refused by aiosmtpd
with ``552`` before it is read whole.

The database work and the photo cleaning run in a thread pool, off the server's event loop.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller

from engine.mail.intake import InboundResult, NotStored

__all__ = ["DEFAULT_ADDRESS", "DEFAULT_MAX_BYTES", "Gateway", "IntakeHandler"]

log = logging.getLogger(__name__)

#: The address the regulation gives citizens for field reports by e-mail.
DEFAULT_ADDRESS = "dttm@vinhlong.gov.vn"
#: Six photos of 10 MB, base64-encoded (×4/3), with room for the text: the portal's limits.
DEFAULT_MAX_BYTES = 100 * 1024 * 1024

# SMTP replies are ASCII (RFC 5321); the Vietnamese is for people reading the logs of the sender.
OK = "250 2.0.0 OK: message stored"
NOT_STORED = "451 4.3.0 Temporary failure: message not stored, try again later"
NO_SUCH_USER = "550 5.1.1 No such mailbox here: {address}"


class IntakeHandler:
    """aiosmtpd's handler: recipients by address, and the message stored before ``250``."""

    def __init__(
        self,
        receive: Callable[[bytes], InboundResult],
        addresses: Iterable[str] = (DEFAULT_ADDRESS,),
        executor: ThreadPoolExecutor | None = None,
    ) -> None:
        self.receive = receive
        self.addresses = frozenset(a.strip().lower() for a in addresses)
        self.executor = executor

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.strip().lower() not in self.addresses:
            return NO_SUCH_USER.format(address=address.encode("ascii", "replace").decode())
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self.executor, self.receive, raw)
        except NotStored:
            return NOT_STORED
        except Exception:  # noqa: BLE001 - whatever it was, the message may not be stored
            log.exception("SMTP DATA from %s: not acknowledged", envelope.mail_from)
            return NOT_STORED
        log.info(
            "SMTP DATA from %s: inbound %s %s %s",
            envelope.mail_from,
            result.inbound_id,
            result.status,
            result.code or result.error or "",
        )
        return OK


class Gateway:
    """The receiver listening on ``host:port`` in a thread of its own; ``start()``/``stop()``."""

    def __init__(
        self,
        receive: Callable[[bytes], InboundResult],
        *,
        host: str = "127.0.0.1",
        port: int = 2525,
        addresses: Iterable[str] = (DEFAULT_ADDRESS,),
        max_bytes: int = DEFAULT_MAX_BYTES,
        workers: int = 4,
        ready_timeout: float = 5.0,
    ) -> None:
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mail-intake")
        self.handler = IntakeHandler(receive, addresses, self.executor)
        self.controller = Controller(
            self.handler,
            hostname=host,
            port=port,
            data_size_limit=max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            ident="phananh mail-gateway",
            ready_timeout=ready_timeout,
        )

    @property
    def host(self) -> str:
        return self.controller.hostname

    @property
    def port(self) -> int:
        return self.controller.port

    def start(self) -> None:
        """Listen; raises ``OSError`` (address in use, no permission, unknown host) when it can't.

        The address is tried first: aiosmtpd would report it only after ``ready_timeout``.
        """
        try:
            _try_bind(self.host, self.port)
            self.controller.start()
        except Exception:
            self.executor.shutdown(wait=False)
            raise

    def stop(self) -> None:
        self.controller.stop()
        self.executor.shutdown(wait=True)

    def __enter__(self) -> Gateway:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _try_bind(host: str, port: int) -> None:
    """Bind (as asyncio will, with SO_REUSEADDR) and let go at once: raises what binding would."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)
