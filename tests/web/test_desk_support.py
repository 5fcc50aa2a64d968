"""Helpers for the desk's tests (no tests here): an app with the desk, staff, reports, HTML.

The database is made by the migrations, as in ``conftest.py``; the desk and (until the app
factory has it) a stand-in sign-in page are registered here if the factory does not. The app's
clock is a :class:`Clockwork` set to a working morning, so that deadlines are exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.accounts import create_user
from engine.services.lifecycle import Actor, Lifecycle, NewReport, Submitted
from engine.store.models import Disclosure, Event, OutboxMessage, Report
from engine.workflow import ACTIONS, Role, State
from tests.apps import make_app
from tests.services.test_lifecycle import INPUTS as LIFECYCLE_INPUTS
from tests.services.test_lifecycle import PATHS  # the shortest way to each state
from web.auth import load_user, session_for

ROOT = Path(__file__).resolve().parents[2]
VN = ZoneInfo("Asia/Ho_Chi_Minh")
PASSWORD = "mat-khau-thu-nghiem"
#: Wednesday 22/4/2026, 08:00 in Vĩnh Long: an ordinary working morning.
MORNING = datetime(2026, 4, 22, 8, 0, tzinfo=VN)
TRANSPORT, HEALTH = "giao-thong-van-tai", "suc-khoe"
PHUOC_HAU = "29557"

#: The staff of the tests: username → (role, agency, display name).
STAFF: dict[str, tuple[Role, str | None, str]] = {
    "ioc": (Role.IOC_OPERATOR, None, "Trần Thị Bình"),
    "quantri": (Role.OPERATOR_ADMIN, None, "Lê Văn Cường"),
    "canbo.sxd": (Role.OFFICER, "SXD", "Phạm Minh Đức"),
    "lanhdao.sxd": (Role.LEADER, "SXD", "Võ Thị Em"),
    "canbo.syt": (Role.OFFICER, "SYT", "Ngô Văn Phúc"),
    "lanhdao.syt": (Role.LEADER, "SYT", "Bùi Thị Quyên"),
    "tinh": (Role.PROVINCE_VIEWER, None, "Đặng Thu Giang"),
    "kiemtra": (Role.AUDITOR, None, "Huỳnh Văn Hải"),
}
#: The account of each role whose agency (if any) is Sở Xây dựng.
OF_ROLE = {
    Role.IOC_OPERATOR: "ioc",
    Role.OPERATOR_ADMIN: "quantri",
    Role.OFFICER: "canbo.sxd",
    Role.LEADER: "lanhdao.sxd",
    Role.PROVINCE_VIEWER: "tinh",
    Role.AUDITOR: "kiemtra",
}


def actor(username: str) -> Actor:
    role, agency, name = STAFF[username]
    return Actor(name, role, agency, username)


class Clockwork:
    """A settable 'now' for the app's use cases and pages."""

    def __init__(self, start: datetime) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value


@dataclass
class Desk:
    app: Flask
    life: Lifecycle
    clock: Clockwork
    users: dict[str, int]

    def client(self, username: str | None) -> FlaskClient:
        """A browser signed in as ``username`` (``None``: nobody)."""
        client = self.app.test_client()
        if username is not None:
            with self.app.app_context():
                marks = session_for(load_user(self.users[username]))
            with client.session_transaction() as session:
                session.update(marks)
        return client


def build_desk(folder: Path, **settings: Any) -> Desk:
    app = make_app(folder, **settings)
    life: Lifecycle = app.extensions["phananh.lifecycle"]
    clock = Clockwork(MORNING)
    life.now = clock
    users = {}
    with life.uow.begin() as session:
        for username, (role, agency, name) in STAFF.items():
            user = create_user(session, username, PASSWORD, role, display_name=name, agency=agency)
            session.flush()
            users[username] = user.id
    return Desk(app, life, clock, users)


# -- reports through the use cases -----------------------------------------------------------------


def submit(life: Lifecycle, **changes: Any) -> str:
    return submitted(life, **changes).code


def submitted(life: Lifecycle, **changes: Any) -> Submitted:
    """A pothole report as the reporter sent it: its code and tracking token."""
    values: dict[str, Any] = {
        "name": "Nguyễn Văn An",
        "phone": "0909 123 456",
        "email": "an.nguyen@example.vn",
        "content": "Đường Phạm Thái Bường có ổ gà lớn trước số 45, xe máy dễ té ngã.",
        "area": PHUOC_HAU,
        "address": "45 Phạm Thái Bường",
    }
    values.update(changes)
    return life.submit(NewReport(**values))


def health_report(life: Lifecycle, **changes: Any) -> Submitted:
    """A report for Sở Y tế (another agency than Sở Xây dựng)."""
    return submitted(
        life,
        content="Cơ sở bán thực phẩm không rõ nguồn gốc, nghi ngộ độc thực phẩm ở chợ.",
        address="Chợ Phước Hậu",
        **changes,
    )


def version_of(life: Lifecycle, code: str) -> int:
    with life.uow.read() as session:
        return session.scalars(select(Report.version).where(Report.code == code)).one()


def state_of(life: Lifecycle, code: str) -> State:
    with life.uow.read() as session:
        return State(session.scalars(select(Report.state).where(Report.code == code)).one())


def perform(life: Lifecycle, who: Actor, code: str, action: str, **inputs: Any) -> State:
    return life.perform(who, code, action, version=version_of(life, code), **inputs).state


#: Valid inputs for each staff action, as the use case takes them: the lifecycle tests' own,
#: without the reporter's actions, and with the sector left to each report.
INPUTS: dict[str, dict[str, Any]] = {
    action: ({} if action == "classify" else values)
    for action, values in LIFECYCLE_INPUTS.items()
    if Role.REPORTER not in ACTIONS[action].roles
}
#: The same, as the desk's form posts them (text; the due time in the province's zone).
FORM_INPUTS: dict[str, dict[str, str]] = {
    action: {k: ("2026-05-29T17:00" if k == "due" else str(v)) for k, v in values.items()}
    for action, values in INPUTS.items()
}

AGENCY_STAFF = {"SXD": ("canbo.sxd", "lanhdao.sxd"), "SYT": ("canbo.syt", "lanhdao.syt")}


def report_in(life: Lifecycle, state: State, agency: str = "SXD", *, feedback: bool = False) -> str:
    """A new report brought to ``state``; once forwarded, it is ``agency``'s (SXD or SYT).

    With ``feedback``, an answered report also has the reporter's reply for the IOC to follow.
    """
    extra = {
        "confidential": state is State.ANSWERED_PRIVATELY,
        "state_secret": state is State.RESTRICTED,
    }
    sent = submitted(life, **extra) if agency == "SXD" else health_report(life, **extra)
    code = sent.code
    sector = TRANSPORT if agency == "SXD" else HEALTH
    officer, leader = (actor(u) for u in AGENCY_STAFF[agency])
    for action in PATHS[state]:
        who = {
            "accept": officer,
            "return_to_ioc": officer,
            "propose_result": officer,
            "approve": leader,
            "publish": leader,
        }.get(action, actor("ioc"))
        inputs = {"sector": sector} if action == "classify" else INPUTS[action]
        perform(life, who, code, action, **inputs)
    if feedback and state in (State.PUBLISHED, State.ANSWERED_PRIVATELY):
        reporter = Actor("người phản ánh", Role.REPORTER)
        life.perform(
            reporter,
            code,
            "reply",
            version=version_of(life, code),
            token=sent.tracking_token,
            text="Xin làm rõ thêm.",
        )
    assert state_of(life, code) is state
    return code


def counts(life: Lifecycle) -> tuple[int, int, int, int]:
    """Events, the sum of versions, outbox messages, disclosures: all equal ⇔ nothing written."""
    with life.uow.read() as session:
        return (
            session.scalar(select(func.count()).select_from(Event)) or 0,
            session.scalar(select(func.sum(Report.version))) or 0,
            session.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
            session.scalar(select(func.count()).select_from(Disclosure)) or 0,
        )


# -- reading pages ---------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def tags(html: str, tag: str | None = None, **attrs: str) -> list[dict[str, str]]:
    """Start tags of ``html`` (of ``tag``) having all ``attrs`` (``data_testid`` → data-testid)."""
    parser = _Tags()
    parser.feed(html)
    wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
    return [
        found
        for name, found in parser.tags
        if (tag is None or name == tag) and all(found.get(k) == v for k, v in wanted.items())
    ]


def forms_on(html: str) -> set[str]:
    """The actions whose form the page shows."""
    return {f["data-action"] for f in tags(html, "form", data_testid="action-form")}


def codes_in(html: str, testid: str = "queue-row") -> list[str]:
    return [row["data-code"] for row in tags(html, data_testid=testid)]


def queue_codes(html: str) -> dict[str, list[str]]:
    """Each queue section of the desk's home page → the codes listed in it."""
    found: dict[str, list[str]] = {}
    parser = _Tags()
    parser.feed(html)
    current = None
    for _, attrs in parser.tags:
        if attrs.get("data-testid") == "queue":
            current = attrs["data-queue"]
            found[current] = []
        elif attrs.get("data-testid") == "queue-row" and current is not None:
            found[current].append(attrs["data-code"])
    return found


def text_of(html: str) -> str:
    import re

    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def iter_roles() -> Iterator[Role]:
    yield from OF_ROLE
