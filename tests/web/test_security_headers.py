"""Every page carries the security headers, HSTS in production, and production needs its key."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from cli.main import main
from tests.apps import ROOT, make_app
from web import create_app
from web.runtime import StartRefused

BROWSER_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def assert_page_headers(answer) -> None:  # noqa: ANN001 - a TestResponse
    policy = answer.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, policy
    for name, value in BROWSER_HEADERS.items():
        assert answer.headers.get(name) == value, name


def test_the_public_configuration_page_has_them(client: FlaskClient) -> None:
    answer = client.get("/linh-vuc")
    assert answer.status_code == 200
    assert_page_headers(answer)
    assert "Strict-Transport-Security" not in answer.headers  # plain http in the local demo


def test_the_generic_not_found_page_has_them(client: FlaskClient) -> None:
    answer = client.get("/khong-co-trang-nay")
    assert answer.status_code == 404 and "Không tìm thấy" in answer.get_data(as_text=True)
    assert_page_headers(answer)


def test_static_files_and_json_are_not_sniffed(client: FlaskClient) -> None:
    for path in ("/static/style.css", "/api/v1/openapi.json"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path


def test_the_portal_keeps_its_own_policy_with_the_map_tiles(client: FlaskClient) -> None:
    """The hook for every page fills in what is missing; it does not replace a page's own."""
    answer = client.get("/gui-phan-anh")
    assert answer.status_code == 200
    assert "tile" in answer.headers["Content-Security-Policy"]
    assert_page_headers(answer)


def test_production_answers_carry_hsts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PHANANH_ENV", raising=False)
    production = make_app(tmp_path, PHANANH_ENV="production").test_client()
    for path in ("/linh-vuc", "/khong-co", "/api/v1/openapi.json", "/dang-nhap"):
        answer = production.get(path)
        assert answer.headers.get("Strict-Transport-Security") == (
            "max-age=31536000; includeSubDomains"
        ), path


def test_production_refuses_to_start_without_a_secret_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PHANANH_ENV", "production")
    settings = {"CONFIG_DIR": str(ROOT / "config"), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    with pytest.raises(StartRefused) as refused:
        create_app(settings)
    message = str(refused.value)
    assert "SECRET_KEY" in message and "PHANANH_ENV=production" in message
    assert "\n" not in message
    assert not (tmp_path / "x.db").exists()  # refused before anything was opened
    monkeypatch.setenv("SECRET_KEY", "   ")
    with pytest.raises(StartRefused):
        create_app(settings)


def test_serve_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PHANANH_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/serve.db")
    assert main(["serve", "--port", "5999"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("phananh: lỗi: ") and "SECRET_KEY" in err
