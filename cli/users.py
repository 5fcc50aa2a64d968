"""``phananh user``: staff accounts from the command line.

``create USERNAME --role ROLE [--agency CODE] [--name TEXT] [--email E] --password-stdin`` reads
the password from standard input (never from the command line, where ``ps`` and the shell's
history would show it): ``printf '%s\\n' "$PW" | phananh user create canbo.sxd --role officer
--agency SXD --password-stdin``. Officers and leaders name an agency of the configuration; other
roles name none.

``set-password USERNAME --password-stdin`` gives an account a new password the same way; the
account's sessions end and its API tokens are revoked, as whoever knew the old one must lose
access. ``list``, ``deactivate``/``activate``, ``unlock`` (lift the back-off of failed sign-ins), ``reset-totp`` (a
lost phone) and ``revoke-tokens`` act on an account by its username. Every failure is one line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlalchemy.orm import Session

from cli.runtime import CONFIG_OPTION, Failure, snapshot, unit_of_work
from engine import accounts, throttle
from engine.store.models import User
from engine.timefmt import when_vi
from engine.workflow import Role

ROLE_CHOICE = click.Choice([r.value for r in accounts.STAFF_ROLES])


@click.group("user")
def user() -> None:
    """Tài khoản cán bộ: tạo, liệt kê, ngừng, mở khóa, đặt lại xác thực hai bước."""


@user.command("create")
@click.argument("username")
@click.option("--role", required=True, type=ROLE_CHOICE, help="Vai trò / role.")
@click.option("--agency", default=None, help="Mã cơ quan (cán bộ đầu mối, lãnh đạo cơ quan).")
@click.option("--name", "display_name", default=None, help="Họ tên hiển thị.")
@click.option("--email", default=None, help="Thư điện tử.")
@click.option(
    "--password-stdin",
    "password_stdin",
    is_flag=True,
    help="Đọc mật khẩu từ stdin (dòng đầu tiên).",
)
@CONFIG_OPTION
def user_create(
    username: str,
    role: str,
    agency: str | None,
    display_name: str | None,
    email: str | None,
    password_stdin: bool,
    config_dir: Path,
) -> None:
    """Tạo tài khoản USERNAME; mật khẩu đọc từ stdin (--password-stdin)."""
    if not password_stdin:
        raise click.UsageError(
            "cần --password-stdin: mật khẩu được đọc từ stdin, không ghi trên dòng lệnh"
        )
    agency = agency.strip() if agency else None
    if agency:
        known = snapshot(config_dir).agencies.get(agency)
        if known is None:
            raise Failure(
                f"không có cơ quan '{agency}' trong cấu hình {config_dir}; "
                "xem danh sách mã cơ quan trong agencies.yaml"
            )
        if not known.effective.covers(datetime.now(UTC).date()):
            raise Failure(f"cơ quan '{agency}' ({known.name}) không còn hiệu lực trong cấu hình")
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        with unit_of_work().begin() as session:
            created = accounts.create_user(
                session,
                username,
                password,
                Role(role),
                display_name=display_name,
                agency=agency,
                email=email,
            )
            shown = created.username
    except ValueError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"Đã tạo tài khoản '{shown}' ({role}{', ' + agency if agency else ''}).")


@user.command("set-password")
@click.argument("username")
@click.option(
    "--password-stdin",
    "password_stdin",
    is_flag=True,
    help="Đọc mật khẩu mới từ stdin (dòng đầu tiên).",
)
def user_set_password(username: str, password_stdin: bool) -> None:
    """Đặt mật khẩu mới: các phiên đăng nhập kết thúc, mã truy cập API bị thu hồi."""
    if not password_stdin:
        raise click.UsageError(
            "cần --password-stdin: mật khẩu được đọc từ stdin, không ghi trên dòng lệnh"
        )
    password = sys.stdin.readline().rstrip("\r\n")
    revoked: list[int] = []
    found = _act(
        username,
        lambda db, u, now: revoked.append(accounts.set_password(db, u.username, password, now)),
    )
    click.echo(
        f"Đã đặt mật khẩu mới cho '{found.username}': các phiên đăng nhập đã kết thúc, "
        f"thu hồi {revoked[0]} mã truy cập API."
    )


@user.command("list")
@CONFIG_OPTION
def user_list(config_dir: Path) -> None:
    """Liệt kê tài khoản: tên, vai trò, cơ quan, trạng thái, xác thực hai bước, lần đăng nhập."""
    zone = ZoneInfo(snapshot(config_dir).calendar.timezone)
    now = datetime.now(UTC)
    with unit_of_work().read() as session:
        counts = throttle.failure_counts(session, now)
        lines = [_line(u, counts.get(u.username, 0), zone) for u in accounts.all_users(session)]
    click.echo("\n".join(lines) if lines else "Chưa có tài khoản nào.")


def _line(u: User, failures: int, zone: ZoneInfo) -> str:
    state = "đang dùng" if u.active else "đã ngừng"
    if failures:
        state += f", {failures} lần đăng nhập sai trong 24 giờ"
    seen = f"đăng nhập {when_vi(u.last_login_at, zone)}" if u.last_login_at else "chưa đăng nhập"
    totp = "2FA" if u.totp_secret else "-"
    return "\t".join((u.username, u.role, u.agency or "-", state, totp, seen, u.display_name))


def _act(username: str, change: Callable[[Session, User, datetime], object]) -> User:
    """Apply ``change`` to the account ``username`` in one transaction."""
    try:
        with unit_of_work().begin() as session:
            found = accounts.existing(session, username)
            change(session, found, datetime.now(UTC))
            return found
    except ValueError as exc:
        raise Failure(str(exc)) from None


@user.command("deactivate")
@click.argument("username")
def user_deactivate(username: str) -> None:
    """Ngừng tài khoản: mất quyền truy cập ngay ở yêu cầu kế tiếp; mã truy cập API bị thu hồi."""
    found = _act(username, lambda db, u, now: accounts.deactivate(db, u.username, now))
    click.echo(f"Đã ngừng tài khoản '{found.username}'.")


@user.command("activate")
@click.argument("username")
def user_activate(username: str) -> None:
    """Cho tài khoản đã ngừng hoạt động trở lại."""
    found = _act(username, lambda db, u, now: accounts.activate(db, u.username))
    click.echo(f"Đã mở lại tài khoản '{found.username}'.")


@user.command("unlock")
@click.argument("username")
def user_unlock(username: str) -> None:
    """Bỏ thời gian chờ đăng nhập của tài khoản: các lần đăng nhập sai (từ mọi địa chỉ) không
    còn được tính; chúng vẫn được lưu để kiểm tra."""
    forgiven: list[int] = []
    found = _act(username, lambda db, u, now: forgiven.append(accounts.unlock(db, u.username, now)))
    click.echo(
        f"Đã bỏ thời gian chờ đăng nhập của '{found.username}' "
        f"({forgiven[0]} lần đăng nhập sai không còn được tính)."
    )


@user.command("reset-totp")
@click.argument("username")
def user_reset_totp(username: str) -> None:
    """Xóa khóa xác thực hai bước (mất điện thoại); thiết lập lại ở lần đăng nhập sau."""
    found = _act(username, lambda db, u, now: accounts.reset_totp(db, u.username))
    click.echo(f"Đã đặt lại xác thực hai bước của tài khoản '{found.username}'.")


@user.command("revoke-tokens")
@click.argument("username")
def user_revoke_tokens(username: str) -> None:
    """Thu hồi mọi mã truy cập API còn hiệu lực của tài khoản."""
    revoked: list[int] = []
    found = _act(username, lambda db, u, now: revoked.append(accounts.revoke_tokens(db, u, now)))
    click.echo(f"Đã thu hồi {revoked[0]} mã truy cập API của '{found.username}'.")
