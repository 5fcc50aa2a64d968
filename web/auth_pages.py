"""The staff's sign-in pages (Vietnamese), on the :data:`web.auth.auth` blueprint.

``/dang-nhap``                    sign in (GET, POST); ``next`` is honoured only for a local path
``/dang-nhap/xac-thuc``           the TOTP code, when the account has a secret
``/dang-xuat``                    sign out (POST only, with the form's CSRF token)
``/tai-khoan``                    the signed-in account: who, which role and agency, two-factor
``/tai-khoan/xac-thuc-hai-buoc``  set up TOTP: the ``otpauth://`` address, the secret as text and
                                  a QR code drawn here (segno, SVG); required before anything else
                                  when the account's role requires TOTP and it has none

Between the password and the code, the session holds only a short-lived "pending" mark, never
``staff_id``: no staff page opens until both steps are done. Every answer is ``no-store``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import segno
from flask import Response, flash, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.routing import BuildError

from engine import accounts
from engine.accounts import SignInRefused
from engine.store.models import User
from web.auth import (
    PENDING_KEY,
    auth,
    client_address,
    clock,
    current_staff,
    end_session,
    load_user,
    local_path,
    password_mark,
    policy,
    setting,
    sign_in_limit,
    staff_required,
    start_session,
)
from web.auth_forms import CodeForm, SignInForm
from web.limits import limiter
from web.runtime import lifecycle, snapshot
from web.security import page_headers

#: How the account page names a role.
ROLE_LABELS_VI = {
    "ioc_operator": "Cán bộ Trung tâm IOC",
    "officer": "Cán bộ đầu mối của cơ quan",
    "leader": "Lãnh đạo cơ quan",
    "operator_admin": "Quản trị hệ thống",
    "province_viewer": "Lãnh đạo tỉnh (xem, theo dõi)",
    "auditor": "Thanh tra, kiểm tra",
}
#: A TOTP secret proposed to the account, until a code from it is confirmed.
CANDIDATE_KEY = "totp_candidate"
EXPIRED = "Phiên đăng nhập đã hết hạn; vui lòng đăng nhập lại."
STALE_FORM = (
    "Biểu mẫu đã hết hạn hoặc thiếu mã bảo mật (CSRF), nên chưa được xử lý; "
    "vui lòng tải lại trang và thử lại."
)


@auth.after_request
def _headers(response: Response) -> Response:
    """Sign-in pages are never cached, framed, indexed or sent on as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    return page_headers(response, private=True)


def _page(template: str, http_status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, snapshot=snapshot(), **context), http_status


def _landing() -> str:
    try:
        return url_for(setting("AUTH_LANDING"))
    except BuildError:
        return url_for("auth.account")


def _go_on(target: str | None) -> Response:
    return redirect(local_path(target) or _landing(), 303)


# -- sign in ---------------------------------------------------------------------------------------


@auth.route("/dang-nhap", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, methods=["POST"])
def login() -> Any:
    form = SignInForm()
    target = local_path(request.values.get("next"))
    if request.method == "GET":
        if current_staff() is not None:
            return _go_on(target)
        form.next.data = target or ""
        return _page("auth/login.html", form=form)
    if not form.validate_on_submit():
        return _page("auth/login.html", form=form)
    refused, user, rule = None, None, policy()
    with lifecycle().uow.begin() as db:
        try:  # a refusal's count must be committed: caught inside the transaction
            user = accounts.authenticate(
                db, form.username.data, form.password.data, clock(), rule, client=client_address()
            )
        except SignInRefused as exc:
            refused = exc
    if refused is not None or user is None:
        return _refused_page(form, refused)
    if not rule.needs_totp(user):
        start_session(user)
        return _go_on(target)
    end_session()  # nothing of the old session goes on into the new one
    session[PENDING_KEY] = {
        "user": user.id,
        "at": int(clock().timestamp()),
        "next": target,
        "mark": password_mark(user),  # a reset meanwhile ends this step too
    }
    step = ".second_step" if user.totp_secret else ".totp_setup"
    return redirect(url_for(step), 303)


def _refused_page(form: SignInForm, refused: SignInRefused | None) -> Any:
    """The form again with why; one that must wait is told until when (429, ``Retry-After``)."""
    problem = refused.message_vi if refused else accounts.WRONG_VI
    if refused is None or refused.retry_at is None:
        return _page("auth/login.html", form=form, problem=problem)
    page, _ = _page("auth/login.html", form=form, problem=problem)
    return page, 429, {"Retry-After": str(retry_after(refused.retry_at))}


def retry_after(until: datetime) -> int:
    """Whole seconds from now until ``until`` (at least one), for ``Retry-After``."""
    return max(1, int((until - clock()).total_seconds()) + 1)


def _pending() -> dict[str, Any] | None:
    """The account between its password and its code, while the step is fresh."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    age = clock().timestamp() - float(pending.get("at", 0))
    if not 0 <= age <= 60 * int(setting("AUTH_PENDING_MINUTES")):
        session.pop(PENDING_KEY, None)
        return None
    return pending


def _same_password(pending: dict[str, Any], user: User) -> bool:
    """The account's password is the one given at the first step (no reset since)."""
    return pending.get("mark") == password_mark(user)


def _back_to_sign_in(message: str) -> Response:
    session.pop(PENDING_KEY, None)
    session.pop(CANDIDATE_KEY, None)
    flash(message, "error")
    return redirect(url_for(".login"), 303)


@auth.route("/dang-nhap/xac-thuc", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, methods=["POST"])
def second_step() -> Any:
    pending = _pending()
    if pending is None:
        return _back_to_sign_in(EXPIRED)
    form, problem = CodeForm(), None
    if form.validate_on_submit():
        refused, user, missing = None, None, False
        with lifecycle().uow.begin() as db:
            user = db.get(User, pending["user"])
            if user is None or not user.totp_secret or not _same_password(pending, user):
                missing = True
            else:
                try:
                    accounts.verify_totp(
                        db, user, form.code.data, clock(), policy(), client=client_address()
                    )
                except SignInRefused as exc:
                    refused = exc
        if missing or user is None:
            return _back_to_sign_in(EXPIRED)
        if refused is None:
            start_session(user)
            return _go_on(pending.get("next"))
        if refused.reason in ("throttled", "inactive"):
            return _back_to_sign_in(refused.message_vi)
        problem = refused.message_vi
    return _page("auth/second_step.html", form=form, problem=problem)


@auth.post("/dang-xuat")
def logout() -> Response:
    end_session()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for(".login"), 303)


# -- the account -----------------------------------------------------------------------------------


@auth.get("/tai-khoan")
@staff_required()
def account() -> Any:
    staff = current_staff()
    assert staff is not None
    user = load_user(staff.id)
    agency = snapshot().agencies.get(staff.agency) if staff.agency else None
    return _page(
        "auth/account.html",
        user=user,
        agency=agency,
        role_label=ROLE_LABELS_VI.get(staff.role.value, staff.role.value),
        totp_required=user is not None and user.role in setting("AUTH_TOTP_ROLES"),
    )


@auth.route("/tai-khoan/xac-thuc-hai-buoc", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, methods=["POST"])
def totp_setup() -> Any:
    staff = current_staff()
    pending = None if staff is not None else _pending()
    if staff is None and pending is None:
        return redirect(url_for(".login", next=url_for(".totp_setup")), 303)
    user_id = staff.id if staff is not None else pending["user"]  # type: ignore[index]
    user = load_user(user_id)
    if (
        user is None
        or not user.active
        or (pending is not None and not _same_password(pending, user))
    ):
        return _back_to_sign_in(EXPIRED)
    if user.totp_secret:
        if pending is not None:
            return redirect(url_for(".second_step"), 303)
        return _page("auth/totp_setup.html", enabled=True, user=user)
    secret = session.get(CANDIDATE_KEY)
    if not isinstance(secret, str) or len(secret) != 32:
        secret = session[CANDIDATE_KEY] = accounts.new_totp_secret()
    form, problem = CodeForm(), None
    if form.validate_on_submit():
        if accounts.totp_matches(secret, form.code.data, clock()):
            return _enable(user_id, secret, pending)
        problem = "Mã xác thực không đúng; hãy nhập mã đang hiện trên ứng dụng vừa thêm tài khoản."
    issuer = " ".join(filter(None, ("Phản ánh hiện trường", snapshot().province)))
    uri = accounts.totp_uri(secret, user.username, issuer)
    return _page(
        "auth/totp_setup.html",
        enabled=False,
        user=user,
        form=form,
        problem=problem,
        required=pending is not None,
        uri=uri,
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        qr=segno.make(uri, error="m").svg_data_uri(scale=4, border=2),
    )


def _enable(user_id: int, secret: str, pending: dict[str, Any] | None) -> Response:
    with lifecycle().uow.begin() as db:
        user = db.get(User, user_id)
        if user is None or not user.active:
            return _back_to_sign_in(EXPIRED)
        if user.totp_secret is not None and user.totp_secret != secret:  # set meanwhile elsewhere
            return redirect(url_for(".second_step" if pending else ".totp_setup"), 303)
        if user.totp_secret is None:
            accounts.enable_totp(user, secret)
        if pending is not None:
            accounts.complete_sign_in(db, user, clock(), client=client_address())
    session.pop(CANDIDATE_KEY, None)
    if pending is not None:
        start_session(user)  # clears the session: the message comes after
    flash("Đã bật xác thực hai bước cho tài khoản.", "info")
    if pending is not None:
        return _go_on(pending.get("next"))
    return redirect(url_for(".account"), 303)


# -- a form without its CSRF token -------------------------------------------------------------


@auth.errorhandler(CSRFError)
def _csrf(error: CSRFError) -> Any:
    """Refused before anything is read or written; the sign-in form is shown again."""
    if request.endpoint == "auth.login":
        form = SignInForm(formdata=None)
        form.username.data = request.form.get("username", "")[:200]
        form.next.data = local_path(request.form.get("next")) or ""
        return _page("auth/login.html", 400, form=form, problem=STALE_FORM)
    return _page("error.html", 400, status=400, message=STALE_FORM)
