"""The configuration as versions in the database (Đ13.8): change, schedule, restore, follow.

* :mod:`engine.configstore.versions` — ``create`` (validated; in force now or from a chosen
  instant), ``rollback`` (an earlier version again, as a new one), ``cancel`` (a scheduled one),
  ``active``, ``history``, ``diff``, ``export``, ``bootstrap`` (the first version from
  ``config/``);
* :mod:`engine.configstore.live` — ``LiveConfig``: a running process follows the version in force;
* :mod:`engine.configstore.diff` — the readable, file-by-file unified diff.

The files (``{"sectors.yaml": text, "templates/mail/digest.j2": text, …}``) are the source of
truth; :func:`engine.config.loader.load_files` validates them with every check of ``load``.
"""

from engine.configstore.diff import FileChange, changes
from engine.configstore.live import LiveConfig, Loaded
from engine.configstore.versions import (
    STATUS_VI,
    NoChange,
    Status,
    VersionInfo,
    active,
    active_id,
    bootstrap,
    cancel,
    create,
    diff,
    export,
    get,
    history,
    rollback,
    snapshot_of,
)

__all__ = [
    "STATUS_VI",
    "FileChange",
    "LiveConfig",
    "Loaded",
    "NoChange",
    "Status",
    "VersionInfo",
    "active",
    "active_id",
    "bootstrap",
    "cancel",
    "changes",
    "create",
    "diff",
    "export",
    "get",
    "history",
    "rollback",
    "snapshot_of",
]
