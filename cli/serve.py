"""``phananh serve``: the web app, under Flask's development server or, in production, gunicorn."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.runtime import CONFIG_OPTION, Failure, snapshot

if TYPE_CHECKING:
    from flask import Flask


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--production",
    is_flag=True,
    help="Máy chủ sản xuất gunicorn (cài phananh[production]) / the production server.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=lambda: int(os.environ.get("WEB_CONCURRENCY", "0")) or 2 * (os.cpu_count() or 1) + 1,
    show_default="WEB_CONCURRENCY hoặc 2 × số lõi + 1",
    help="Số tiến trình web (chỉ với --production) / worker processes.",
)
@CONFIG_OPTION
def serve(host: str, port: int, production: bool, workers: int, config_dir: Path) -> None:
    """Chạy ứng dụng web: máy chủ phát triển, hoặc gunicorn với --production."""
    snapshot(config_dir)  # a broken configuration is one line here, not a worker crash loop
    settings = {"CONFIG_DIR": str(config_dir)}
    if not production:
        _app(settings).run(host=host, port=port)
        return
    # Each process writes its metrics here, for /metrics to sum (web/server.py).
    metrics_dir = tempfile.mkdtemp(prefix="phananh-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        try:
            from web import server
        except ImportError as exc:
            raise Failure(
                f"thiếu máy chủ sản xuất ({exc.name}); cài bằng: pip install 'phananh[production]'"
            ) from None
        # Refusals (no SECRET_KEY in production, a database not migrated) as one line here,
        # rather than every worker failing to boot.
        _app(settings).extensions["phananh.lifecycle"].uow.engine.dispose()
        server.serve(settings, host=host, port=port, workers=workers)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _app(settings: dict[str, str]) -> Flask:
    from web import create_app
    from web.runtime import StartRefused

    try:
        return create_app(settings)
    except StartRefused as exc:
        raise Failure(str(exc)) from None
