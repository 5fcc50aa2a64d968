"""``phananh mail-gateway`` and ``phananh mail-fetch``: the e-mail channel (Đ4: thư điện tử).

``mail-gateway`` receives mail by SMTP (the province's mail server relays the channel's address to
it); ``mail-fetch`` reads the channel's mailbox over IMAP where the mail server is elsewhere, and is
meant to be run every few minutes (cron, a systemd timer). Either way each message is stored in
the database before the sending server (or the mailbox) is told it was taken; see
:mod:`engine.mail.intake`. Every failure to start is one line, never a traceback.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import re
import ssl
import threading
from collections.abc import Callable
from pathlib import Path

import click

from cli.runtime import CONFIG_OPTION, Failure, following, lifecycle
from engine.mail.gateway import DEFAULT_ADDRESS, DEFAULT_MAX_BYTES, Gateway
from engine.mail.intake import InboundResult, receive

__all__ = ["mail_fetch", "mail_gateway"]

MEDIA_OPTION = click.option(
    "--media",
    type=click.Path(path_type=Path),
    default=lambda: os.environ.get("PHANANH_MEDIA", "instance/media"),
    show_default="PHANANH_MEDIA hoặc instance/media",
    help="Thư mục lưu ảnh, video / where pictures are kept (the web app's PHANANH_MEDIA).",
)


def _intake(config_dir: Path, media: Path) -> Callable[[bytes], InboundResult]:
    """``receive`` bound to the configured database, configuration and media folder."""
    from engine.uploads import MediaStore

    try:
        life = lifecycle(config_dir, author="phananh mail")
    except Failure:
        raise
    except Exception as exc:  # noqa: BLE001 - no database, wrong URL: one line
        raise Failure(f"cơ sở dữ liệu: {_one_line(exc)}") from None
    in_force = following(life)
    store = MediaStore(media)
    return lambda raw: receive(raw, life=in_force(), store=store)


def _wait() -> None:
    """Until Ctrl-C or SIGTERM (click turns the latter into the default: exit)."""
    threading.Event().wait()


@click.command("mail-gateway")
@click.option("--host", default="127.0.0.1", show_default=True, help="Địa chỉ lắng nghe.")
@click.option("--port", default=2525, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--address",
    "addresses",
    multiple=True,
    default=(DEFAULT_ADDRESS,),
    show_default=True,
    help="Địa chỉ nhận phản ánh (lặp lại để nhận nhiều địa chỉ); thư gửi địa chỉ khác bị từ chối.",
)
@click.option(
    "--max-bytes",
    default=DEFAULT_MAX_BYTES,
    show_default=True,
    type=click.IntRange(1024),
    help="Cỡ tối đa một thư (byte).",
)
@CONFIG_OPTION
@MEDIA_OPTION
def mail_gateway(
    host: str, port: int, addresses: tuple[str, ...], max_bytes: int, config_dir: Path, media: Path
) -> None:
    """Nhận thư phản ánh qua SMTP; trả lời 250 chỉ sau khi thư đã được lưu."""
    gateway = Gateway(
        _intake(config_dir, media),
        host=host,
        port=port,
        addresses=addresses,
        max_bytes=max_bytes,
    )
    try:
        gateway.start()
    except Exception as exc:  # noqa: BLE001 - address in use, no permission, unknown host
        raise Failure(f"không mở được cổng SMTP {host}:{port}: {_one_line(exc)}") from None
    click.echo(f"Đang nhận thư cho {', '.join(addresses)} tại {host}:{port} (Ctrl-C để dừng)")
    try:
        _wait()
    except KeyboardInterrupt:
        pass
    finally:
        gateway.stop()
    click.echo("Đã dừng nhận thư.")


@click.command("mail-fetch")
@click.option("--host", required=True, help="Máy chủ IMAP.")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="Mặc định 993 / 143.")
@click.option("--user", required=True, help="Tài khoản hộp thư.")
@click.option(
    "--password-env",
    default="PHANANH_IMAP_PASSWORD",
    show_default=True,
    metavar="VAR",
    help="Biến môi trường chứa mật khẩu (mật khẩu không ghi trên dòng lệnh).",
)
@click.option("--folder", default="INBOX", show_default=True)
@click.option("--ssl/--no-ssl", "use_ssl", default=True, show_default=True)
@click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(1))
@CONFIG_OPTION
@MEDIA_OPTION
def mail_fetch(
    host: str,
    port: int | None,
    user: str,
    password_env: str,
    folder: str,
    use_ssl: bool,
    timeout: float,
    config_dir: Path,
    media: Path,
) -> None:
    """Đọc các thư chưa xem trong hộp thư IMAP; đánh dấu đã xem chỉ thư đã lưu."""
    from engine.mail.fetch import MailboxError, fetch

    password = os.environ.get(password_env)
    if password is None:
        raise Failure(f"biến môi trường {password_env} (mật khẩu IMAP) chưa được đặt")
    if not (user + password).isascii():
        raise Failure("IMAP LOGIN chỉ nhận tài khoản, mật khẩu không dấu (ASCII)")
    intake = _intake(config_dir, media)
    port = port or (993 if use_ssl else 143)
    where = f"{host}:{port}"
    try:
        if use_ssl:
            client = imaplib.IMAP4_SSL(host, port, timeout=timeout)
        else:
            client = imaplib.IMAP4(host, port, timeout=timeout)
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
        raise Failure(f"không kết nối được máy chủ IMAP {where}: {_one_line(exc)}") from None
    try:
        try:
            client.login(user, password)
        except imaplib.IMAP4.error as exc:
            raise Failure(f"IMAP {where}: đăng nhập '{user}' thất bại: {_one_line(exc)}") from None
        try:
            result = fetch(client, intake, folder=folder)
        except MailboxError as exc:
            raise Failure(f"IMAP {where}: {_one_line(exc)}") from None
        except (OSError, imaplib.IMAP4.error) as exc:
            raise Failure(f"IMAP {where}: mất kết nối: {_one_line(exc)}") from None
    finally:
        _logout(client)
    click.echo(f"{folder}: {result.summary()}")
    for code in result.reports:
        click.echo(f"  {code}")
    if result.not_stored:
        raise Failure(
            f"{len(result.not_stored)} thư chưa lưu được (UID {', '.join(result.not_stored)}), "
            "vẫn để chưa xem để lần sau thử lại"
        )


def _logout(client: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        client.logout()


def _one_line(error: object) -> str:
    text = str(error).strip() or type(error).__name__
    text = re.sub(r"\s*\(Background on this error at: [^)]*\)", "", text)
    return " ".join(text.split())
