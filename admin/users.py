"""Staff accounts and their roles in the administration (issue 6 point 1; accounts of issue 5).

``UsersView`` lists the accounts (role, agency of the configuration in force, state, recent
failed sign-ins, two-factor, last sign-in) with a filter by role and agency and a search; creates
an account; and on each account changes the role, agency or display name, deactivates or
reactivates it, lifts the back-off of its failed sign-ins (listed with their time and address),
resets its TOTP or its password and revokes its API tokens. The rules are those of
:mod:`engine.accounts` (the same as ``phananh user``); each change is one transaction.

At the top of the list, the handling agencies of the configuration in force that lack an active
leader or focal officer (Đ14.1). ``operator_admin`` changes, ``auditor`` reads; an administrator
can neither deactivate nor demote their own account.

Each change is recorded in its own transaction (``account_changes``: who, when, what), shown on
the account's page to administrators and auditors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from sqlalchemy.orm import Session

from admin.views import EDITORS, _author, _Guarded, _staff
from engine import accounts, throttle
from engine.rules import fold
from engine.store.models import User
from engine.workflow import Role
from web import runtime
from web.auth import clock, keep_signed_in
from web.auth_pages import ROLE_LABELS_VI

#: The form's name of each field :class:`engine.accounts.AccountRefused` may name.
FORM_FIELDS: Mapping[str, str] = {
    "username": "ten_dang_nhap",
    "password": "mat_khau",
    "display_name": "ho_ten",
    "role": "vai_tro",
    "agency": "co_quan",
    "account": "tai_khoan",
}
#: How the account page names why a sign-in failed.
FAILURE_REASONS = {"password": "sai mật khẩu", "code": "sai mã xác thực hai bước"}
MISMATCH = "Hai lần nhập mật khẩu không khớp; hãy nhập lại."
TEMPLATE_LIST = "admin/phananh_users.html"
TEMPLATE_NEW = "admin/phananh_users_new.html"
TEMPLATE_ACCOUNT = "admin/phananh_users_account.html"
#: How the agency selects group the kinds of agency, in this order.
KIND_GROUPS: tuple[tuple[str, str], ...] = (
    ("so", "Sở, ban, ngành"),
    ("ubnd_phuong", "UBND phường"),
    ("ubnd_xa", "UBND xã"),
    ("ubnd_dac_khu", "UBND đặc khu"),
    ("ubnd_huyen", "UBND huyện"),
    ("doanh_nghiep", "Doanh nghiệp"),
    ("don_vi_su_nghiep", "Đơn vị sự nghiệp"),
    ("phong", "Phòng"),
    ("ubnd_tinh", "UBND tỉnh"),
    ("trung_tam", "Trung tâm"),
)
OTHER_GROUP = "Đơn vị khác"


@dataclass(frozen=True)
class Option:
    """An agency in a select: its code, its name, the group it is shown under."""

    value: str
    label: str
    group: str


@dataclass(frozen=True)
class Row:
    """One account as the pages show it."""

    id: int
    username: str
    display_name: str
    email: str | None
    role: str
    role_label: str
    agency: str | None
    agency_name: str | None  # None: not an agency of the configuration in force
    active: bool
    failures: int  # failed sign-ins of the last 24 hours still counted (engine.throttle)
    totp: bool
    last_login_at: datetime | None
    created_at: datetime

    @property
    def agency_text(self) -> str:
        if not self.agency:
            return ""
        if self.agency_name is None:
            return f"{self.agency} (không có trong cấu hình đang áp dụng)"
        return f"{self.agency} — {self.agency_name}"


class _Config:
    """The agencies of the configuration in force today, for selects and checks."""

    def __init__(self) -> None:
        life = runtime.lifecycle()
        self.today = clock().astimezone(life.zone).date()
        snap = life.snapshot
        self.agencies = {
            code: agency
            for code, agency in snap.agencies.items()
            if agency.effective.covers(self.today)
        }
        kinds = [kind for kind, _ in KIND_GROUPS]
        ordered = sorted(
            self.agencies.values(),
            key=lambda a: (kinds.index(a.kind) if a.kind in kinds else len(kinds), fold(a.name)),
        )
        groups = dict(KIND_GROUPS)
        self.options = [Option(a.code, a.name, groups.get(a.kind, OTHER_GROUP)) for a in ordered]

    def name(self, code: str | None) -> str | None:
        agency = self.agencies.get(code or "")
        return agency.name if agency else None

    def problem(self, code: str | None) -> str | None:
        if code and code not in self.agencies:
            return (
                f"Không có cơ quan '{code}' trong cấu hình đang áp dụng; hãy chọn trong danh sách."
            )
        return None


def _row(user: User, config: _Config, failures: int) -> Row:
    return Row(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        role=user.role,
        role_label=ROLE_LABELS_VI.get(user.role, user.role),
        agency=user.agency,
        agency_name=config.name(user.agency),
        active=user.active,
        failures=failures,
        totp=bool(user.totp_secret),
        last_login_at=user.last_login_at,
        created_at=user.created_at,
    )


def _matches(row: Row, role: str, agency: str, text: str) -> bool:
    if role and row.role != role:
        return False
    if agency and row.agency != agency:
        return False
    if text:
        seen = " ".join((row.username, row.display_name, row.email or "", row.agency_text))
        return fold(text) in fold(seen)
    return True


def _record(session: Session, username: str, what: str) -> None:
    """Who changed which account, when, and how: in the change's own transaction."""
    accounts.record_change(
        session, actor=_author(_staff()), username=username, what=what, at=clock()
    )


def _roles() -> list[tuple[str, str]]:
    return [(r.value, ROLE_LABELS_VI.get(r.value, r.value)) for r in accounts.STAFF_ROLES]


def _grouped(options: Iterable[Option]) -> list[tuple[str, list[Option]]]:
    """The agencies by group (Sở…, UBND phường, UBND xã…), in the order given."""
    groups: dict[str, list[Option]] = {}
    for option in options:
        groups.setdefault(option.group, []).append(option)
    return list(groups.items())


def _form(name: str) -> str:
    return (request.form.get(name) or "").strip()


def _target(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    return user


class UsersView(_Guarded, BaseView):
    """Người dùng và vai trò: the staff accounts."""

    def render(self, template: str, **kwargs: Any) -> str:
        kwargs.setdefault("roles", _roles())
        kwargs.setdefault("groups", _grouped(kwargs.get("options", ())))
        kwargs.setdefault("role_labels", ROLE_LABELS_VI)
        kwargs.setdefault("errors", {})
        return super().render(template, **kwargs)

    # -- the list ----------------------------------------------------------------------------------

    @expose("/")
    def index(self) -> Any:
        config, now = _Config(), clock()
        role = request.args.get("vai_tro", "")
        agency = request.args.get("co_quan", "")
        text = (request.args.get("q") or "").strip()
        order = {o.value: i for i, o in enumerate(config.options)}
        handling = sorted(config.agencies.values(), key=lambda a: order.get(a.code, len(order)))
        with runtime.lifecycle().uow.read() as session:
            counts = throttle.failure_counts(session, now)
            rows = [_row(u, config, counts.get(u.username, 0)) for u in accounts.all_users(session)]
            coverage = accounts.coverage(session, handling, config.today)
        shown = [r for r in rows if _matches(r, role, agency, text)]
        return self.render(
            TEMPLATE_LIST,
            rows=shown,
            total=len(rows),
            coverage=coverage,
            missing=[c for c in coverage if not c.complete],
            options=config.options,
            chosen={"vai_tro": role, "co_quan": agency, "q": text},
        )

    # -- a new account -----------------------------------------------------------------------------

    @expose("/tao", methods=("GET", "POST"))
    def create(self) -> Any:
        staff = _staff()
        if staff.role not in EDITORS:
            abort(403)
        config = _Config()
        if request.method == "GET":
            return self.render(TEMPLATE_NEW, options=config.options, typed={})
        typed = {name: _form(name) for name in ("ten_dang_nhap", "ho_ten", "vai_tro", "co_quan")}
        password = request.form.get("mat_khau") or ""
        errors: dict[str, str] = {}
        if password != (request.form.get("mat_khau_lai") or ""):
            errors["mat_khau_lai"] = MISMATCH
        elif problem := accounts.password_problem(password):
            errors["mat_khau"] = problem
        if problem := config.problem(typed["co_quan"]):
            errors["co_quan"] = problem
        label = ROLE_LABELS_VI.get(typed["vai_tro"], typed["vai_tro"])
        agency = f", cơ quan {typed['co_quan']}" if typed["co_quan"] else ""
        if not errors:
            try:
                with runtime.lifecycle().uow.begin() as session:
                    user = accounts.create_user(
                        session,
                        typed["ten_dang_nhap"],
                        password,
                        typed["vai_tro"],
                        display_name=typed["ho_ten"],
                        agency=typed["co_quan"] or None,
                        at=clock(),
                    )
                    session.flush()
                    new_id, username = user.id, user.username
                    _record(session, username, f"tạo tài khoản, vai trò {label}{agency}")
            except accounts.AccountRefused as exc:
                errors[FORM_FIELDS[exc.field]] = exc.form_vi
        if errors:
            page = self.render(TEMPLATE_NEW, options=config.options, typed=typed, errors=errors)
            return page, 422
        flash(f"Đã tạo tài khoản '{username}' ({label}{agency}).", "success")
        return redirect(url_for(".account", user_id=new_id))

    # -- one account -------------------------------------------------------------------------------

    @expose("/<id:user_id>/")
    def account(self, user_id: int) -> Any:
        return self._account_page(user_id)

    def _account_page(self, user_id: int, *, status: int = 200, **extra: Any) -> Any:
        config, now = _Config(), clock()
        with runtime.lifecycle().uow.read() as session:
            user = _target(session, user_id)
            failures = [
                (f.at, f.client, FAILURE_REASONS.get(f.reason, f.reason))
                for f in throttle.recent_failures(session, user.username, now)
            ]
            row = _row(user, config, len(failures))
            tokens = accounts.live_tokens(session, user, now)
            history = [(c.at, c.actor, c.what) for c in accounts.changes(session, user.username)]
        options = list(config.options)
        if row.agency and row.agency_name is None:
            options.insert(0, Option(row.agency, row.agency_text, "Cơ quan hiện tại"))
        typed = extra.pop("typed", None) or {
            "ho_ten": row.display_name,
            "vai_tro": row.role,
            "co_quan": row.agency or "",
        }
        page = self.render(
            TEMPLATE_ACCOUNT,
            row=row,
            tokens=tokens,
            history=history,
            failures=failures,
            options=options,
            typed=typed,
            is_self=row.id == _staff().id,
            errors=extra.pop("errors", {}),
            refusal=extra.pop("refusal", None),
        )
        return page, status

    @expose("/<id:user_id>/sua", methods=("POST",))
    def change(self, user_id: int) -> Any:
        staff, config = _staff(), _Config()
        typed = {name: _form(name) for name in ("ho_ten", "vai_tro", "co_quan")}
        errors: dict[str, str] = {}
        changes: dict[str, tuple[str | None, str | None]] = {}
        try:
            with runtime.lifecycle().uow.begin() as session:
                user = _target(session, user_id)
                if user.id == staff.id and typed["vai_tro"] != Role.OPERATOR_ADMIN.value:
                    errors["vai_tro"] = (
                        "Không thể tự đổi vai trò quản trị của chính mình; hãy nhờ một quản trị "
                        "viên khác."
                    )
                elif typed["co_quan"] != (user.agency or "") and (
                    problem := config.problem(typed["co_quan"])
                ):
                    errors["co_quan"] = problem
                else:
                    username = user.username
                    changes = accounts.change_user(
                        session,
                        username,
                        role=typed["vai_tro"],
                        agency=typed["co_quan"],
                        display_name=typed["ho_ten"],
                    )
                    if changes:
                        what = "; ".join(_change_vi(n, *values) for n, values in changes.items())
                        _record(session, username, what)
        except accounts.AccountRefused as exc:
            errors[FORM_FIELDS[exc.field]] = exc.form_vi
        if errors:
            return self._account_page(user_id, status=422, typed=typed, errors=errors)
        if not changes:
            flash("Không có gì thay đổi.", "info")
        else:
            flash(f"Đã lưu tài khoản '{username}': {what}.", "success")
        return redirect(url_for(".account", user_id=user_id))

    @expose("/<id:user_id>/mat-khau", methods=("POST",))
    def password(self, user_id: int) -> Any:
        password = request.form.get("mat_khau") or ""
        errors: dict[str, str] = {}
        if password != (request.form.get("mat_khau_lai") or ""):
            errors["mat_khau_lai"] = MISMATCH
        else:
            try:
                with runtime.lifecycle().uow.begin() as session:
                    target = _target(session, user_id)
                    username = target.username
                    revoked = accounts.set_password(session, username, password, clock())
                    what = "đặt lại mật khẩu, kết thúc các phiên đăng nhập" + (
                        f", thu hồi {revoked} mã truy cập API" if revoked else ""
                    )
                    _record(session, username, what)
                    session.flush()
                    keep_signed_in(target)  # one's own new password: this session goes on
            except accounts.AccountRefused as exc:
                errors[FORM_FIELDS[exc.field]] = exc.form_vi
        if errors:
            return self._account_page(user_id, status=422, errors=errors)
        flash(
            f"Tài khoản '{username}': {what}; hãy báo mật khẩu mới cho người dùng qua kênh an "
            "toàn.",
            "success",
        )
        return redirect(url_for(".account", user_id=user_id))

    @expose("/<id:user_id>/<action>", methods=("POST",))
    def act(self, user_id: int, action: str) -> Any:
        """The one-button changes: ``ngung``, ``mo-lai``, ``mo-khoa``, ``dat-lai-2fa``,
        ``thu-hoi-ma``."""
        if action not in ACTIONS:
            abort(404)
        staff, now = _staff(), clock()
        if action == "ngung" and user_id == staff.id:
            return self._account_page(
                user_id,
                status=422,
                refusal="Không thể ngừng tài khoản của chính mình; hãy nhờ một quản trị viên khác.",
            )
        with runtime.lifecycle().uow.begin() as session:
            user = _target(session, user_id)
            username = user.username
            what = ACTIONS[action](session, user, now)
            _record(session, username, what)
        flash(f"Tài khoản '{username}': {what}.", "success")
        return redirect(url_for(".account", user_id=user_id))


def _deactivate(session: Session, user: User, now: datetime) -> str:
    revoked = accounts.live_tokens(session, user, now)
    accounts.deactivate(session, user.username, now)
    return "đã ngừng tài khoản" + (f", thu hồi {revoked} mã truy cập API" if revoked else "")


def _activate(session: Session, user: User, now: datetime) -> str:
    accounts.activate(session, user.username)
    return "đã mở lại tài khoản"


def _unlock(session: Session, user: User, now: datetime) -> str:
    forgiven = accounts.unlock(session, user.username, now)
    return f"đã xóa {forgiven} lần đăng nhập sai khỏi thời gian chờ"


def _reset_totp(session: Session, user: User, now: datetime) -> str:
    accounts.reset_totp(session, user.username)
    return "đã đặt lại xác thực hai bước"


def _revoke(session: Session, user: User, now: datetime) -> str:
    return f"đã thu hồi {accounts.revoke_tokens(session, user, now)} mã truy cập API"


ACTIONS = {
    "ngung": _deactivate,
    "mo-lai": _activate,
    "mo-khoa": _unlock,
    "dat-lai-2fa": _reset_totp,
    "thu-hoi-ma": _revoke,
}
CHANGE_NAMES = {"role": "vai trò", "agency": "cơ quan", "display_name": "họ tên"}


def _change_vi(name: str, before: str | None, after: str | None) -> str:
    if name == "role":
        before = ROLE_LABELS_VI.get(before or "", before)
        after = ROLE_LABELS_VI.get(after or "", after)
    return f"{CHANGE_NAMES[name]} {before or '(không có)'} → {after or '(không có)'}"
