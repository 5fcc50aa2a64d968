"""Administrator-edited Jinja2 templates, always compiled and rendered in a sandbox.

Templates are data (Đ13.8): an administrator may edit them, so they never reach Python internals —
``ImmutableSandboxedEnvironment`` refuses attribute access such as ``''.__class__`` and any
mutation of the values passed in — nor more time, memory or output than :mod:`engine.sandbox`
bounds (a render stops with :class:`~engine.sandbox.TemplateLimitError` instead).

A template is accepted only if it compiles, names no variable its sample context lacks (checked on
the whole template, every branch, so a typo in a rarely taken ``{% if %}`` is found too), and
renders on each of its samples. The Phụ lục 2 result template is tried on :data:`SAMPLE_CONTEXT`;
each mail template (``templates/mail/<kind>.j2``, sent by :mod:`engine.worker`) on the samples of
:data:`MAIL_SAMPLES`, chosen by its file name, which also list exactly the variables the worker
gives it. A mail template's first rendered line is the subject; the rest is the body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType, TracebackType
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError

from engine.sandbox import BoundedSandbox, Limits, TemplateLimitError, rendering

__all__ = ["LIMITS", "Limits", "TemplateLimitError", "check", "check_mail", "render"]

#: The bounds of every render (a test may set others).
LIMITS = Limits()

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
def environment() -> BoundedSandbox:
    """The one sandboxed environment; plain text output, so no HTML autoescape here."""
    return BoundedSandbox(autoescape=False, keep_trailing_newline=True, undefined=StrictUndefined)


def check(
    source: str, sample: Mapping[str, Any] | Sequence[Mapping[str, Any]] = SAMPLE_CONTEXT
) -> TemplateProblem | None:
    """Compile ``source`` and try it on ``sample`` (or on each of several samples); say what is
    wrong, at the template's line, or ``None`` when it is fine."""
    samples = [sample] if isinstance(sample, Mapping) else list(sample)
    try:
        template = environment().from_string(source)
    except TemplateSyntaxError as exc:
        return TemplateProblem(
            exc.lineno or 1,
            f"mẫu sai cú pháp: {exc.message}",
            f"template syntax error: {exc.message}",
        )
    known = set(environment().globals).union(*(set(s) for s in samples))
    unknown = _unknown_names(source, known)
    if unknown:
        name, line = unknown
        names = ", ".join(sorted(known - set(environment().globals)))
        return TemplateProblem(
            line,
            f"mẫu dùng biến không có: '{name}' (các biến có: {names})",
            f"template uses an unknown variable: '{name}' (the variables are: {names})",
        )
    for values in samples:
        try:
            _bounded(template, values)
        except TemplateLimitError as exc:
            return TemplateProblem(
                _line_of(exc.__traceback__),
                f"mẫu vượt giới hạn cho phép: {exc.message_vi}",
                f"template exceeds a limit: {exc.message_en}",
            )
        except SecurityError as exc:
            return TemplateProblem(
                _line_of(exc.__traceback__),
                f"mẫu truy cập vào phần nội bộ không được phép: {exc}",
                f"template reaches for something the sandbox forbids: {exc}",
            )
        except UndefinedError as exc:
            return TemplateProblem(
                _line_of(exc.__traceback__),
                f"mẫu dùng biến không có: {exc.message}",
                f"template uses an unknown variable: {exc.message}",
            )
        except Exception as exc:  # noqa: BLE001 - any failure of an admin's template is reported, not raised
            return TemplateProblem(
                _line_of(exc.__traceback__),
                f"mẫu lỗi khi hiển thị: {exc}",
                f"template fails to render: {exc}",
            )
    return None


def _unknown_names(source: str, known: set[str]) -> tuple[str, int] | None:
    """The first variable the template reads but no sample gives, and its line."""
    tree = environment().parse(source)
    unknown = meta.find_undeclared_variables(tree) - known
    if not unknown:
        return None
    uses = [n for n in tree.find_all(nodes.Name) if n.ctx == "load" and n.name in unknown]
    first = min(uses, key=lambda n: n.lineno, default=None)
    return (first.name, first.lineno) if first else (sorted(unknown)[0], 1)


def _line_of(trace: TracebackType | None) -> int:
    """The template line where rendering failed: Jinja maps its frames to ``<template>`` lines."""
    line = 1
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == "<template>":
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def render(source: str, context: Mapping[str, Any], limits: Limits | None = None) -> str:
    """Render an accepted template in the sandbox, within ``limits`` (:data:`LIMITS`)."""
    return _bounded(environment().from_string(source), context, limits)


def _bounded(template: Template, context: Mapping[str, Any], limits: Limits | None = None) -> str:
    """The rendered text, chunk by chunk within the output limit; the clock runs from here."""
    limits = limits or LIMITS
    with rendering(limits):
        out: list[str] = []
        length = 0
        for chunk in template.generate(**context):
            length += len(chunk)
            if length > limits.output:
                raise TemplateLimitError(
                    f"văn bản tạo ra dài quá {limits.output} ký tự",
                    f"the text made is longer than {limits.output} characters",
                )
            out.append(chunk)
        return "".join(out)


# -- mail templates ------------------------------------------------------------------------------

_COMMON: Mapping[str, Any] = {"tinh": "Vĩnh Long", "trang_chu": "https://phananh.vinhlong.gov.vn"}
_REPORT: Mapping[str, Any] = {
    **_COMMON,
    "ma_phan_anh": "PA-2026-000123",
    "noi_dung": "Đường Phạm Thái Bường có ổ gà lớn trước số 45, xe máy dễ té ngã.",
    "dia_diem": "45 Phạm Thái Bường, Phường Phước Hậu",
    "linh_vuc": "Giao thông - Vận tải",
    "trang_thai": "Đã tiếp nhận, chờ phân loại",
    "thoi_diem_gui": "22/04/2026 08:00",
    "duong_dan_ket_qua": "https://phananh.vinhlong.gov.vn/ket-qua/PA-2026-000123",
}
#: The same report where the optional values are empty: no sector yet, no public link.
_REPORT_BARE: Mapping[str, Any] = {
    **_REPORT,
    "trang_chu": "",
    "linh_vuc": "",
    "dia_diem": "",
    "duong_dan_ket_qua": "",
}
#: A reporter's private tracking link (the token is an example).
_TRACKING = "https://phananh.vinhlong.gov.vn/theo-doi/PA-2026-000123?t=Xb3kP0q9yZr2LmN8aWc4dE7f"
_CLOCK: Mapping[str, Any] = {
    "co_quan": "Sở Xây dựng",
    "buoc": "Xử lý phản ánh",
    "dieu": "Đ8.B3",
    "han": "30/04/2026 16:00",
}
_ITEM: Mapping[str, Any] = {
    "ma_phan_anh": "PA-2026-000123",
    "tom_tat": "Đường Phạm Thái Bường có ổ gà lớn trước số 45…",
    "trang_thai": "Đang xử lý",
    "buoc": "Xử lý phản ánh",
    "han": "30/04/2026 16:00",
    "tinh_trang": "Sắp đến hạn",
}


def _variants(*samples: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    return tuple(MappingProxyType(dict(s)) for s in samples)


#: The samples of each mail template, by file name (``templates/mail/<kind>.j2``). Each sample has
#: exactly the variables the worker passes for that kind (a test holds the two together); where a
#: value may be empty or false, a second sample tries that branch.
MAIL_SAMPLES: Mapping[str, tuple[Mapping[str, Any], ...]] = MappingProxyType(
    {
        "reporter.received.j2": _variants(
            {**_REPORT, "ten_nguoi_phan_anh": "Nguyễn Văn An", "duong_dan_theo_doi": _TRACKING},
            {**_REPORT_BARE, "ten_nguoi_phan_anh": "", "duong_dan_theo_doi": ""},
        ),
        "reporter.new_link.j2": _variants(
            {**_REPORT, "ten_nguoi_phan_anh": "Nguyễn Văn An", "duong_dan_theo_doi": _TRACKING},
            {**_REPORT_BARE, "ten_nguoi_phan_anh": "", "duong_dan_theo_doi": _TRACKING},
        ),
        "reporter.needs_info.j2": _variants(
            {
                **_REPORT,
                "trang_thai": "Chờ bổ sung thông tin",
                "ten_nguoi_phan_anh": "Nguyễn Văn An",
                "ghi_chu": "Vui lòng bổ sung số nhà hoặc vị trí cụ thể nơi có ổ gà.",
            },
            {**_REPORT_BARE, "ten_nguoi_phan_anh": "", "ghi_chu": ""},
        ),
        "reporter.result.j2": _variants(
            {
                **_REPORT,
                "trang_thai": "Đã công khai kết quả",
                "ten_nguoi_phan_anh": "Nguyễn Văn An",
                "co_quan_xu_ly": "Sở Xây dựng",
                "cong_khai": True,
                "ket_qua": "SỞ XÂY DỰNG\n\nKính chào: Ông/Bà Nguyễn Văn An\n\nĐã vá ổ gà.",
            },
            {
                **_REPORT_BARE,
                "trang_thai": "Đã trả lời riêng (bảo mật)",
                "ten_nguoi_phan_anh": "",
                "co_quan_xu_ly": "",
                "cong_khai": False,
                "ket_qua": "",
            },
        ),
        "reporter.mail_refused.j2": _variants(
            {
                **_COMMON,
                "ly_do": "Thư không có nội dung phản ánh.",
                "tieu_de_thu": "Phản ánh ổ gà",
            },
            {**_COMMON, "trang_chu": "", "ly_do": "Thư không đọc được.", "tieu_de_thu": ""},
        ),
        "agency.forwarded.j2": _variants(
            {
                **_REPORT,
                "trang_thai": "Đã chuyển cơ quan xử lý",
                "co_quan": "Sở Xây dựng",
                "thao_tac": "Chuyển cơ quan xử lý",
                "ghi_chu": "Đề nghị kiểm tra gấp vì nguy hiểm cho người đi đường.",
                "han_xac_minh": "23/04/2026 08:00",
            },
            {**_REPORT_BARE, "co_quan": "", "thao_tac": "", "ghi_chu": "", "han_xac_minh": ""},
        ),
        "ioc.reply.j2": _variants(
            {
                **_REPORT,
                "trang_thai": "Đã công khai kết quả",
                "co_quan": "Sở Xây dựng",
                "phan_hoi": "Ổ gà đã vá nhưng lại bị bong sau trận mưa hôm qua.",
            },
            {**_REPORT_BARE, "co_quan": "", "phan_hoi": ""},
        ),
        "clock.warning.j2": _variants(
            {**_REPORT, **_CLOCK, "con_lai": "còn 1 giờ 30 phút làm việc"},
            {**_REPORT_BARE, **_CLOCK, "co_quan": "", "dieu": "", "con_lai": ""},
        ),
        "clock.late.j2": _variants(
            {**_REPORT, **_CLOCK, "con_lai": "quá hạn 2 giờ làm việc"},
            {**_REPORT_BARE, **_CLOCK, "co_quan": "", "dieu": "", "con_lai": ""},
        ),
        "digest.j2": _variants(
            {
                **_COMMON,
                "co_quan": "Sở Xây dựng",
                "ngay": "22/04/2026",
                "so_dang_xu_ly": 3,
                "dang_xu_ly": [
                    _ITEM,
                    {**_ITEM, "ma_phan_anh": "PA-2026-000124", "tinh_trang": "Trễ hạn"},
                    {**_ITEM, "ma_phan_anh": "PA-2026-000125", "tinh_trang": "Trong hạn"},
                ],
                "canh_bao": [_ITEM],
                "tre_han": [{**_ITEM, "ma_phan_anh": "PA-2026-000124", "tinh_trang": "Trễ hạn"}],
            },
            {
                **_COMMON,
                "trang_chu": "",
                "co_quan": "",
                "ngay": "22/04/2026",
                "so_dang_xu_ly": 0,
                "dang_xu_ly": [],
                "canh_bao": [],
                "tre_han": [],
            },
        ),
    }
)

#: Longest subject line accepted (RFC 5322 recommends lines under 78 characters; Vietnamese
#: subjects run longer, so this only catches a body rendered into the subject by mistake).
SUBJECT_MAX = 250


def mail_kind(name: str) -> str:
    """``reporter.received.j2`` → ``reporter.received``."""
    return name.removesuffix(".j2")


def split_mail(text: str) -> tuple[str, str]:
    """A rendered mail template → (subject, body): the first line, and the rest without the blank
    lines that separate them."""
    subject, _, body = text.lstrip("\n").partition("\n")
    return subject.strip(), body.strip("\n").rstrip() + "\n"


def check_mail(name: str, source: str) -> TemplateProblem | None:
    """Check the mail template ``templates/mail/<name>`` on its samples, and that each renders
    to a subject line and a body."""
    samples = MAIL_SAMPLES.get(name)
    if samples is None:
        known = ", ".join(sorted(MAIL_SAMPLES))
        return TemplateProblem(
            1,
            f"mẫu thư '{name}' không ứng với loại thông báo nào; các mẫu có: {known}",
            f"mail template '{name}' matches no kind of notice; the templates are: {known}",
        )
    problem = check(source, samples)
    if problem is not None:
        return problem
    for values in samples:
        subject, body = split_mail(render(source, values))
        if not subject or len(subject) > SUBJECT_MAX or not body.strip():
            return TemplateProblem(
                _first_text_line(source),
                "dòng đầu của mẫu thư là tiêu đề (không trống, tối đa "
                f"{SUBJECT_MAX} ký tự), sau đó là nội dung thư",
                f"a mail template's first line is the subject (not empty, at most {SUBJECT_MAX} "
                "characters), then comes the body",
            )
    return None


def _first_text_line(source: str) -> int:
    """The line of the first text after the template's opening comment (where the subject is)."""
    end = source.find("#}") + 2 if source.lstrip().startswith("{#") else 0
    rest = source[end:]
    return source.count("\n", 0, end) + rest.count("\n", 0, len(rest) - len(rest.lstrip())) + 1
