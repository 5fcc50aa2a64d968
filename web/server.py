"""The production server: gunicorn's pre-fork workers over :func:`web.create_app`.

Gunicorn, because it is the well-kept WSGI server of Linux deployments behind a reverse proxy:
separate worker processes (one stuck request or a leak costs one worker, which is restarted, and
a slow CPU-bound page does not stall the others as threads under the GIL would), a timeout that
kills a hung worker, and graceful restarts. Each worker builds its own app (no ``preload``), so
no database connection or configuration snapshot is shared across a fork.

Metrics from several processes are summed through ``PROMETHEUS_MULTIPROC_DIR`` (``phananh serve``
sets a fresh folder per start); a worker that exits is marked dead so that its gauges stop
counting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from prometheus_client import values


class ProductionServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn run from code with the app factory; ``options`` are gunicorn's settings."""

    def __init__(self, settings: Mapping[str, Any], options: Mapping[str, Any]) -> None:
        self.settings = dict(settings)
        self.options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from web import create_app

        return create_app(self.settings)


def _worker_exit(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _count_across_processes() -> None:
    """Make the metrics created from now on write to ``PROMETHEUS_MULTIPROC_DIR``.

    prometheus_client chooses how values are kept when it is first imported, which may have been
    before the folder was set (any module importing ``web`` imports it); every metric here has
    labels, so its values are made in the workers, after this choice is made again.
    """
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        raise RuntimeError("PROMETHEUS_MULTIPROC_DIR must name a folder before serving")
    values.ValueClass = values.get_value_class()


def serve(
    settings: Mapping[str, Any], *, host: str, port: int, workers: int, timeout: int = 60
) -> None:
    """Serve until stopped (SIGTERM or SIGINT: finish the requests in hand, then exit)."""
    _count_across_processes()
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        "timeout": timeout,
        "graceful_timeout": 30,
        # The app logs one JSON line per request (web.request_log); gunicorn's own access log
        # would print the path, which can hold a private tracking link.
        "accesslog": None,
        "errorlog": "-",
        "child_exit": _worker_exit,
        "proc_name": "phananh-web",
    }
    ProductionServer({**settings, "REQUEST_LOG": True}, options).run()
