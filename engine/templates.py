"""Administrator-edited Jinja2 templates, always compiled and rendered in a sandbox.

Templates are data (Đ13.8): an administrator may edit them, so they never reach Python internals —
``ImmutableSandboxedEnvironment`` refuses attribute access such as ``''.__class__`` and any
mutation of the values passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: Values used to try a template before it is accepted (a sample Phụ lục 2 answer).
SAMPLE_CONTEXT: Mapping[str, Any] = {
    "co_quan_xu_ly": "Sở Xây dựng",
    "xung_ho": "Ông",
    "ten_nguoi_phan_anh": "Nguyễn Văn An",
    "noi_dung_tra_loi": "Đơn vị đã vá ổ gà trên đường 30/4, phường Phước Hậu.",
    "tep_dinh_kem": ["bien-ban-nghiem-thu.pdf"],
}


@dataclass(frozen=True)
class TemplateProblem:
    line: int
    message_vi: str
    message_en: str


@cache
def environment() -> ImmutableSandboxedEnvironment:
    """The one sandboxed environment; plain text output, so no HTML autoescape here."""
    return ImmutableSandboxedEnvironment(
        autoescape=False, keep_trailing_newline=True, undefined=StrictUndefined
    )


def check(source: str, sample: Mapping[str, Any] = SAMPLE_CONTEXT) -> TemplateProblem | None:
    """Compile ``source`` and try it on ``sample``; say what is wrong, or ``None`` when it is fine."""
    try:
        template = environment().from_string(source)
    except TemplateSyntaxError as exc:
        return TemplateProblem(
            exc.lineno or 1,
            f"mẫu sai cú pháp: {exc.message}",
            f"template syntax error: {exc.message}",
        )
    try:
        template.render(**sample)
    except SecurityError as exc:
        return TemplateProblem(
            1,
            f"mẫu truy cập vào phần nội bộ không được phép: {exc}",
            f"template reaches for something the sandbox forbids: {exc}",
        )
    except UndefinedError as exc:
        return TemplateProblem(
            1,
            f"mẫu dùng biến không có: {exc.message}",
            f"template uses an unknown variable: {exc.message}",
        )
    except Exception as exc:  # noqa: BLE001 - any failure of an admin's template is reported, not raised
        return TemplateProblem(
            1, f"mẫu lỗi khi hiển thị: {exc}", f"template fails to render: {exc}"
        )
    return None


def render(source: str, context: Mapping[str, Any]) -> str:
    """Render an accepted template in the sandbox."""
    return environment().from_string(source).render(**context)
