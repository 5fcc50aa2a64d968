"""``phananh worker``: send what the outbox holds (e-mail, webhooks) and run the timed jobs.

``phananh worker`` runs passes every ``--interval`` seconds until SIGTERM or Ctrl-C, then lets the
message in hand finish and exits 0; ``--once`` does one pass (everything due now) and exits, for
cron or tests. The database is ``DATABASE_URL``; the configuration ``--config`` (``notify.yaml``,
the agencies' addresses, ``templates/mail/``). Secrets — the SMTP password, the agencies' webhook
keys — are read from the environment variables that ``notify.yaml`` and ``sectors.yaml`` name.
The periodic reports of ``periodic.yaml`` are kept under ``--media`` (the web app's
``PHANANH_MEDIA``, where the desk serves them from). See :mod:`engine.worker` for the delivery
guarantees. Every failure to start is one line.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from types import FrameType

import click

from cli.runtime import CONFIG_OPTION, Failure, refresher, snapshot, unit_of_work
from engine.config.snapshot import Snapshot
from engine.worker.runner import DEFAULT_LEASE

__all__ = ["worker"]


def _with_smtp(config: Snapshot, address: str) -> Snapshot:
    """The same configuration, sending through ``HOST:PORT`` (a test or local mail sink) in plain
    text, so without logging in: the account of ``notify.yaml`` is never sent unencrypted."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise click.UsageError(f"--smtp: '{address}' phải có dạng HOST:PORT, ví dụ 127.0.0.1:8025")
    smtp = replace(
        config.notify.smtp,
        host=host,
        port=int(port),
        security="none",
        username_env=None,
        password_env=None,
    )
    return replace(config, notify=replace(config.notify, smtp=smtp))


def _keeping_smtp(
    refresh: Callable[[], Snapshot | None] | None, address: str
) -> Callable[[], Snapshot | None] | None:
    """A reloaded configuration still sends through the ``--smtp`` given on the command line."""
    if refresh is None:
        return None

    def follow() -> Snapshot | None:
        fresh = refresh()
        return _with_smtp(fresh, address) if fresh is not None else None

    return follow


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


@click.command("worker")
@click.option("--once", is_flag=True, help="Xử lý một lượt những gì đến hạn rồi thoát.")
@click.option(
    "--interval",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Số giây giữa hai lượt.",
)
@click.option(
    "--smtp",
    "smtp_address",
    default=None,
    metavar="HOST:PORT",
    help="Gửi qua máy chủ thư này thay cho notify.yaml (ví dụ máy thử 127.0.0.1:8025).",
)
@click.option(
    "--lease",
    default=DEFAULT_LEASE.total_seconds(),
    show_default=True,
    type=click.FloatRange(min=1),
    help="Số giây một thư được giữ cho tiến trình này; tiến trình chết thì sau đó tiến trình "
    "khác gửi lại. Phải dài hơn lần gửi lâu nhất.",
)
@click.option(
    "--media",
    type=click.Path(path_type=Path),
    default=lambda: os.environ.get("PHANANH_MEDIA", "instance/media"),
    show_default="PHANANH_MEDIA hoặc instance/media",
    help="Thư mục lưu tệp (của ứng dụng web, PHANANH_MEDIA): báo cáo định kỳ lập theo lịch "
    "periodic.yaml được lưu tại đây.",
)
@CONFIG_OPTION
def worker(
    once: bool,
    interval: float,
    smtp_address: str | None,
    lease: float,
    media: Path,
    config_dir: Path,
) -> None:
    """Gửi thư, webhook từ hàng đợi và chạy việc hẹn giờ (nhắc hạn, tổng hợp hằng ngày, báo cáo
    định kỳ)."""
    from engine.uploads import MediaStore
    from engine.worker import Worker, missing_templates

    refresh = refresher(config_dir)  # follows new configuration versions between passes
    config = snapshot(config_dir)
    if smtp_address:
        config = _with_smtp(config, smtp_address)
        refresh = _keeping_smtp(refresh, smtp_address)
    missing = missing_templates(config)
    if missing:
        raise Failure(
            f"cấu hình '{config_dir}' thiếu mẫu thư: {', '.join(missing)}; "
            "xem config/templates/mail/ của cấu hình mặc định; cấu hình lấy từ CSDL thì chạy "
            "'phananh db upgrade' để bổ sung mẫu thư mặc định"
        )
    try:
        uow = unit_of_work()
        with uow.read() as session:
            session.connection()
    except Exception as exc:  # noqa: BLE001 - no database, wrong URL: one line
        raise Failure(f"cơ sở dữ liệu: {_one_line(exc)}") from None
    runner = Worker(uow, config, lease=timedelta(seconds=lease), store=MediaStore(media))
    if once:
        summary = runner.run_once()
        click.echo(summary.line())
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        click.echo(
            f"phananh worker: nhận tín hiệu {signal.Signals(signum).name}, đang dừng", err=True
        )
        stop.set()

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        click.echo(f"phananh worker {runner.name}: chạy mỗi {interval:g} giây", err=True)
        runner.run(stop, interval, refresh=refresh)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("phananh worker: đã dừng", err=True)
