"""Reading citizens' e-mails: charsets, encodings, HTML-only bodies, attachments, garbage."""

from __future__ import annotations

import hashlib
import io
from email.header import Header

import pytest
from PIL import Image

from engine.mail.parse import Unparseable, html_to_text, parse, peek
from tests.mail.messages import BODY, SENDER, SUBJECT, message, to_cp1258


def test_plain_utf8() -> None:
    mail = parse(message())
    assert mail.sender == SENDER
    assert mail.display_name == "Nguyễn Văn An"
    assert mail.subject == SUBJECT
    assert mail.body == BODY.strip()
    assert mail.attachments == ()
    assert mail.message_id == "<mail-1@example.vn>"


def test_quoted_printable_vietnamese() -> None:
    raw = message(cte="quoted-printable")
    assert b"Content-Transfer-Encoding: quoted-printable" in raw
    assert b"K=C3=ADnh g=E1=BB=ADi" in raw  # "Kính gửi"; "ổ" is even cut by a soft break
    assert parse(raw).body == BODY.strip()


def test_rfc2047_subject_and_sender_folded_over_lines() -> None:
    subject = "Phản ánh: rác thải ùn ứ ở chợ Phước Hậu, bốc mùi hôi thối nhiều ngày liền"
    encoded = Header(subject, "utf-8", maxlinelen=60).encode()
    assert "\n" in encoded and "=?utf-8?b?" in encoded
    raw = (
        f"From: {Header('Trần Thị Bé', 'utf-8').encode()} <be@example.vn>\r\n"
        f"Subject: {encoded}\r\nMessage-ID: <x@y>\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "\r\nXin xem.\r\n"
    ).encode()
    mail = parse(raw)
    assert mail.subject == subject
    assert (mail.sender, mail.display_name) == ("be@example.vn", "Trần Thị Bé")
    assert peek(raw).subject == subject


def test_windows_1258_body_is_read_and_recomposed() -> None:
    text = "Cống thoát nước bị nghẹt ở ấp Phước Ngươn, nước tràn vào nhà dân."
    raw = (
        b"From: be@example.vn\r\nSubject: =?windows-1258?q?"
        + _q(to_cp1258("Cống nghẹt"))
        + b"?=\r\n"
        b"Content-Type: text/plain; charset=windows-1258\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + to_cp1258(text) + b"\r\n"
    )
    assert to_cp1258(text) != text.encode("utf-8")
    mail = parse(raw)
    assert mail.body == text  # NFC: "ố" is one character again, as typed on the portal
    assert mail.subject == "Cống nghẹt"


def _q(data: bytes) -> bytes:
    """RFC 2047 "Q" encoding of bytes in any charset."""
    return b"".join(
        b"_" if b == 32 else bytes([b]) if chr(b).isalnum() and b < 128 else b"=%02X" % b
        for b in data
    )


def test_unknown_charset_falls_back() -> None:
    raw = (
        "From: be@example.vn\r\nSubject: x\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\n"
        "Đèn đường hỏng.\r\n"
    ).encode()
    assert parse(raw).body == "Đèn đường hỏng."


def test_html_only_body_becomes_text() -> None:
    html = (
        "<html><head><style>p {color: red}</style><title>t</title></head><body>"
        "<p>Đèn đường <b>hỏng</b> &amp; tối om</p><script>alert('x')</script>"
        "<div>Họ tên: Nguyễn Văn An<br>SĐT: 0909&nbsp;123 456</div></body></html>"
    )
    mail = parse(message(None, html=html))
    assert mail.body == "Đèn đường hỏng & tối om\nHọ tên: Nguyễn Văn An\nSĐT: 0909 123 456"
    assert "alert" not in mail.body and "color" not in mail.body


def test_plain_text_preferred_over_html() -> None:
    mail = parse(message("Văn bản thuần.", html="<p>Bản <i>HTML</i></p>"))
    assert mail.body == "Văn bản thuần."
    assert mail.attachments == ()  # the HTML alternative is not an attachment


def test_html_to_text_drops_tags_safely() -> None:
    assert html_to_text("<p>a<img src=x onerror=alert(1)>b</p><p>c</p>") == "ab\nc"


def test_multipart_with_a_jpeg_attachment() -> None:
    mail = parse(message(photos=1))
    (photo,) = mail.attachments
    assert photo.filename == "ảnh ổ gà 1.jpg"  # RFC 2231 / 2047 file name decoded
    assert photo.content_type == "image/jpeg"
    with Image.open(io.BytesIO(photo.data)) as image:
        assert image.getexif()[0x8825]  # the EXIF GPS is still there before the checks
    assert mail.body == BODY.strip()


def test_signature_parts_are_not_attachments() -> None:
    """A digitally signed mail (common from government addresses): the signature is no media."""
    raw = (
        b"From: Ban KP 3 <kp3@example.vn>\r\nSubject: Den duong hong\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; '
        b'micalg=sha-256; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + "Đèn đường hỏng.".encode()
        + b"\r\n--b1\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n"
        b"Content-Disposition: attachment; filename=smime.p7s\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nMIIBAAAA\r\n--b1--\r\n"
    )
    mail = parse(raw)
    assert mail.body == "Đèn đường hỏng."
    assert mail.attachments == ()


def test_missing_message_id_gives_a_key_from_the_bytes() -> None:
    raw = message(message_id=None)
    envelope = peek(raw)
    assert envelope.message_id is None
    assert envelope.key == "sha256:" + hashlib.sha256(raw).hexdigest()


def test_reply_to_is_where_the_answer_goes() -> None:
    raw = message(sender="Nguyễn Văn An <an@company.vn>").replace(
        b"To:", b"Reply-To: an.home@example.vn\r\nTo:", 1
    )
    mail = parse(raw)
    assert (mail.sender, mail.display_name) == ("an.home@example.vn", "Nguyễn Văn An")


@pytest.mark.parametrize(
    "raw",
    [
        bytes(range(256)) * 8,
        b"\x00\x01\x02\xff\xfe" * 100,
        b"",
        b"this is not a mail at all, no headers\r\n",
        b"Subject: no sender\r\n\r\nhello\r\n",
    ],
    ids=["binary", "nul-bytes", "empty", "no-headers", "no-sender"],
)
def test_garbage_is_unparseable_and_peek_never_fails(raw: bytes) -> None:
    with pytest.raises(Unparseable) as caught:
        parse(raw)
    assert caught.value.message_vi
    assert peek(raw).key.startswith("sha256:")
