"""The oversight faces (Đ2.2, R2): a leader's figures of its own agency tree, the province's of
every agency, each number with its sentence, drill-down lists that agree with the number, and
bad input refused on the page with nothing written.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine import stats
from engine.accounts import create_user
from engine.services.lifecycle import Actor
from engine.workflow import Role, State
from tests.web.test_desk_support import (
    MORNING,
    PASSWORD,
    Desk,
    build_desk,
    counts,
    report_in,
    submit,
)

URL = "/ban-xu-ly/thong-ke"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    built = build_desk(tmp_path_factory.mktemp("dashboard"))
    built.clock.value = MORNING
    for agency, how_many in (("SXD", 3), ("SYT", 2)):
        for _ in range(how_many):
            report_in(built.life, State.IN_PROGRESS, agency)
    for latitude in (10.25, 10.26):  # two reports with a place, at the IOC: on the map
        submit(built.life, latitude=latitude, longitude=105.97)
    return built


@pytest.fixture(autouse=True)
def morning(desk: Desk) -> None:
    desk.clock.value = MORNING


def get(desk: Desk, username: str, url: str, status: int = 200) -> str:
    response = desk.client(username).get(url)
    assert response.status_code == status, (username, url, response.status_code)
    return response.get_data(as_text=True)


def figure(html: str, key: str) -> int:
    found = re.search(rf'data-figure="{re.escape(key)}" data-value="(\d+)"', html)
    assert found, key
    return int(found.group(1))


def drills(html: str) -> list[tuple[str, int]]:
    """(link, number shown) of every drill-down link on the page."""
    return [
        (href.replace("&amp;", "&"), int(number))
        for href, number in re.findall(
            r'<a href="([^"]+)" data-testid="drill"[^>]*>(\d+)</a>', html
        )
    ]


def listed(desk: Desk, username: str, url: str) -> int:
    html = get(desk, username, url)
    found = re.search(r'data-testid="search-count" data-total="(\d+)"', html)
    assert found, url
    return int(found.group(1))


def test_a_leader_sees_its_own_agency_and_not_another(desk: Desk) -> None:
    html = get(desk, "lanhdao.sxd", URL)
    assert 'data-scope="agency"' in html and 'id="nav-dashboard"' in html
    assert figure(html, "received") == 3
    assert 'data-agency="SXD"' in html and 'data-agency="SYT"' not in html
    assert stats.EXPLAINED["received"][0] in html
    get(desk, "lanhdao.sxd", f"{URL}?co-quan=SYT", 403)


def test_a_leader_sees_its_overdue_cases_with_the_officer_holding_each(desk: Desk) -> None:
    desk.clock.value = MORNING + timedelta(days=60)  # every handling clock is long past due
    html = get(desk, "lanhdao.sxd", f"{URL}?tu=01/04/2026&den=30/04/2026")
    late = html.split('id="urgent-qua-han"')[1].split("</section>")[0]
    assert len(re.findall(r'data-testid="queue-row"', late)) == 3  # SXD's three, not SYT's two
    assert "Phạm Minh Đức" in late


def test_officers_have_no_dashboard_link_and_no_dashboard(desk: Desk) -> None:
    assert 'id="nav-dashboard"' not in get(desk, "canbo.sxd", "/ban-xu-ly")
    get(desk, "canbo.sxd", URL, 403)


def test_the_province_sees_every_agency_with_a_chart_and_the_explanations(desk: Desk) -> None:
    html = get(desk, "tinh", URL)
    assert 'data-scope="province"' in html
    assert 'data-agency="SXD"' in html and 'data-agency="SYT"' in html
    assert figure(html, "received") >= 5
    assert '<svg class="chart" id="chart-agencies"' in html and "<title" in html
    drawn = html.split('id="chart-map"')[1].split("</svg>")[0]
    assert re.findall(r'<circle [^>]*data-count="(\d+)"', drawn) == ["2"]
    for key in ("received", "by_agency", "series", "top_communes", "ranking"):
        assert stats.EXPLAINED[key][0] in html


def test_the_province_narrowed_to_one_agency_counts_that_agency(desk: Desk) -> None:
    html = get(desk, "tinh", f"{URL}?co-quan=SYT")
    assert "Thống kê của" in html and figure(html, "received") == 2
    assert all(listed(desk, "tinh", link) == number for link, number in drills(html))


def test_a_leader_compares_its_sub_units(desk: Desk) -> None:
    """Sở KH&CN runs the IOC (``parent: SKHCN`` in the configuration): its leader's page has a
    row for the IOC, whose number agrees with its list."""
    with desk.life.uow.begin() as session:
        user = create_user(session, "lanhdao.skhcn", PASSWORD, Role.LEADER, agency="SKHCN")
        session.flush()
        desk.users["lanhdao.skhcn"] = user.id
    html = get(desk, "lanhdao.skhcn", URL)
    assert 'data-unit="IOC"' in html
    assert all(listed(desk, "lanhdao.skhcn", link) == n for link, n in drills(html))


@pytest.mark.parametrize("username", ["tinh", "lanhdao.sxd"])
def test_every_drill_down_lists_exactly_the_reports_of_its_number(
    desk: Desk, username: str
) -> None:
    links = drills(get(desk, username, URL))
    assert links and any(number > 0 for _, number in links)
    for link, number in links:
        assert "/ban-xu-ly/tim-kiem?" in link
        assert listed(desk, username, link) == number, link


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("tu=31/12/2026&den=01/01/2026", "Kỳ báo cáo sai"),
        ("tu=2026-13-45", "không hợp lệ"),
        ("co-quan=KHONGCO", "Không có cơ quan"),
    ],
)
def test_bad_input_is_a_vietnamese_message_and_nothing_is_written(
    desk: Desk, query: str, message: str
) -> None:
    before = counts(desk.life)
    html = get(desk, "tinh", f"{URL}?{query}", 422)
    assert message in html and 'data-figure="received"' not in html
    assert counts(desk.life) == before


def test_the_search_takes_the_period_and_refuses_a_wrong_date(desk: Desk) -> None:
    day = MORNING.strftime("%d/%m/%Y")
    assert listed(desk, "tinh", f"/ban-xu-ly/tim-kiem?tu={day}&den={day}") >= 5
    assert listed(desk, "tinh", "/ban-xu-ly/tim-kiem?tu=01/01/2020&den=02/01/2020") == 0
    html = get(desk, "tinh", "/ban-xu-ly/tim-kiem?tu=abc")
    assert 'id="f-tu-error"' in html


def test_each_step_shows_the_working_time_its_stopped_clocks_used(desk: Desk) -> None:
    """The steps table prints the engine's median and 90th percentile, in working time, and
    the handling step's clocks late within an approved extension (issue 9's figures)."""
    html = get(desk, "tinh", URL)
    table = html.split('id="steps-table"')[1].split("</table>")[0]
    today = MORNING.astimezone(stats.compute._zone(desk.life.snapshot)).date()
    with desk.life.uow.read() as session:
        found = stats.figures(
            session,
            desk.life.snapshot,
            Actor("tinh", Role.PROVINCE_VIEWER),
            stats.Query(start=today.replace(day=1), end=today),
            desk.life.now(),
        )
    assert "Trễ trong gia hạn" in html and stats.EXPLAINED["steps.p90_minutes"][0] in html
    shown = 0
    for name, step in found.steps.items():
        row = table.split(f'data-step="{name}"')[1].split("</tr>")[0]
        minutes = re.findall(r'data-minutes="(\d*)"', row)
        expected = [step.median_minutes, step.p90_minutes]
        assert minutes == ["" if m is None else str(m) for m in expected], name
        shown += step.median_minutes is not None
    assert shown >= 3  # intake, forward and verify have stopped for the forwarded reports
