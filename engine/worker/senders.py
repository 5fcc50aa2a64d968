"""Talking to the outside: e-mail over SMTP, and signed webhooks to agencies' systems (R24).

**E-mail.** One SMTP connection per message (``none``: plain, ``starttls``: upgraded, ``ssl``: TLS
from the start, certificates checked against the system's CAs), logging in when ``notify.yaml``
names the environment variables holding the user and password. Headers that let a receiver see a
repeat once: ``Message-ID: <KEY@phananh>`` (the delivery's dedup key with every character a
Message-ID can't hold written ``=XX``, so two keys never share an id) and ``X-Phananh-Dedup-Key``
(the key as it is). ``Date`` is when the message was queued, so a resend is the same message;
``Auto-Submitted: auto-generated`` (RFC 3834) keeps out-of-office robots from answering. A message
is sent only if every recipient is accepted; otherwise the attempt failed.

**Webhooks.** ``POST`` of the stored JSON body with ``Content-Type: application/json``,
``Idempotency-Key: KEY``, ``X-Phananh-Event: KIND``, ``X-Phananh-Timestamp: UNIX-SECONDS`` (of this
attempt) and ``X-Phananh-Signature: sha256=HEX`` — the HMAC-SHA256 of the body bytes with the
agency's secret (read from the environment variable its ``webhook_secret_env`` names; never from
the YAML). The body carries ``occurred_at``, inside the signature. Only a 2xx answer counts as
delivered; redirects are not followed (a signed POST is not replayed elsewhere).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses

from engine.config.snapshot import SmtpConfig

#: The right-hand side of every Message-ID the worker writes.
MESSAGE_ID_DOMAIN = "phananh"
USER_AGENT = "phananh-worker/1"
_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+\-/?^_`{|}~.]|=")
#: Dots a dot-atom can't hold: leading, trailing, or several together.
_DOTS = re.compile(r"^\.+|\.+$|\.{2,}")


class DeliveryError(Exception):
    """A send that did not go through; the message says why (kept as the row's ``last_error``)."""


def message_id(key: str) -> str:
    """``reporter.received:PA-2026-000001:1/mail`` → ``<reporter.received=3APA-…@phananh>``."""
    local = _NOT_ATEXT.sub(lambda m: "".join(f"={b:02X}" for b in m.group().encode("utf-8")), key)
    local = _DOTS.sub(lambda m: "=2E" * len(m.group()), local)
    return f"<{local or 'x'}@{MESSAGE_ID_DOMAIN}>"


def build_mail(
    *,
    key: str,
    sender: str,
    to: list[str],
    cc: list[str],
    subject: str,
    body: str,
    queued_at: datetime,
    in_reply_to: str | None = None,
) -> EmailMessage:
    """The message as it goes out (plain text, UTF-8)."""
    mail = EmailMessage(policy=SMTP)
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    if cc:
        mail["Cc"] = ", ".join(cc)
    mail["Subject"] = subject
    mail["Date"] = format_datetime(queued_at)
    mail["Message-ID"] = message_id(key)
    mail["X-Phananh-Dedup-Key"] = key
    mail["Auto-Submitted"] = "auto-generated"
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    mail.set_content(body, charset="utf-8")
    return mail


class SmtpMailer:
    """Sends through the configured SMTP server; credentials from ``environ`` at each send."""

    def __init__(self, config: SmtpConfig, environ: Mapping[str, str]) -> None:
        self.config = config
        self.environ = environ

    @property
    def sender_address(self) -> str:
        return getaddresses([self.config.sender])[0][1]

    def send(self, mail: EmailMessage, recipients: list[str]) -> None:
        cfg = self.config
        credentials = self._credentials()
        try:
            if cfg.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=cfg.timeout_seconds, context=_tls()
                )
            else:
                client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
            with client:
                if cfg.security == "starttls":
                    client.starttls(context=_tls())
                if credentials:
                    client.login(*credentials)
                refused = client.send_message(mail, self.sender_address, recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(
                f"máy chủ thư từ chối người nhận: {_refusals(exc.recipients)}"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if exc.smtp_error else ""
            raise DeliveryError(f"máy chủ thư trả lời {exc.smtp_code} {text}".strip()) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(
                f"không gửi được qua {cfg.host}:{cfg.port}: {type(exc).__name__}: {exc}"
            ) from exc
        if refused:
            raise DeliveryError(f"máy chủ thư từ chối một số người nhận: {_refusals(refused)}")

    def _credentials(self) -> tuple[str, str] | None:
        cfg = self.config
        if not cfg.username_env:
            return None
        user, password = (
            self.environ.get(cfg.username_env),
            self.environ.get(cfg.password_env or ""),
        )
        if not user or password is None:
            raise DeliveryError(
                f"chưa đặt biến môi trường {cfg.username_env} / {cfg.password_env} "
                "(tài khoản máy chủ thư)"
            )
        return user, password


def _refusals(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"{who} ({code} {text.decode('utf-8', 'replace')})" for who, (code, text) in refused.items()
    )


def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: what a receiver recomputes with its copy of the secret to trust a body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class WebhookPoster:
    """POSTs signed JSON bodies; anything but a 2xx answer is a failed attempt."""

    def __init__(self, timeout_seconds: float, environ: Mapping[str, str]) -> None:
        self.timeout = timeout_seconds
        self.environ = environ
        self._opener = urllib.request.build_opener(_NoRedirect)

    def post(
        self, *, url: str, secret_env: str, body: bytes, key: str, event: str, at: datetime
    ) -> int:
        secret = self.environ.get(secret_env)
        if not secret:
            raise DeliveryError(f"chưa đặt biến môi trường {secret_env} (khóa ký webhook)")
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": USER_AGENT,
                "Idempotency-Key": key,
                "X-Phananh-Event": event,
                "X-Phananh-Timestamp": str(int(at.timestamp())),
                "X-Phananh-Signature": signature(secret, body),
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                answer.read(65536)
                status = answer.status
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"{url} trả lời HTTP {exc.code} {exc.reason}") from exc
        except (OSError, ValueError) as exc:
            raise DeliveryError(f"không gọi được {url}: {type(exc).__name__}: {exc}") from exc
        if not 200 <= status < 300:
            raise DeliveryError(f"{url} trả lời HTTP {status}")
        return status
