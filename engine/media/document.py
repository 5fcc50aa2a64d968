"""Checking a PDF an agency attaches to its result, without a PDF library.

A document is kept as sent: rewriting it would break the digital signature an official answer
carries (chữ ký số), and a document is the agency's own, not a citizen's, so there is no place or
device of a private person in it to remove. What is checked is that it is a whole PDF a citizen can
open: the header, the end-of-file marker and the cross-reference pointer at the end (a truncated
upload has neither), and no encryption (a password-protected answer cannot be read by the public).
Whatever a PDF may carry that runs (JavaScript, launch actions) is kept from running by how it is
served (:func:`web.media.send_stored`: as a download, in a sandbox), not by looking inside it.
"""

from __future__ import annotations

import re

#: How far from the end the trailer is looked for: writers may append a little after ``%%EOF``.
TAIL = 2048
_VERSION = re.compile(rb"%PDF-[12]\.\d")


def check_pdf(data: bytes) -> tuple[str, str] | None:
    """Why the PDF cannot be used (Vietnamese, English), or ``None`` when it can."""
    if not _VERSION.match(data):
        return "phần đầu tệp không phải của một tệp PDF", "its header is not a PDF header"
    tail = data[-TAIL:]
    if b"%%EOF" not in tail or b"startxref" not in tail:
        return (
            "tệp bị cắt cụt (thiếu phần cuối của tệp PDF); hãy tải lên lại",
            "it is truncated (the end of the PDF is missing); upload it again",
        )
    if b"/Encrypt" in tail:
        return (
            "tệp được đặt mật khẩu hoặc mã hóa, người dân không mở được; hãy gửi bản không mật khẩu",
            "it is password-protected or encrypted, so the public could not open it",
        )
    return None
