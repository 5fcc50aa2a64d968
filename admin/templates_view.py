"""Mẫu văn bản: the Phụ lục 2 result template and the notification mails, with a live preview.

``/admin/mau/`` lists the templates of the version in force, each with what it is for;
``/admin/mau/sua?ten=…`` edits one in a textarea beside its preview, rendered in Jinja's sandbox
on the template's sample (:func:`admin.views._preview`). The preview follows the typing through
``/admin/mau/xem-truoc`` (JSON ``{output}`` or ``{line, message}``; the page's script,
``web/static/admin-mau.js``, is a file because the pages' content policy allows no inline
script) and, without JavaScript, through the "Xem trước" button. A save replaces the file
(:meth:`Documents.set_text`) and goes through :mod:`admin.saving`: the loader compiles the
template and tries it on its samples, so a syntax error or a reach for Python internals is
refused with the template's line.
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request, url_for
from flask_admin import BaseView, expose

from admin import saving
from admin.views import _Guarded, _preview
from engine import templates as sandbox
from engine.config.regulation import RESULT_TEMPLATE

RESULT = f"templates/{RESULT_TEMPLATE}"
MAIL = "templates/mail/"

#: What each template is for, as the list shows it.
DESCRIPTIONS: dict[str, str] = {
    RESULT: "Mẫu hiển thị kết quả xử lý phản ánh (Phụ lục 2, QĐ 2408/QĐ-UBND): công khai trên "
    "cổng thông tin hoặc trả lời riêng người phản ánh.",
    MAIL + "reporter.received.j2": "Thư báo người phản ánh: phản ánh đã được tiếp nhận (Đ4, Đ5).",
    MAIL + "reporter.needs_info.j2": "Thư đề nghị người phản ánh bổ sung thông tin (Đ5.3, Đ6).",
    MAIL + "reporter.result.j2": "Thư báo người phản ánh kết quả xử lý: công khai hoặc trả lời "
    "riêng khi yêu cầu giữ bí mật (Đ10.1, Đ10.2).",
    MAIL + "reporter.new_link.j2": "Thư gửi đường dẫn theo dõi mới khi người phản ánh tra cứu "
    "phản ánh bằng mã và số điện thoại.",
    MAIL + "reporter.mail_refused.j2": "Thư trả lời khi thư gửi đến hộp thư phản ánh không thành "
    "phản ánh được (kênh thư điện tử).",
    MAIL + "agency.forwarded.j2": "Thư báo cơ quan xử lý có phản ánh mới được chuyển đến "
    "(Đ7, Đ8.B1).",
    MAIL + "ioc.reply.j2": "Thư báo Trung tâm IOC: người phản ánh phản hồi, đề nghị làm rõ kết quả "
    "(Đ11).",
    MAIL + "clock.warning.j2": "Thư nhắc sắp đến hạn khi một bước đã dùng hết ngưỡng cảnh báo.",
    MAIL + "clock.late.j2": "Thư báo trễ hạn khi một bước đã quá thời hạn.",
    MAIL + "digest.j2": "Thư tổng hợp hằng ngày gửi mỗi cơ quan có phản ánh đang xử lý và "
    "Trung tâm IOC.",
}


def is_template(name: str) -> bool:
    """The templates this page edits: ``templates/*.j2`` and ``templates/mail/*.j2``."""
    if not name.startswith("templates/") or not name.endswith(".j2"):
        return False
    rest = name.removeprefix("templates/")
    return "/" not in rest or (rest.startswith("mail/") and "/" not in rest.removeprefix("mail/"))


def description(name: str) -> str:
    if name in DESCRIPTIONS:
        return DESCRIPTIONS[name]
    return "Mẫu thư thông báo (dòng đầu là tiêu đề)." if name.startswith(MAIL) else "Mẫu văn bản."


def variables(name: str) -> list[str]:
    """The variables the template's samples give, which are those it may use."""
    if name.startswith(MAIL):
        samples = sandbox.MAIL_SAMPLES.get(name.removeprefix(MAIL)) or ()
        return sorted(set().union(*(set(s) for s in samples))) if samples else []
    return sorted(sandbox.SAMPLE_CONTEXT)


def _names(files: dict[str, str] | Any) -> list[str]:
    return sorted((n for n in files if is_template(n)), key=lambda n: (n.count("/"), n))


def _text() -> str:
    """The textarea's text, with the browser's CRLF line ends made LF again."""
    return (request.form.get("noi_dung") or "").replace("\r\n", "\n")


class TemplatesView(_Guarded, BaseView):
    """The templates of the version in force: list, edit with a live sandboxed preview, save."""

    @expose("/")
    def index(self) -> Any:
        active_id, documents = saving.in_force()
        rows = [(n, description(n), variables(n)) for n in _names(documents.files())]
        return self.render("admin/phananh_templates.html", rows=rows, active_id=active_id)

    @expose("/sua", methods=("GET", "POST"))
    def edit(self) -> Any:
        active_id, documents = saving.in_force()
        files = documents.files()
        name = request.values.get("ten") or ""
        if not is_template(name) or name not in files:
            abort(404)
        if request.method == "GET":
            text = files[name]
            return self._page(name, text, _common(active_id), preview=_preview(name, text))
        text = _text()
        common = saving.form_common()
        common["base_id"] = common["base_id"] or active_id
        if request.form.get("thao_tac") == "xem-truoc":
            return self._page(name, text, common, preview=_preview(name, text))
        documents.set_text(name, text)
        return saving.submit(
            documents,
            saving.Target(name),
            common,
            lambda **shown: self._page(name, text, common, preview=_preview(name, text), **shown),
            url_for(".edit", ten=name),
        )

    @expose("/xem-truoc", methods=("POST",))
    def preview(self) -> Any:
        """The preview of the typed text as JSON: ``{"output"}`` or ``{"line", "message"}``."""
        name = request.form.get("ten") or ""
        if not is_template(name):
            abort(404)
        return jsonify(_preview(name, _text()))

    def _page(
        self,
        name: str,
        text: str,
        common: dict[str, Any],
        *,
        refused: saving.Refused | None = None,
        preview: dict[str, Any] | None = None,
        status: int = 200,
    ) -> Any:
        page = self.render(
            "admin/phananh_template_edit.html",
            name=name,
            text=text,
            description=description(name),
            variables=variables(name),
            mail=name.startswith(MAIL),
            common=common,
            refused=refused or saving.Refused(),
            preview=preview,
        )
        return page, status


def _common(active_id: int) -> dict[str, Any]:
    """The save box's values on a page just opened."""
    return {"reason": "", "when": "", "since": "", "base_id": active_id}
