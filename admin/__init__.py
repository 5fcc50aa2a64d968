"""Flask-Admin views over the configuration (issue 6).

``init_app(app)`` mounts the administration at ``/admin`` (Vietnamese, Flask-Admin's bundled
bootstrap4 theme, its static files served from the package): the versions of the configuration
with their diffs and a rollback, an editor of the files of the version in force (each save checked
by the same schemas and cross-checks as the YAML files, with a sandboxed preview of templates), and
a what-if replay of an edit. ``operator_admin`` may change; ``auditor`` reads (no POST).
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
    admin.add_view(VersionsView(name="Phiên bản cấu hình", endpoint="phien_ban", url="phien-ban"))
    admin.add_view(FilesView(name="Tệp cấu hình", endpoint="tep_cau_hinh", url="tep-cau-hinh"))
    admin.add_view(
        WhatIfView(name="Thử thay đổi (what-if)", endpoint="thu_thay_doi", url="thu-thay-doi")
    )
    admin.add_view(UsersView(name="Người dùng và vai trò", endpoint="nguoi_dung", url="nguoi-dung"))
    admin.add_view(RoutingView(name="Phân công xử lý", endpoint="phan_cong", url="phan-cong"))
    admin.add_view(
        CalendarView(name="Lịch làm việc", endpoint="lich_lam_viec", url="lich-lam-viec")
    )
    admin.add_view(DeadlinesView(name="Thời hạn các bước", endpoint="thoi_han", url="thoi-han"))
    admin.add_view(TemplatesView(name="Mẫu văn bản", endpoint="mau", url="mau"))
    admin.add_view(SectorsView(name="Lĩnh vực", endpoint="linh_vuc", url="linh-vuc"))
    admin.add_view(AgenciesView(name="Cơ quan xử lý", endpoint="co_quan", url="co-quan"))
    admin.add_view(AreasView(name="Địa bàn", endpoint="dia_ban", url="dia-ban"))
    return admin
