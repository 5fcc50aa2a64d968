"""Users and roles at /admin/nguoi-dung/ (issue 6 point 1): list, create, change, Đ14.1 coverage."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine import accounts, throttle
from engine.store.models import ApiToken, User
from engine.workflow import Role
from tests.admin.conftest import PASSWORD, signed_in, user_id
from web.runtime import lifecycle

PAGE = "/admin/nguoi-dung/"
NEW = PAGE + "tao"
OTHER_PASSWORD = "mat-khau-moi-34567"


def _add(app: Flask, username: str, role: Role, agency: str | None = None) -> int:
    with app.app_context(), lifecycle().uow.begin() as session:
        user = accounts.create_user(session, username, PASSWORD, role, agency=agency)
        session.flush()
        return user.id


def _row(app: Flask, username: str) -> User:
    with app.app_context(), lifecycle().uow.read() as session:
        user = accounts.find_user(session, username)
        assert user is not None
        session.expunge(user)
        return user


def _count(app: Flask) -> int:
    with app.app_context(), lifecycle().uow.read() as session:
        return session.scalar(select(func.count()).select_from(User))


def _field_error(page: str, field: str) -> str:
    found = re.search(rf'id="loi-{field}" role="alert">([^<]*)<', page)
    assert found, f"no error beside {field}"
    return found.group(1)


def _new(**fields: str) -> dict[str, str]:
    form = {
        "ten_dang_nhap": "canbo.moi",
        "ho_ten": "Nguyễn Thị Mới",
        "vai_tro": "officer",
        "co_quan": "SCT",
        "mat_khau": PASSWORD,
        "mat_khau_lai": PASSWORD,
    }
    return {**form, **fields}


def test_the_list_shows_accounts_and_flags_agencies_without_a_leader(
    admin_client: FlaskClient,
) -> None:
    answer = admin_client.get(PAGE)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    row = re.search(r'<tr id="account-can-bo">(.*?)</tr>', page, re.S)
    assert row is not None
    assert "Cán bộ đầu mối của cơ quan" in row.group(1)
    assert "SXD — Sở Xây dựng" in row.group(1) and "Đang hoạt động" in row.group(1)
    assert "Chưa đăng nhập" in row.group(1)
    assert 'id="account-quan-tri"' in page and "Quản trị hệ thống" in page
    alert = page.index('id="coverage-missing"')
    assert alert < page.index('id="accounts"')  # at the top, before the list
    assert "Cơ quan chưa có lãnh đạo hoặc cán bộ đầu mối (Điều 14 khoản 1)" in page
    sxd = re.search(r'id="thieu-SXD">(.*?)</li>', page, re.S)
    assert sxd is not None and "chưa có lãnh đạo" in sxd.group(1)
    assert "cán bộ đầu mối" not in sxd.group(1)  # it has its officer
    assert 'id="thieu-IOC"' not in page and 'id="thieu-UBND-TINH"' not in page  # not handling


def test_the_list_filters_by_role_and_agency_and_searches(
    app: Flask, admin_client: FlaskClient
) -> None:
    _add(app, "lanhdao.syt", Role.LEADER, "SYT")
    leaders = admin_client.get(PAGE, query_string={"vai_tro": "leader"}).get_data(as_text=True)
    assert 'id="account-lanhdao.syt"' in leaders and 'id="account-can-bo"' not in leaders
    syt = admin_client.get(PAGE, query_string={"co_quan": "SYT"}).get_data(as_text=True)
    assert 'id="account-lanhdao.syt"' in syt and 'id="account-quan-tri"' not in syt
    found = admin_client.get(PAGE, query_string={"q": "xay dung"}).get_data(as_text=True)
    assert 'id="account-can-bo"' in found and 'id="account-lanhdao.syt"' not in found
    covered = re.search(r'id="thieu-SYT">(.*?)</li>', syt, re.S)
    assert covered is not None and "chưa có cán bộ đầu mối" in covered.group(1)


def test_an_administrator_creates_an_account(app: Flask, admin_client: FlaskClient) -> None:
    answer = admin_client.post(NEW, data=_new())
    assert answer.status_code == 302
    row = _row(app, "canbo.moi")
    assert (row.role, row.agency, row.display_name) == ("officer", "SCT", "Nguyễn Thị Mới")
    assert row.active and accounts.check_password(PASSWORD, row.password_hash)
    page = admin_client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Đã tạo tài khoản &#39;canbo.moi&#39;" in page and "SCT — Sở Công Thương" in page
    # the change is on record (R25): who made the account, when, with which role and agency
    history = page.split('id="nhat-ky"', 1)[1]
    assert "(quan-tri)" in history and "tạo tài khoản, vai trò" in history and "SCT" in history
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", history)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"mat_khau_lai": PASSWORD + "x"}, "mat_khau_lai", "Hai lần nhập mật khẩu không khớp"),
        ({"mat_khau": "ngan", "mat_khau_lai": "ngan"}, "mat_khau", "ít nhất 10 ký tự"),
        ({"co_quan": ""}, "co_quan", "hãy chọn cơ quan (Điều 14 khoản 1)"),
        ({"vai_tro": "ioc_operator"}, "co_quan", "để trống ô Cơ quan"),
        ({"co_quan": "SO-KHONG-CO"}, "co_quan", "Không có cơ quan 'SO-KHONG-CO'"),
        ({"ten_dang_nhap": "có dấu"}, "ten_dang_nhap", "không hợp lệ"),
        ({"ten_dang_nhap": "can-bo"}, "ten_dang_nhap", "đã tồn tại"),
        ({"vai_tro": "reporter", "co_quan": ""}, "vai_tro", "Người phản ánh không có"),
    ],
)
def test_a_refused_account_is_422_beside_its_field_and_creates_nothing(
    app: Flask, admin_client: FlaskClient, fields: dict[str, str], field: str, message: str
) -> None:
    before = _count(app)
    answer = admin_client.post(NEW, data=_new(**{"ten_dang_nhap": "tu-choi", **fields}))
    assert answer.status_code == 422
    page = answer.get_data(as_text=True).replace("&#39;", "'")
    assert message in _field_error(page, field)
    assert "không có gì thay đổi" in page
    assert _count(app) == before
    assert 'value="Nguyễn Thị Mới"' in page  # what was typed is kept…
    assert PASSWORD not in page  # …but never a password


def test_changing_the_role_and_agency(app: Flask, admin_client: FlaskClient) -> None:
    uid = _add(app, "doi.vai-tro", Role.OFFICER, "SXD")
    url = f"{PAGE}{uid}/sua"
    answer = admin_client.post(
        url, data={"ho_ten": "Lê Văn Đổi", "vai_tro": "leader", "co_quan": "SNNMT"}
    )
    assert answer.status_code == 302
    row = _row(app, "doi.vai-tro")
    assert (row.role, row.agency, row.display_name) == ("leader", "SNNMT", "Lê Văn Đổi")
    page = admin_client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "vai trò Cán bộ đầu mối của cơ quan → Lãnh đạo cơ quan" in page
    # The rules of create_user hold: an IOC operator works for no agency.
    refused = admin_client.post(
        url, data={"ho_ten": "x", "vai_tro": "ioc_operator", "co_quan": "SNNMT"}
    )
    assert refused.status_code == 422
    assert "để trống ô Cơ quan" in _field_error(refused.get_data(as_text=True), "co_quan")
    assert _row(app, "doi.vai-tro").role == "leader"
    moved = admin_client.post(url, data={"ho_ten": "x", "vai_tro": "ioc_operator", "co_quan": ""})
    assert moved.status_code == 302
    assert (_row(app, "doi.vai-tro").role, _row(app, "doi.vai-tro").agency) == (
        "ioc_operator",
        None,
    )


def test_a_deactivated_account_cannot_sign_in_until_reactivated(
    app: Flask, admin_client: FlaskClient
) -> None:
    uid = _add(app, "se.ngung", Role.AUDITOR)
    with app.app_context(), lifecycle().uow.begin() as session:
        user = accounts.find_user(session, "se.ngung")
        accounts.issue_token(session, user, datetime.now(UTC), timedelta(hours=1))
    session_of_theirs = signed_in(app, "se.ngung")
    assert session_of_theirs.get(PAGE).status_code == 200
    answer = admin_client.post(f"{PAGE}{uid}/ngung")
    assert answer.status_code == 302
    assert not _row(app, "se.ngung").active
    page = admin_client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "đã ngừng tài khoản, thu hồi 1 mã truy cập API" in page
    with app.app_context(), lifecycle().uow.read() as session:
        assert session.scalars(select(ApiToken.revoked_at).where(ApiToken.user_id == uid)).all()
        assert (
            None
            not in session.scalars(select(ApiToken.revoked_at).where(ApiToken.user_id == uid)).all()
        )
    assert session_of_theirs.get(PAGE).status_code == 302  # the open session ends at once
    refused = app.test_client().post(
        "/dang-nhap", data={"username": "se.ngung", "password": PASSWORD}
    )
    assert "Tài khoản này đã ngừng hoạt động" in refused.get_data(as_text=True)
    assert admin_client.post(f"{PAGE}{uid}/mo-lai").status_code == 302
    again = app.test_client().post(
        "/dang-nhap", data={"username": "se.ngung", "password": PASSWORD}
    )
    assert again.status_code == 303
    with app.app_context(), lifecycle().uow.read() as session:
        recorded = [c.what for c in accounts.changes(session, "se.ngung")]
    assert recorded == ["đã mở lại tài khoản", "đã ngừng tài khoản, thu hồi 1 mã truy cập API"]


def test_unlock_reset_totp_password_and_tokens(app: Flask, admin_client: FlaskClient) -> None:
    uid = _add(app, "can.giup", Role.IOC_OPERATOR)
    now = datetime.now(UTC)
    with app.app_context(), lifecycle().uow.begin() as session:
        user = accounts.find_user(session, "can.giup")
        for _ in range(5):
            throttle.record_failure(
                session, throttle.Attempt("203.0.113.9", "can.giup"), "password", now
            )
        user.totp_secret = accounts.new_totp_secret()
        accounts.issue_token(session, user, now, timedelta(hours=1))
    page = admin_client.get(f"{PAGE}{uid}/").get_data(as_text=True)
    assert '<span class="text-danger">5 lần</span>' in page and 'id="account-totp">Đã bật' in page
    assert page.count('class="sign-in-failure"') == 5 and "203.0.113.9" in page
    listed = admin_client.get(PAGE).get_data(as_text=True)
    assert "5 lần đăng nhập sai trong 24 giờ qua" in listed
    assert 'id="account-tokens">1<' in page
    for action in ("mo-khoa", "dat-lai-2fa", "thu-hoi-ma"):
        assert admin_client.post(f"{PAGE}{uid}/{action}").status_code == 302, action
    row = _row(app, "can.giup")
    assert row.totp_secret is None
    page = admin_client.get(f"{PAGE}{uid}/").get_data(as_text=True)
    assert 'id="account-tokens">0<' in page and 'id="account-failures">Không có<' in page
    assert "đã xóa 5 lần đăng nhập sai khỏi thời gian chờ" in page  # the record of changes
    mismatch = admin_client.post(
        f"{PAGE}{uid}/mat-khau", data={"mat_khau": OTHER_PASSWORD, "mat_khau_lai": "khac"}
    )
    assert mismatch.status_code == 422
    assert "không khớp" in _field_error(mismatch.get_data(as_text=True), "mat_khau_lai")
    weak = admin_client.post(f"{PAGE}{uid}/mat-khau", data={"mat_khau": "x", "mat_khau_lai": "x"})
    assert weak.status_code == 422 and "ít nhất 10 ký tự" in weak.get_data(as_text=True)
    assert accounts.check_password(PASSWORD, _row(app, "can.giup").password_hash)
    done = admin_client.post(
        f"{PAGE}{uid}/mat-khau", data={"mat_khau": OTHER_PASSWORD, "mat_khau_lai": OTHER_PASSWORD}
    )
    assert done.status_code == 302
    assert accounts.check_password(OTHER_PASSWORD, _row(app, "can.giup").password_hash)
    assert admin_client.post(f"{PAGE}{uid}/khong-co").status_code == 404
    assert admin_client.get(f"{PAGE}999999/").status_code == 404


def test_an_administrator_cannot_deactivate_or_demote_themselves(
    app: Flask, admin_client: FlaskClient
) -> None:
    own = user_id(app, "quan-tri")
    answer = admin_client.post(f"{PAGE}{own}/ngung")
    assert answer.status_code == 422
    assert "Không thể ngừng tài khoản của chính mình" in answer.get_data(as_text=True)
    assert _row(app, "quan-tri").active
    demoted = admin_client.post(
        f"{PAGE}{own}/sua", data={"ho_ten": "Quản trị", "vai_tro": "auditor", "co_quan": ""}
    )
    assert demoted.status_code == 422
    assert "chính mình" in _field_error(demoted.get_data(as_text=True), "vai_tro")
    assert _row(app, "quan-tri").role == "operator_admin"
    renamed = admin_client.post(
        f"{PAGE}{own}/sua",
        data={"ho_ten": "Quản trị viên", "vai_tro": "operator_admin", "co_quan": ""},
    )
    assert renamed.status_code == 302 and _row(app, "quan-tri").display_name == "Quản trị viên"


def test_the_auditor_reads_but_cannot_change(app: Flask, auditor_client: FlaskClient) -> None:
    page = auditor_client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="account-can-bo"' in html and "chỉ được xem" in html
    assert 'id="tao-tai-khoan"' not in html
    target = user_id(app, "can-bo")
    account = auditor_client.get(f"{PAGE}{target}/").get_data(as_text=True)
    assert "Tài khoản can-bo" in account and "<form" not in account.split("<h1>")[1]
    assert auditor_client.get(NEW).status_code == 403
    before = _count(app)
    assert auditor_client.post(NEW, data=_new(ten_dang_nhap="kiem-tra-tao")).status_code == 403
    assert _count(app) == before
    assert auditor_client.post(f"{PAGE}{target}/ngung").status_code == 403
    assert (
        auditor_client.post(
            f"{PAGE}{target}/sua", data={"ho_ten": "x", "vai_tro": "leader", "co_quan": "SXD"}
        ).status_code
        == 403
    )
    assert _row(app, "can-bo").active and _row(app, "can-bo").role == "officer"


def test_other_staff_are_refused(app: Flask) -> None:
    assert signed_in(app, "can-bo").get(PAGE).status_code == 403
    anonymous = signed_in(app, None).get(PAGE)
    assert anonymous.status_code == 302 and "/dang-nhap" in anonymous.headers["Location"]


def test_a_password_reset_ends_that_accounts_sessions_and_tokens(
    app: Flask, admin_client: FlaskClient
) -> None:
    uid = _add(app, "mat.khau.lo", Role.IOC_OPERATOR)
    victim = signed_in(app, "mat.khau.lo")
    assert victim.get("/tai-khoan").status_code == 200
    now = datetime.now(UTC)
    with app.app_context(), lifecycle().uow.begin() as session:
        user = accounts.find_user(session, "mat.khau.lo")
        token, _ = accounts.issue_token(session, user, now, timedelta(hours=12))
    done = admin_client.post(
        f"{PAGE}{uid}/mat-khau", data={"mat_khau": OTHER_PASSWORD, "mat_khau_lai": OTHER_PASSWORD}
    )
    assert done.status_code == 302
    assert victim.get("/tai-khoan").status_code == 302  # sent to sign in again
    with app.app_context(), lifecycle().uow.read() as session:
        assert accounts.token_owner(session, token, now) is None
        recorded = accounts.changes(session, "mat.khau.lo")[0].what
    assert recorded == ("đặt lại mật khẩu, kết thúc các phiên đăng nhập, thu hồi 1 mã truy cập API")
    page = admin_client.get(f"{PAGE}{uid}/").get_data(as_text=True)
    assert "kết thúc các phiên đăng nhập, thu hồi 1 mã truy cập API" in page


def test_an_administrators_own_reset_keeps_this_session_only(app: Flask) -> None:
    _add(app, "quan-tri.hai", Role.OPERATOR_ADMIN)
    here, elsewhere = signed_in(app, "quan-tri.hai"), signed_in(app, "quan-tri.hai")
    own = user_id(app, "quan-tri.hai")
    done = here.post(
        f"{PAGE}{own}/mat-khau", data={"mat_khau": OTHER_PASSWORD, "mat_khau_lai": OTHER_PASSWORD}
    )
    assert done.status_code == 302
    assert here.get(f"{PAGE}{own}/").status_code == 200
    assert elsewhere.get(f"{PAGE}{own}/").status_code == 302
