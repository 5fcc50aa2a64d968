"""Flask-Admin views over the configuration (issue 6).

``init_app(app)`` mounts the administration at ``/admin`` (Vietnamese, Flask-Admin's bundled
bootstrap4 theme, its static files served from the package): an editor for each kind of entry of
the configuration (sectors, agencies, areas, routing, deadlines, calendar, templates), the staff
accounts, and the versions with their diffs, rollback, the raw files and the what-if replay. Every
save of the configuration goes through :mod:`admin.saving` (one validation path, a new version).
``operator_admin`` may change; ``auditor`` reads (no POST).
"""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from admin.agencies import AgenciesView
from admin.areas import AreasView
from admin.calendar import CalendarView
from admin.deadlines import DeadlinesView
from admin.routing import RoutingView
from admin.sectors import SectorsView
from admin.templates_view import TemplatesView
from admin.users import UsersView
from admin.views import FilesView, HomeView, VersionsView, WhatIfView

NAME = "Quản trị cấu hình"


def init_app(app: Flask) -> Admin:
    """Mount the administration on ``app`` at ``/admin``."""
    admin = Admin(
        app,
        name=NAME,
        url="/admin",
        index_view=HomeView(name="Trang chủ", url="/admin"),
        theme=Bootstrap4Theme(),
    )
    # In the order an administrator thinks of them: what is handled, by whom, where, then when,
    # then the texts, the people, and the history; menus keep the bar on one line.
    lists, time, history = "Danh mục và phân công", "Thời hạn và lịch", "Phiên bản"
    admin.add_views(
        SectorsView(name="Lĩnh vực", category=lists, endpoint="linh_vuc", url="linh-vuc"),
        AgenciesView(name="Cơ quan xử lý", category=lists, endpoint="co_quan", url="co-quan"),
        AreasView(name="Địa bàn", category=lists, endpoint="dia_ban", url="dia-ban"),
        RoutingView(name="Phân công xử lý", category=lists, endpoint="phan_cong", url="phan-cong"),
        DeadlinesView(name="Thời hạn các bước", category=time, endpoint="thoi_han", url="thoi-han"),
        CalendarView(
            name="Lịch làm việc", category=time, endpoint="lich_lam_viec", url="lich-lam-viec"
        ),
        TemplatesView(name="Mẫu văn bản", endpoint="mau", url="mau"),
        UsersView(name="Người dùng và vai trò", endpoint="nguoi_dung", url="nguoi-dung"),
        VersionsView(
            name="Phiên bản cấu hình", category=history, endpoint="phien_ban", url="phien-ban"
        ),
        FilesView(
            name="Tệp cấu hình", category=history, endpoint="tep_cau_hinh", url="tep-cau-hinh"
        ),
        WhatIfView(
            name="Thử thay đổi (what-if)",
            category=history,
            endpoint="thu_thay_doi",
            url="thu-thay-doi",
        ),
    )
    return admin
