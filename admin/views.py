"""The administration's pages: versions, the file editor (with preview) and the what-if replay."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView, expose

from engine import configstore, whatif
from engine import templates as sandbox
from engine.accounts import ADMINISTRATION_EDITORS, ADMINISTRATION_READERS
from engine.config.errors import ConfigInvalid
from engine.config.loader import load_files
from engine.services.errors import DomainError
from web import runtime
from web.auth import Staff, current_staff
from web.formatting import when_vi

#: Who may open the administration; only the first may change anything.
EDITORS = ADMINISTRATION_EDITORS
READERS = ADMINISTRATION_READERS
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: How far back the what-if replay looks when no date is given.
WHATIF_DAYS = 90


def _editable(name: str) -> bool:
    """The files the editor offers: the YAML files and the templates (Phụ lục 2, mail)."""
    return name.endswith(".yaml") or (name.startswith("templates/") and name.endswith(".j2"))


class _Guarded:
    """Signed-in ``operator_admin`` (everything) or ``auditor`` (reading only)."""

    def is_accessible(self) -> bool:
        staff = current_staff()
        if staff is None or staff.role not in READERS:
            return False
        return request.method in SAFE_METHODS or staff.role in EDITORS

    def inaccessible_callback(self, name: Any, **kwargs: Any) -> Any:
        if current_staff() is None:
            target = request.full_path.removesuffix("?")
            return redirect(url_for("auth.login", next=target))
        return abort(403)

    def render(self, template: str, **kwargs: Any) -> str:
        staff = current_staff()
        kwargs.setdefault("staff", staff)
        kwargs.setdefault("can_edit", staff is not None and staff.role in EDITORS)
        kwargs.setdefault("when_vi", _when)
        return super().render(template, **kwargs)  # type: ignore[misc]


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:  # SQLite gives back naive UTC
        value = value.replace(tzinfo=UTC)
    return when_vi(value)


def _author(staff: Staff) -> str:
    return f"{staff.display_name} ({staff.username})"


def _staff() -> Staff:
    staff = current_staff()
    if staff is None:  # is_accessible let nobody through without one
        abort(403)
    return staff


class HomeView(_Guarded, AdminIndexView):
    @expose("/")
    def index(self) -> Any:
        with runtime.lifecycle().uow.read() as session:
            version = configstore.active(session)
            current = (version.id, version.author, version.created_at) if version else None
        return self.render("admin/phananh_home.html", current=current)


class VersionsView(_Guarded, BaseView):
    """The history of the configuration, each version's diff, and rollback."""

    @expose("/")
    def index(self) -> Any:
        with runtime.lifecycle().uow.read() as session:
            rows = [
                (info, configstore.get(session, info.id).diff)
                for info in configstore.history(session)
            ]
        return self.render(
            "admin/phananh_versions.html", rows=rows, status_vi=configstore.STATUS_VI
        )

    @expose("/<id:version_id>/khoi-phuc", methods=("POST",))
    def rollback(self, version_id: int) -> Any:
        staff = _staff()
        reason = (request.form.get("ly_do") or "").strip()
        if not reason:
            flash("Cần ghi lý do khôi phục phiên bản.", "error")
            return redirect(url_for(".index"))
        uow = runtime.lifecycle().uow
        try:
            with uow.begin() as session:
                version = configstore.rollback(
                    session,
                    version_id,
                    author=_author(staff),
                    reason=reason,
                    base_id=configstore.active_id(session),
                )
                new_id = version.id
        except ConfigInvalid as exc:
            flash("Không khôi phục được: " + "; ".join(e.format("vi") for e in exc.errors), "error")
            return redirect(url_for(".index"))
        except DomainError as exc:
            flash(exc.message_vi, "error")
            return redirect(url_for(".index"))
        runtime.reload_now(current_app._get_current_object())  # type: ignore[attr-defined]
        flash(f"Đã khôi phục phiên bản {version_id} thành phiên bản mới {new_id}.", "success")
        return redirect(url_for(".index"))

    @expose("/<id:version_id>/huy-lich", methods=("POST",))
    def cancel(self, version_id: int) -> Any:
        """Withdraw a version scheduled for later, before its time comes."""
        _staff()
        try:
            with runtime.lifecycle().uow.begin() as session:
                configstore.cancel(session, version_id)
        except DomainError as exc:
            flash(exc.message_vi, "error")
            return redirect(url_for(".index"))
        flash(
            f"Đã hủy lịch áp dụng phiên bản {version_id}; cấu hình đang áp dụng giữ nguyên.",
            "success",
        )
        return redirect(url_for(".index"))


def _in_force() -> tuple[int, dict[str, str]]:
    with runtime.lifecycle().uow.read() as session:
        version = configstore.active(session)
        if version is None:
            abort(404)
        return version.id, dict(version.files)


def _chosen(files: Mapping[str, str], name: str | None) -> str:
    names = [n for n in files if _editable(n)]
    if not name:
        return "sectors.yaml" if "sectors.yaml" in names else names[0]
    if name not in names:
        abort(404)
    return name


def _preview(name: str, text: str) -> dict[str, Any]:
    """Render a template in the sandbox on its sample: ``{"output"}`` or ``{"line", "message"}``."""
    base = name.rsplit("/", 1)[-1]
    if name.startswith("templates/mail/"):
        problem = sandbox.check_mail(base, text)
        samples = sandbox.MAIL_SAMPLES.get(base) or ({},)
        sample: Mapping[str, Any] = samples[0]
    else:
        problem = sandbox.check(text)
        sample = sandbox.SAMPLE_CONTEXT
    if problem is not None:
        return {"line": problem.line, "message": problem.message_vi}
    try:
        return {"output": sandbox.render(text, sample)}
    except Exception as exc:  # noqa: BLE001 - shown to the editor, never raised
        return {"line": 1, "message": f"mẫu lỗi khi hiển thị: {exc}"}


class FilesView(_Guarded, BaseView):
    """Edit one file of the version in force; a save makes a new version (or changes nothing)."""

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        active_id, files = _in_force()
        if request.method == "GET":
            name = _chosen(files, request.args.get("tep"))
            return _editor(self, files, name, files[name], active_id)
        name = _chosen(files, request.form.get("tep"))
        text = _text()
        base_id = request.form.get("base_id", type=int) or active_id
        action = request.form.get("thao_tac", "luu")
        if action == "xem-truoc":
            if not name.endswith(".j2"):
                abort(400)
            return _editor(self, files, name, text, base_id, preview=_preview(name, text))
        reason = (request.form.get("ly_do") or "").strip()
        if not reason:
            return _editor(
                self, files, name, text, base_id, errors=["Cần ghi lý do thay đổi."], status=422
            )
        proposed = {**files, name: text}
        staff = _staff()
        try:
            with runtime.lifecycle().uow.begin() as session:
                version = configstore.create(
                    session, proposed, author=_author(staff), reason=reason, base_id=base_id
                )
                new_id = version.id
        except ConfigInvalid as exc:
            errors = [error.format("vi") for error in exc.errors]
            return _editor(
                self, files, name, text, base_id, errors=errors, reason=reason, status=422
            )
        except DomainError as exc:
            return _editor(
                self, files, name, text, base_id, errors=[exc.message_vi], reason=reason, status=422
            )
        runtime.reload_now(current_app._get_current_object())  # type: ignore[attr-defined]
        flash(f"Đã lưu: phiên bản cấu hình {new_id} đang áp dụng.", "success")
        return redirect(url_for(".index", tep=name))


def _editor(
    view: BaseView,
    files: Mapping[str, str],
    name: str,
    text: str,
    base_id: int,
    *,
    status: int = 200,
    **extra: Any,
) -> Any:
    names = sorted((n for n in files if _editable(n)), key=lambda n: (n.count("/"), n))
    page = view.render(
        "admin/phananh_files.html",
        names=names,
        name=name,
        text=text,
        base_id=base_id,
        errors=extra.pop("errors", []),
        reason=extra.pop("reason", ""),
        preview=extra.pop("preview", None),
        whatif=extra.pop("whatif", None),
        since=extra.pop("since", None),
    )
    return page, status


def _text() -> str:
    """The textarea's text, with the browser's CRLF line ends made LF again."""
    return (request.form.get("noi_dung") or "").replace("\r\n", "\n")


def _since() -> date:
    value = (request.form.get("tu_ngay") or "").strip()
    if value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return date.today() - timedelta(days=WHATIF_DAYS)


class WhatIfView(_Guarded, BaseView):
    """Past reports through an edited file: routing moves and on-time rates. Nothing is written."""

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        active_id, files = _in_force()
        if request.method == "GET":
            return self.render("admin/phananh_whatif.html")
        name = _chosen(files, request.form.get("tep"))
        text = _text()
        base_id = request.form.get("base_id", type=int) or active_id
        since = _since()
        try:
            proposed = load_files({**files, name: text})
        except ConfigInvalid as exc:
            errors = [error.format("vi") for error in exc.errors]
            return _editor(self, files, name, text, base_id, errors=errors, status=422)
        result = whatif.replay(runtime.lifecycle().uow, proposed, since=since)
        return _editor(self, files, name, text, base_id, whatif=result.table(), since=since)
