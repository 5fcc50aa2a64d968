"""Talking to the outside: e-mail over SMTP, and signed webhooks to agencies' systems (R24).

**E-mail.** One SMTP connection per message (``none``: plain, ``starttls``: upgraded, ``ssl``: TLS
from the start, certificates checked against the system's CAs), logging in when ``notify.yaml``
names the environment variables holding the user and password — only ``PHANANH_SMTP_*`` names,
and only over TLS: a plain-text login is refused before connecting, unless
``allow_plain_login_localhost`` is set and the server is this machine (:mod:`engine.egress`). Headers that let a receiver see a
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
delivered; redirects are not followed (a signed POST is not replayed elsewhere). The secret's
variable must be a ``PHANANH_WEBHOOK_*`` name, and the connection goes only to public addresses,
checked after DNS resolution at each attempt (or those ``PHANANH_WEBHOOK_ALLOW`` names); no HTTP
proxy is used, so the address checked is the one connected to.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import http.client
import re
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses
from typing import Any

from engine import egress
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


_ESCAPED = re.compile(r"(?:=[0-9A-F]{2})+")


def key_of_message_id(value: str) -> str | None:
    """The delivery key a Message-ID of ours was made from (:func:`message_id` undone), or None.

    The outbox keeps every mail delivery under that key (a unique column), so an answer's
    In-Reply-To or References finds the mail it answers, and through it the report, by index.
    """
    value = value.strip()
    suffix = f"@{MESSAGE_ID_DOMAIN}>"
    if not (value.startswith("<") and value.endswith(suffix)):
        return None
    local = value[1 : -len(suffix)]
    if not local or "@" in local:
        return None
    try:
        return _ESCAPED.sub(
            lambda m: bytes.fromhex(m.group().replace("=", "")).decode("utf-8"), local
        )
    except UnicodeDecodeError:
        return None


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
        if credentials and cfg.security == "none" and not self._plain_login_allowed():
            raise DeliveryError(
                f"không đăng nhập máy chủ thư {cfg.host} khi chưa mã hóa: đặt security: starttls "
                "hoặc ssl trong notify.yaml (đăng nhập không mã hóa chỉ được với máy chủ thư "
                "localhost và allow_plain_login_localhost: true)"
            )
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

    def _plain_login_allowed(self) -> bool:
        return self.config.allow_plain_login_localhost and egress.loopback(self.config.host)

    def _credentials(self) -> tuple[str, str] | None:
        """The account, read now; a variable outside ``PHANANH_SMTP_*`` is never read (the
        configuration is checked when it loads, and again here, where the environment is read)."""
        cfg = self.config
        if not cfg.username_env:
            return None
        for name in (cfg.username_env, cfg.password_env or ""):
            problem = egress.env_name_problem(name, egress.SMTP_ENV_PREFIX)
            if problem:
                raise DeliveryError(problem)
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


class _GuardedHTTP(http.client.HTTPConnection):
    """An HTTP connection opened through :func:`engine.egress.connect`."""

    def __init__(self, *args: Any, guard: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = guard


class _GuardedHTTPS(http.client.HTTPSConnection):
    """The same for HTTPS: the socket is checked, then wrapped in TLS for the URL's host name."""

    def __init__(self, *args: Any, guard: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = guard


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, guard: Any) -> None:
        super().__init__()
        self.guard = guard

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(functools.partial(_GuardedHTTP, guard=self.guard), req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, guard: Any) -> None:
        super().__init__(context=_tls())
        self.guard = guard

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(
            functools.partial(_GuardedHTTPS, guard=self.guard), req, context=self._context
        )


class WebhookPoster:
    """POSTs signed JSON bodies; anything but a 2xx answer is a failed attempt.

    ``resolve`` is :func:`socket.getaddrinfo` (a test gives its own to stand for DNS).
    """

    def __init__(
        self,
        timeout_seconds: float,
        environ: Mapping[str, str],
        resolve: egress.Resolver = socket.getaddrinfo,
    ) -> None:
        self.timeout = timeout_seconds
        self.environ = environ
        self.resolve = resolve

    def _opener(self) -> urllib.request.OpenerDirector:
        """No proxy (the address checked is the one connected to), no redirect, and the
        deployment's allow-list as it is now."""
        try:
            allow = egress.allowed_networks(self.environ)
        except ValueError as exc:
            raise DeliveryError(str(exc)) from None
        guard = functools.partial(egress.connect, allow=allow, resolve=self.resolve)
        return urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            _GuardedHTTPHandler(guard),
            _GuardedHTTPSHandler(guard),
            _NoRedirect,
        )

    def post(
        self, *, url: str, secret_env: str, body: bytes, key: str, event: str, at: datetime
    ) -> int:
        problem = egress.env_name_problem(secret_env, egress.WEBHOOK_ENV_PREFIX)
        if problem:
            raise DeliveryError(problem)
        opener = self._opener()
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
            with opener.open(request, timeout=self.timeout) as answer:
                answer.read(65536)
                status = answer.status
        except egress.RefusedAddress as exc:
            raise DeliveryError(str(exc)) from exc
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"{url} trả lời HTTP {exc.code} {exc.reason}") from exc
        except (OSError, ValueError) as exc:
            raise DeliveryError(f"không gọi được {url}: {type(exc).__name__}: {exc}") from exc
        if not 200 <= status < 300:
            raise DeliveryError(f"{url} trả lời HTTP {status}")
        return status
