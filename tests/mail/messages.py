"""Citizens' e-mails as they arrive, built in memory."""

from __future__ import annotations

import unicodedata
from email.message import EmailMessage
from email.policy import SMTP

from tests.engine.media_samples import jpeg_with_gps

ADDRESS = "dttm@vinhlong.gov.vn"
SENDER = "an.nguyen@example.vn"
SUBJECT = "Phản ánh ổ gà trên đường Phạm Thái Bường"
BODY = (
    "Kính gửi Trung tâm IOC,\n"
    "Đường Phạm Thái Bường có ổ gà lớn trước số 45, xe máy dễ té ngã.\n"
    "Họ tên: Nguyễn Văn An\n"
    "Điện thoại: 0909 123 456\n"
    "Địa chỉ: 45 Phạm Thái Bường, Phường Phước Hậu\n"
)


def message(
    body: str | None = BODY,
    *,
    subject: str | None = SUBJECT,
    sender: str = f"Nguyễn Văn An <{SENDER}>",
    to: str = ADDRESS,
    message_id: str | None = "<mail-1@example.vn>",
    html: str | None = None,
    photos: int = 0,
    cte: str | None = None,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    if subject is not None:
        mail["Subject"] = subject
    if message_id:
        mail["Message-ID"] = message_id
    if body is not None:
        mail.set_content(body, cte=cte) if cte else mail.set_content(body)
        if html is not None:
            mail.add_alternative(html, subtype="html")
    elif html is not None:
        mail.set_content(html, subtype="html")
    for i in range(photos):
        mail.add_attachment(
            jpeg_with_gps(), maintype="image", subtype="jpeg", filename=f"ảnh ổ gà {i + 1}.jpg"
        )
    # CPython folds long encoded subjects dropping a space between words; unfolded, it does not.
    return mail.as_bytes(policy=SMTP.clone(max_line_length=998))


def to_cp1258(text: str) -> bytes:
    """Vietnamese in windows-1258: base letters (ă, â, ơ…) precomposed, tone marks combining."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", decomposed[:2])
        try:
            out += (base + decomposed[2:]).encode("cp1258")
        except UnicodeEncodeError:
            out += decomposed.encode("cp1258")
    return bytes(out)
