"""``phananh demo``: a database with the default configuration, staff accounts and sample reports."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import func, select

from cli.runtime import CONFIG_OPTION, Failure, lifecycle
from engine.accounts import create_user
from engine.demo import AGENCY_STAFF, officer_accounts
from engine.store import Report, database_url
from engine.store.migrate import upgrade
from engine.workflow import Role
from web.security import production

#: One account per role (Đ14.1: each agency names a leader and a focal officer). Demo only.
DEMO_PASSWORD = "phananh-demo"
DEMO_ACCOUNTS: tuple[tuple[str, str, Role, str | None], ...] = (
    ("ioc", "Trần Thị Bình (Trung tâm IOC)", Role.IOC_OPERATOR, None),
    ("quantri", "Lê Văn Cường (Sở KH&CN)", Role.OPERATOR_ADMIN, None),
    ("canbo.sxd", "Phạm Minh Đức (Sở Xây dựng)", Role.OFFICER, "SXD"),
    ("lanhdao.sxd", "Võ Thị Em (Sở Xây dựng)", Role.LEADER, "SXD"),
    ("canbo.snnmt", "Đỗ Văn Khoa (Sở Nông nghiệp và Môi trường)", Role.OFFICER, "SNNMT"),
    ("lanhdao.snnmt", "Bùi Thị Lan (Sở Nông nghiệp và Môi trường)", Role.LEADER, "SNNMT"),
    ("tinh", "Đặng Thu Giang (UBND tỉnh)", Role.PROVINCE_VIEWER, None),
    ("kiemtra", "Huỳnh Văn Hải (Thanh tra)", Role.AUDITOR, None),
)
#: The other officers the sample reports are assigned to (Đ14.3), so that each of them can sign
#: in and find their reports under "Được giao cho tôi".
DEMO_ACCOUNTS += tuple(
    (username, name, Role.OFFICER, agency)
    for agency, (names, _) in AGENCY_STAFF.items()
    for name, username in zip(names, officer_accounts(agency), strict=True)
    if username not in {account[0] for account in DEMO_ACCOUNTS}
)


@click.command()
@click.option("--reports", default=240, show_default=True, type=click.IntRange(0, 100_000))
@CONFIG_OPTION
def demo(reports: int, config_dir: Path) -> None:
    """Nâng cấp CSDL, tạo tài khoản mẫu và phản ánh mẫu (chỉ khi CSDL chưa có phản ánh).

    Bị từ chối khi PHANANH_ENV=production: tài khoản mẫu có mật khẩu công khai."""
    from engine.demo import seed

    if production():
        raise Failure(
            "PHANANH_ENV=production: không tạo dữ liệu mẫu, vì các tài khoản mẫu (quantri…) "
            f"dùng mật khẩu ai cũng biết ({DEMO_PASSWORD}); tạo tài khoản bằng 'phananh user "
            "create' (demo data is refused in production)"
        )
    try:
        upgrade(database_url())
    except Exception as exc:  # noqa: BLE001 - any database failure becomes one line
        raise Failure(f"không nâng cấp được cơ sở dữ liệu {database_url()}: {exc}") from None
    life = lifecycle(config_dir, author="phananh demo")
    with life.uow.read() as session:
        existing = session.scalar(select(func.count()).select_from(Report))
    if existing:
        click.echo(f"Cơ sở dữ liệu đã có {existing} phản ánh: giữ nguyên, không tạo dữ liệu mẫu.")
        return
    with life.uow.begin() as session:
        for username, name, role, agency in DEMO_ACCOUNTS:
            create_user(session, username, DEMO_PASSWORD, role, display_name=name, agency=agency)
    summary = seed(life, reports)
    click.echo(f"Đã tạo {len(DEMO_ACCOUNTS)} tài khoản mẫu (mật khẩu: {DEMO_PASSWORD}):")
    for username, name, role, agency in DEMO_ACCOUNTS:
        click.echo(f"  {username:<14} {role:<16} {agency or '':<6} {name}")
    for line in summary.as_lines():
        click.echo(line)
