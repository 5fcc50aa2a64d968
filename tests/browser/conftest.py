"""Pages in a real browser: Debian's Chromium driven by Playwright, against a live local server.

Playwright's own browser download can't work here, so the tests use ``/usr/bin/chromium``. On a
machine without it they skip with the reason — except where ``PHANANH_REQUIRE_BROWSER`` is set
(CI), where a missing browser is a failure. Screenshots go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from engine.accounts import create_user
from engine.store.migrate import upgrade
from engine.workflow import Role
from web import create_app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
#: The password of every staff account the browser tests create.
STAFF_PASSWORD = "mat-khau-thu-nghiem-2026"


def _require_browser() -> None:
    if CHROMIUM:
        return
    reason = "Debian's chromium is not installed here: browser tests skipped"
    if os.environ.get("PHANANH_REQUIRE_BROWSER"):
        pytest.fail(reason.replace("skipped", "cannot run, and this run requires them"))
    pytest.skip(reason)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - Flask app
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'browser.db'}"
    upgrade(url)
    return create_app(
        {
            "CONFIG_DIR": str(ROOT / "config"),
            "DATABASE_URL": url,
            "MEDIA_ROOT": str(folder / "media"),
            "SECRET_KEY": "browser-tests",
        }
    )


@pytest.fixture(scope="session")
def base_url(live_app) -> Iterator[str]:  # noqa: ANN001
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


def _page(
    browser,  # noqa: ANN001
    request: pytest.FixtureRequest,
    viewport: dict[str, int],
) -> Iterator[object]:
    """A new page of ``viewport``'s size in Vietnamese; its screenshot is kept after the test."""
    context = browser.new_context(viewport=viewport, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    # The map's tiles would come from the internet: this machine has none, so refuse them at once.
    context.route("https://**/*", lambda route: route.abort())
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def phone(browser, request: pytest.FixtureRequest) -> Iterator[object]:  # noqa: ANN001
    """A page the size of a phone, in Vietnamese; a screenshot of it is kept after the test."""
    yield from _page(browser, request, PHONE)


@pytest.fixture
def laptop(browser, request: pytest.FixtureRequest) -> Iterator[object]:  # noqa: ANN001
    """A page the size of a laptop's screen (the staff's desk), in Vietnamese; a screenshot of it
    is kept after the test."""
    yield from _page(browser, request, LAPTOP)


@dataclass(frozen=True)
class StaffAccount:
    username: str
    display_name: str
    role: Role
    agency: str | None = None
    password: str = STAFF_PASSWORD


#: The staff accounts of the browser tests: the IOC, and Sở Xây dựng and Sở Y tế's people.
STAFF = (
    StaffAccount("ioc.binh", "Trần Thị Bình", Role.IOC_OPERATOR),
    StaffAccount("sxd.duc", "Phạm Minh Đức", Role.OFFICER, "SXD"),
    StaffAccount("sxd.khoa", "Lý Văn Khoa", Role.OFFICER, "SXD"),
    StaffAccount("sxd.em", "Võ Thị Em", Role.LEADER, "SXD"),
    StaffAccount("syt.phuc", "Ngô Văn Phúc", Role.OFFICER, "SYT"),
)


@pytest.fixture(scope="session")
def staff(live_app) -> dict[str, StaffAccount]:  # noqa: ANN001
    """The accounts of :data:`STAFF`, created once in the live app's database, by username."""
    life = live_app.extensions["phananh.lifecycle"]
    with life.uow.begin() as session:
        for account in STAFF:
            create_user(
                session,
                account.username,
                account.password,
                account.role,
                display_name=account.display_name,
                agency=account.agency,
            )
    return {account.username: account for account in STAFF}
