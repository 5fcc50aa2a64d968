"""The site's icon: browsers ask for ``/favicon.ico`` on every site, and the pages name an SVG."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from PIL import Image


def test_favicon_ico_is_an_icon_not_a_404(client: FlaskClient) -> None:
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200
    assert answer.mimetype == "image/vnd.microsoft.icon"
    assert "max-age=86400" in answer.headers["Cache-Control"]
    icon = Image.open(io.BytesIO(answer.data))
    assert icon.format == "ICO"
    assert {(16, 16), (32, 32)} <= set(icon.info["sizes"])


def test_pages_name_the_svg_icon_which_is_served(client: FlaskClient) -> None:
    for path in ("/", "/gui-phan-anh", "/dang-nhap"):
        html = client.get(path).get_data(as_text=True)
        assert 'rel="icon" href="/static/favicon.svg"' in html, path
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data
