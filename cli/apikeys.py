"""``phananh apikey``: make, revoke and list the keys of partners' systems (Open311 POST).

``create NAME`` prints the new key and nothing else (so ``KEY=$(phananh apikey create x)`` works);
it is shown only this once — the database keeps only its hash.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import click

from cli.runtime import CONFIG_OPTION, Failure, snapshot, unit_of_work
from engine import apikeys
from engine.services.errors import DomainError
from engine.timefmt import when_vi


@click.group("apikey")
def apikey() -> None:
    """Khóa API cho hệ thống của đối tác (gửi phản ánh qua Open311)."""


@apikey.command("create")
@click.argument("name")
def apikey_create(name: str) -> None:
    """Tạo khóa tên NAME và in khóa (chỉ hiện một lần này)."""
    try:
        with unit_of_work().begin() as session:
            key = apikeys.create(session, name)
    except DomainError as exc:
        raise Failure(exc.message_vi) from None
    click.echo(key)


@apikey.command("revoke")
@click.argument("name")
def apikey_revoke(name: str) -> None:
    """Thu hồi khóa tên NAME: từ nay khóa bị từ chối."""
    try:
        with unit_of_work().begin() as session:
            revoked = apikeys.revoke(session, name)
            shown = revoked.name
    except DomainError as exc:
        raise Failure(exc.message_vi) from None
    click.echo(f"Đã thu hồi khóa '{shown}'.")


@apikey.command("list")
@CONFIG_OPTION
def apikey_list(config_dir: Path) -> None:
    """Liệt kê các khóa: tên, ngày tạo, còn dùng hay đã thu hồi (không bao giờ in khóa)."""
    zone = ZoneInfo(snapshot(config_dir).calendar.timezone)
    with unit_of_work().read() as session:
        rows = [(k.name, k.created_at, k.revoked_at) for k in apikeys.all_keys(session)]
    if not rows:
        click.echo("Chưa có khóa nào.")
        return
    for name, created_at, revoked_at in rows:
        state = f"đã thu hồi {when_vi(revoked_at, zone)}" if revoked_at else "đang dùng"
        click.echo(f"{name}\ttạo {when_vi(created_at, zone)}\t{state}")
