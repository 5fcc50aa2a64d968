"""What the tests of the entity editors (sectors, agencies, areas) share."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine import configstore
from engine.config.snapshot import Snapshot
from engine.services.lifecycle import Actor, NewReport
from engine.workflow import Role
from web.runtime import lifecycle, reload_now

IOC = Actor("Trần Thị Bình", Role.IOC_OPERATOR)


def active(app: Flask) -> tuple[int, dict[str, str]]:
    """The id and the files of the version in force."""
    with app.app_context(), lifecycle().uow.read() as session:
        version = configstore.active(session)
        assert version is not None
        return version.id, dict(version.files)


def history(app: Flask) -> list[configstore.VersionInfo]:
    with app.app_context(), lifecycle().uow.read() as session:
        return configstore.history(session)


def snapshot(app: Flask) -> Snapshot:
    """The snapshot the next request will use (after the reload a save triggers)."""
    with app.app_context():
        reload_now(app)
        return lifecycle().snapshot


def page(answer: TestResponse) -> str:
    return html.unescape(answer.get_data(as_text=True))


def field_error(text: str, name: str) -> str:
    """The error shown next to field ``name`` (empty when there is none)."""
    found = re.search(rf'id="loi-{re.escape(name)}"[^>]*>(.*?)</div>\s*</div>', text, re.S)
    return re.sub(r"<[^>]+>", " ", found.group(1)) if found else ""


def general_errors(text: str) -> str:
    found = re.search(r'<div class="alert alert-danger" id="errors".*?</div>', text, re.S)
    return found.group(0) if found else ""


def _problems(text: str) -> str:
    """A refused page's errors, for an assertion's message."""
    found = re.findall(r'(?:id="errors"|class="invalid-feedback[^"]*").*?</div>', text, re.S)
    return "\n".join(found) or text[-2000:]


def flashed(client: FlaskClient, answer: TestResponse) -> str:
    """The page a successful save redirects to (with its flashed message)."""
    assert answer.status_code == 302, _problems(page(answer))
    return page(client.get(answer.headers["Location"]))


def submit_report(app: Flask, *, sector: str | None = None, area: str = "29557") -> str:
    """A citizen's report (through the engine's Lifecycle) naming ``sector`` and ``area``."""
    return _submit(app, sector, area)[0]


def _submit(app: Flask, sector: str | None, area: str) -> tuple[str, int]:
    with app.app_context():
        life = lifecycle()
        submitted = life.submit(
            NewReport(
                name="Nguyễn Văn An",
                phone="0909 123 456",
                content="Đường Phạm Thái Bường có ổ gà lớn trước số 45, xe máy dễ té ngã.",
                area=area,
                address="45 Phạm Thái Bường",
                sector=sector,
            )
        )
        return submitted.code, submitted.version


def forwarded_report(app: Flask, sector: str, area: str = "29557") -> str:
    """A report classified in ``sector`` and forwarded by the IOC to the agency routing picks."""
    code, version = _submit(app, sector, area)
    with app.app_context():
        life = lifecycle()
        outcome = life.perform(IOC, code, "classify", version=version, sector=sector)
        life.perform(IOC, code, "forward", version=outcome.version)
    return code


def later(days: int = 3) -> str:
    """A local date and time ``days`` from now, as the form's "áp dụng từ" sends it."""
    return (datetime.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def cancel(app: Flask, version_id: int) -> None:
    """Withdraw a scheduled version, so that the next tests start from the version in force."""
    with app.app_context(), lifecycle().uow.begin() as session:
        configstore.cancel(session, version_id)
