"""Reading an e-mail as sent: who sent it, what it says, what it carries.

Built on the standard library's :mod:`email` with ``policy.default`` (RFC 2047 encoded subjects
and file names, quoted-printable and base64 bodies, any charset Python knows — Vietnamese mail
still comes as ``windows-1258`` now and then, which Python reads as ``cp1258``). An HTML-only body
is turned into text by :class:`_TextOfHtml` (the standard ``html.parser``: tags dropped, scripts
and styles skipped, entities decoded) — nothing is fetched, nothing is rendered.

``peek`` reads the few headers that describe a message and never fails, so that a message is
stored before anything else is tried; ``parse`` reads the whole message and raises
:class:`Unparseable` (with a Vietnamese reason) when there is no report to be made of it.
"""

from __future__ import annotations

import email
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

__all__ = ["Envelope", "MailAttachment", "ParsedMail", "Unparseable", "clean_text", "parse", "peek"]

#: Parts that carry no content of the report: signatures and keys of a signed message.
IGNORED_TYPES = frozenset(
    {
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pgp-signature",
        "application/pgp-keys",
        "application/ms-tnef",
    }
)
#: Charsets to try, in order, when a text part names none or one Python does not know.
FALLBACK_CHARSETS = ("utf-8", "cp1258", "cp1252")
#: A body where more than this share of the characters are unreadable is not text.
UNREADABLE_SHARE = 0.1


class Unparseable(ValueError):
    """A message that cannot become a report; ``message_vi`` says why, for staff and sender."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass(frozen=True)
class Envelope:
    """What identifies a message, read from its headers alone (see :func:`peek`).

    ``key`` is the Message-ID, or — for a message without one — ``sha256:`` and the hash of its
    bytes: the same message delivered twice has the same key either way.
    """

    key: str
    message_id: str | None
    sender: str | None
    subject: str | None


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMail:
    """A message read whole: ``sender`` is where a reply goes (Reply-To, else From).

    ``automatic`` names why a robot sent it (an out-of-office reply, a bounce), or is None.
    """

    sender: str
    display_name: str | None
    subject: str
    body: str
    attachments: tuple[MailAttachment, ...]
    message_id: str | None
    automatic: str | None = None
    #: The From address alone (``sender`` prefers Reply-To): whom a reply is from.
    from_address: str | None = None
    #: The Message-IDs this message answers: In-Reply-To first, then References newest first.
    answers: tuple[str, ...] = ()


# -- headers ---------------------------------------------------------------------------------------


def peek(raw: bytes) -> Envelope:
    """The message's key, sender and subject, as far as they can be read; never raises."""
    message_id = sender = subject = None
    try:
        headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    except Exception:  # noqa: BLE001 - a message we can't read is still stored
        headers = None
    if headers is not None:
        message_id = _safely(lambda: _message_id(headers))
        sender = _safely(lambda: _addresses(headers)[0])
        subject = _safely(lambda: _header_text(headers, "Subject"))
    key = message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    return Envelope(key=key[:500], message_id=message_id, sender=sender, subject=subject)


def _safely(read):  # noqa: ANN001, ANN202
    try:
        return read()
    except Exception:  # noqa: BLE001
        return None


def _message_id(message: Message) -> str | None:
    value = clean_text(str(message.get("Message-ID") or "")).strip()
    return value[:500] or None


def _header_text(message: Message, name: str) -> str | None:
    value = message.get(name)
    if value is None:
        return None
    return clean_text(" ".join(str(value).split())) or None


def _addresses(message: Message) -> tuple[str | None, str | None]:
    """(address to reply to, the sender's display name) from Reply-To and From."""
    found: dict[str, tuple[str, str]] = {}
    for name in ("Reply-To", "From"):
        for display, address in _parsed_addresses(message, name):
            if address and "@" in address:
                found.setdefault(name, (display, address))
                break
    reply = found.get("Reply-To") or found.get("From")
    display = (found.get("From") or found.get("Reply-To") or ("", ""))[0]
    return (reply[1] if reply else None), (display or None)


def _parsed_addresses(message: Message, name: str) -> list[tuple[str, str]]:
    header = message.get(name)
    if header is None:
        return []
    addresses = getattr(header, "addresses", None)
    if addresses is not None:
        out = []
        for item in addresses:
            if isinstance(item, Address):
                out.append((clean_text(item.display_name), clean_text(item.addr_spec)))
        if out:
            return out
    # A header the structured parser could not read: the classic parser is more forgiving.
    return [
        (clean_text(display), clean_text(address))
        for display, address in getaddresses([str(header)]) or [parseaddr(str(header))]
    ]


# -- the whole message -----------------------------------------------------------------------------


def parse(raw: bytes) -> ParsedMail:
    """Read a message; raises :class:`Unparseable` when it is not a message one can answer."""
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
    except Exception as exc:  # noqa: BLE001
        raise Unparseable(
            "Thư không đọc được (không đúng định dạng thư điện tử).",
            f"The message cannot be read as e-mail ({type(exc).__name__}).",
        ) from exc
    if not isinstance(message, EmailMessage) or not list(message.keys()):
        raise Unparseable(
            "Thư không đọc được: không có phần đầu thư (người gửi, tiêu đề).",
            "The message has no header section.",
        )
    try:
        sender, display = _addresses(message)
    except Exception:  # noqa: BLE001
        sender, display = None, None
    if not sender:
        raise Unparseable(
            "Thư không có địa chỉ người gửi (From) đọc được.",
            "The message has no readable sender address.",
        )
    subject = _safely(lambda: _header_text(message, "Subject")) or ""
    body_part = _body_part(message)
    body = _text_of(body_part) if body_part is not None else ""
    if _unreadable(subject + body):
        raise Unparseable(
            "Nội dung thư không đọc được (không phải văn bản hoặc sai bảng mã).",
            "The message's text is unreadable (not text, or a wrong charset).",
        )
    return ParsedMail(
        sender=sender,
        display_name=display,
        subject=subject,
        body=body,
        attachments=tuple(_attachments(message, body_part)),
        message_id=_safely(lambda: _message_id(message)),
        automatic=_safely(lambda: automatic(message, sender)),
        from_address=_safely(lambda: _from_address(message)),
        answers=_safely(lambda: _answers(message)) or (),
    )


_MSG_ID = re.compile(r"<[^<>\s]{1,500}>")


def _from_address(message: Message) -> str | None:
    found = [a for _, a in _parsed_addresses(message, "From") if a and "@" in a]
    return found[0] if found else None


def _answers(message: Message) -> tuple[str, ...]:
    """Message-IDs of In-Reply-To, then of References from the newest (the last) back."""
    replied = _MSG_ID.findall(str(message.get("In-Reply-To") or ""))
    references = _MSG_ID.findall(str(message.get("References") or ""))[::-1]
    seen: list[str] = []
    for value in (*replied, *references):
        if value not in seen:
            seen.append(value)
    return tuple(seen[:20])


_ROBOTS = ("mailer-daemon@", "postmaster@")


def automatic(message: Message, sender: str) -> str | None:
    """Why a message was sent by a robot (RFC 3834, RFC 3464), or None for a person's message.

    Answering a robot — an out-of-office reply to our own mail, a bounce — starts a mail loop.
    """
    submitted = str(message.get("Auto-Submitted") or "").strip().lower()
    if submitted and not submitted.startswith("no"):
        return f"Auto-Submitted: {submitted}"
    precedence = str(message.get("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond"):
        if message.get(header) is not None:
            return header
    if message.get_content_type() == "multipart/report":
        return "multipart/report (thư báo lỗi gửi)"
    if sender.lower().startswith(_ROBOTS):
        return f"From: {sender}"
    return None


def _body_part(message: EmailMessage) -> EmailMessage | None:
    """The text the sender wrote: text/plain when there is one, else text/html."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except Exception:  # noqa: BLE001
        part = None
    if part is not None:
        return part
    if not message.is_multipart() and message.get_content_maintype() == "text":
        return message
    return None


def _text_of(part: EmailMessage) -> str:
    text = _decoded(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return _tidy(text)


def _decoded(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        payload = part.get_payload()
        return clean_text(payload if isinstance(payload, str) else "")
    declared = part.get_content_charset()
    for charset in ((declared,) if declared else ()) + FALLBACK_CHARSETS:
        try:
            return clean_text(data.decode(_codec(charset)))
        except (LookupError, UnicodeDecodeError):
            continue
    return clean_text(data.decode("utf-8", errors="replace"))


def _codec(charset: str) -> str:
    charset = charset.strip().lower()
    return {"windows-1258": "cp1258", "x-windows-1258": "cp1258"}.get(charset, charset)


def _attachments(message: EmailMessage, body: Message | None) -> list[MailAttachment]:
    """Every leaf part but the body and the other texts of the body (alternative, signature)."""
    out = []
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        content_type = part.get_content_type()
        filename = _filename(part)
        disposition = part.get_content_disposition()
        if content_type in IGNORED_TYPES:
            continue
        if part.get_content_maintype() == "text" and disposition != "attachment" and not filename:
            continue  # the other half of multipart/alternative, or a text footer
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            continue
        out.append(
            MailAttachment(
                filename=filename or f"tep-{len(out) + 1}", content_type=content_type, data=data
            )
        )
    return out


def _filename(part: Message) -> str:
    name = _safely(part.get_filename) or ""
    name = clean_text(str(name)).replace("/", "_").replace("\\", "_").strip()
    return name[:255]


# -- text ------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """NFC (cp1258 writes tone marks as combining characters), no NUL or other control chars."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", text or ""))


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _unreadable(text: str) -> bool:
    if not text:
        return False
    bad = sum(1 for ch in text if ch == "\ufffd" or unicodedata.category(ch) in ("Co", "Cn"))
    return bad / len(text) > UNREADABLE_SHARE


class _TextOfHtml(HTMLParser):
    """The text of an HTML body: blocks become lines, scripts and styles are skipped."""

    BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}
    ) | {"blockquote", "pre", "section", "article", "header", "footer", "hr"}
    SKIPPED = frozenset({"script", "style", "head", "title", "noscript", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag == "td":
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)
