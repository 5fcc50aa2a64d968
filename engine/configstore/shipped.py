"""What a new release adds to a province's stored configuration: the mail templates it needs and
the schedule of the periodic reports.

A release that sends a new kind of mail (``reporter.new_link`` for the tracking-link recovery, for
one) ships its template in ``config/templates/mail/``. A province's configuration lives in the
database as versions made from an older release's files, so it lacks the template and the worker
would refuse to start. ``phananh db upgrade`` calls :func:`complete`: the version in force gains
the shipped templates it lacks, as a new version with its author, reason and diff like any other
change — the province sees what was added on the versions page and may rewrite the wording; what
it already has is never replaced.

The same holds for ``periodic.yaml``, the schedule of the reports to the province's committee
(Đ13.9, R30): without it the worker builds none. It is added only to a configuration that never
had it: a province that removed it has no schedule on purpose, and an upgrade does not undo that.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.configstore.versions import active, create
from engine.resources import shipped_config_directory
from engine.store.models import ConfigVersion

MAIL_TEMPLATES = "templates/mail/"
SCHEDULE = "periodic.yaml"
AUTHOR = "phananh (nâng cấp)"


def shipped_mail_templates(directory: Path | None = None) -> dict[str, str]:
    """The release's mail templates by configuration file name (``templates/mail/x.j2``)."""
    folder = (directory or shipped_config_directory()) / MAIL_TEMPLATES
    return {
        f"{MAIL_TEMPLATES}{path.name}": path.read_text(encoding="utf-8")
        for path in sorted(folder.glob("*.j2"))
    }


def shipped_files(directory: Path | None = None) -> dict[str, str]:
    """What an upgrade may add: the release's mail templates and its schedule (:data:`SCHEDULE`)."""
    folder = directory or shipped_config_directory()
    found = shipped_mail_templates(folder)
    schedule = folder / SCHEDULE
    if schedule.is_file():
        found[SCHEDULE] = schedule.read_text(encoding="utf-8")
    return found


def lacking(files: Mapping[str, str], shipped: Mapping[str, str]) -> dict[str, str]:
    """The shipped files that ``files`` has no file of that name for."""
    return {name: text for name, text in shipped.items() if name not in files}


def complete(
    session: Session, *, shipped: Mapping[str, str] | None = None, now: datetime | None = None
) -> ConfigVersion | None:
    """The new version with the shipped files the one in force lacked; ``None`` when it lacked
    none (or there is no version yet: the first one is made from a whole directory)."""
    current = active(session, now)
    if current is None:
        return None
    added = lacking(current.files, shipped_files() if shipped is None else shipped)
    if SCHEDULE in added and _ever_had(session, SCHEDULE):
        del added[SCHEDULE]
    if not added:
        return None
    names = ", ".join(sorted(added))
    return create(
        session,
        {**current.files, **added},
        author=AUTHOR,
        reason=f"Bổ sung tệp cấu hình mà phiên bản phần mềm mới cần: {names}",
        base_id=current.id,
        now=now,
    )


def _ever_had(session: Session, name: str) -> bool:
    """Whether any stored version, in force or not, has a file ``name``."""
    return any(name in files for files in session.scalars(select(ConfigVersion.files)))
