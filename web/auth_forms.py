"""The forms of signing in (Flask-WTF, so each carries its CSRF token). Staff pages: Vietnamese."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from engine.accounts import MAX_PASSWORD


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class SignInForm(FlaskForm):
    username = StringField(
        "Tên đăng nhập",
        filters=[strip],
        validators=[
            DataRequired("Hãy nhập tên đăng nhập."),
            Length(max=200, message="Tên đăng nhập quá dài."),
        ],
    )
    password = PasswordField(
        "Mật khẩu",
        validators=[
            DataRequired("Hãy nhập mật khẩu."),
            Length(max=MAX_PASSWORD, message="Mật khẩu quá dài."),
        ],
    )
    next = HiddenField()


class CodeForm(FlaskForm):
    code = StringField(
        "Mã xác thực (6 chữ số)",
        filters=[strip],
        validators=[
            DataRequired("Hãy nhập mã 6 chữ số đang hiện trên ứng dụng xác thực."),
            Length(max=12, message="Mã xác thực gồm 6 chữ số."),
        ],
    )
