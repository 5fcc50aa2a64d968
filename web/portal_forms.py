"""The portal's forms (Flask-WTF): a new report, and the reporter's reply, rating and addition.

Each field has its limits and a message in the visitor's language; the completeness rules of the
engine (Đ5.1–5.3: name, phone, place) are asked too, so the page and the use case agree on what a
complete report is. What was typed is never altered here except for surrounding spaces.
"""

from __future__ import annotations

import math
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

try:  # WTForms 3.3 names its choices; older versions take (value, label) pairs
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - WTForms < 3.3
    SelectChoice = None

from engine.config.snapshot import Snapshot
from engine.rules import RulesEngine
from engine.rules.facts import fold
from engine.workflow import RATINGS
from web.i18n import in_language

NAME_MAX = 200
PHONE_MAX = 30
EMAIL_MAX = 254
ADDRESS_MAX = 500
REPLY_MAX = 2000
TOKEN_MAX = 100
#: Where a refusal of the use case is shown: its ``field`` → the form's field.
FIELD_OF = {
    "name": "name",
    "phone": "phone",
    "email": "email",
    "content": "content",
    "place": "area",
    "area": "area",
    "address": "address",
    "sector": "sector",
    "latitude": "latitude",
    "longitude": "latitude",
    "lat": "latitude",
    "lon": "latitude",
    "files": "files",
    "text": "text",
    "rating": "rating",
}


def choice(value: str, label: Any) -> Any:
    return SelectChoice(value, label) if SelectChoice is not None else (value, label)


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def too_long(limit: int) -> Length:
    return Length(max=limit, message=_l("Tối đa %(max)d ký tự.", max=limit))


def coordinate(raw: str | None, limit: float) -> float | None:
    """A latitude or longitude typed or set by the map; ``None`` when empty."""
    if raw is None or not raw.strip():
        return None
    value = float(raw.strip().replace(",", "."))
    if not math.isfinite(value) or abs(value) > limit:
        raise ValueError(raw)
    return value


class ReportForm(FlaskForm):
    """A citizen's report (Đ5): who, what, where, pictures, confidentiality, responsibility."""

    name = StringField(
        _l("Họ và tên"),
        [DataRequired(_l("Vui lòng nhập họ và tên (Đ5.3).")), too_long(NAME_MAX)],
        filters=[strip],
        render_kw={"autocomplete": "name", "maxlength": NAME_MAX},
    )
    phone = StringField(
        _l("Số điện thoại"),
        [DataRequired(_l("Vui lòng nhập số điện thoại (Đ5.3).")), too_long(PHONE_MAX)],
        filters=[strip],
        render_kw={"autocomplete": "tel", "inputmode": "tel", "maxlength": PHONE_MAX},
    )
    email = StringField(
        _l("Thư điện tử (không bắt buộc)"),
        [Optional(), too_long(EMAIL_MAX)],
        filters=[strip],
        render_kw={"autocomplete": "email", "inputmode": "email", "maxlength": EMAIL_MAX},
    )
    content = TextAreaField(
        _l("Nội dung phản ánh"),
        [DataRequired(_l("Vui lòng mô tả sự việc cần phản ánh (Đ5.2)."))],
        render_kw={"rows": 6},
    )
    sector = SelectField(_l("Lĩnh vực (không bắt buộc)"), choices=[], validate_choice=False)
    area = SelectField(_l("Xã, phường nơi xảy ra sự việc"), choices=[], validate_choice=False)
    address = StringField(
        _l("Địa chỉ, nơi xảy ra sự việc"),
        [Optional(), too_long(ADDRESS_MAX)],
        filters=[strip],
        render_kw={"maxlength": ADDRESS_MAX, "autocomplete": "off"},
    )
    latitude = HiddenField()
    longitude = HiddenField()
    files = MultipleFileField(_l("Chọn ảnh, video có sẵn"))
    camera = MultipleFileField(_l("Chụp ảnh ngay"))
    confidential = BooleanField(_l("Giữ bí mật họ tên và địa chỉ của tôi"))
    acknowledge = BooleanField(
        _l("Tôi cam đoan nội dung phản ánh là đúng sự thật và chịu trách nhiệm về nội dung này."),
        [DataRequired(_l("Vui lòng xác nhận chịu trách nhiệm về nội dung phản ánh (Đ5.3)."))],
    )

    def __init__(self, snapshot: Snapshot, rules: RulesEngine, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.snapshot = snapshot
        self.rules = rules
        self.sector.choices = [choice("", _l("— Để Trung tâm phân loại —"))] + [
            choice(code, sector.name) for code, sector in snapshot.sectors.items()
        ]
        areas = sorted(snapshot.areas.values(), key=lambda a: fold(a.name.split(" ", 1)[-1]))
        self.area.choices = [choice("", _l("— Chọn xã, phường —"))] + [
            choice(a.code, a.name) for a in areas
        ]
        self.place: tuple[float, float] | None = None

    # -- one field at a time -------------------------------------------------------------------

    def validate_content(self, field: TextAreaField) -> None:
        limit = self.snapshot.portal.content_max_chars
        if field.data and len(field.data) > limit:
            raise ValidationError(
                _l(
                    "Nội dung dài %(length)d ký tự, vượt quá %(max)d ký tự cho phép.",
                    length=len(field.data),
                    max=limit,
                )
            )

    def validate_sector(self, field: SelectField) -> None:
        if field.data and field.data not in self.snapshot.sectors:
            raise ValidationError(_l("Lĩnh vực này không có trong danh sách."))

    def validate_area(self, field: SelectField) -> None:
        if field.data and field.data not in self.snapshot.areas:
            raise ValidationError(_l("Xã, phường này không có trong danh sách."))

    def validate_latitude(self, field: HiddenField) -> None:
        try:
            latitude = coordinate(field.data, 90)
            longitude = coordinate(self.longitude.data, 180)
        except ValueError:
            raise ValidationError(_l("Vị trí trên bản đồ không hợp lệ.")) from None
        if (latitude is None) != (longitude is None):
            raise ValidationError(_l("Vị trí trên bản đồ thiếu vĩ độ hoặc kinh độ."))
        if latitude is None or longitude is None:
            return
        bounds = self.snapshot.portal.bounds
        if bounds is not None and not bounds.contains(latitude, longitude):
            raise ValidationError(
                _l(
                    "Vị trí đã chọn nằm ngoài địa bàn tỉnh %(province)s.",
                    province=self.snapshot.province,
                )
            )
        self.place = (latitude, longitude)

    # -- the whole report ------------------------------------------------------------------------

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        fact = {
            "name": self.name.data,
            "phone": self.phone.data,
            "email": self.email.data,
            "content": self.content.data,
            "area": self.area.data,
            "address": self.address.data,
            "lat": self.place[0] if self.place else None,
            "lon": self.place[1] if self.place else None,
        }
        for problem in self.rules.check_completeness(fact):
            value = problem.value
            if value["field"] == "place" and self.photos_may_place():
                continue  # a photo's location may still give the place
            field = getattr(self, FIELD_OF.get(value["field"], "content"))
            if not field.errors:
                field.errors = [
                    *field.errors,
                    in_language(value["message_vi"], value["message_en"]),
                ]
                valid = False
        return valid

    def photos_may_place(self) -> bool:
        return any(f.filename for f in self.uploads())

    def uploads(self) -> list[Any]:
        chosen = [*(self.files.data or []), *(self.camera.data or [])]
        return [f for f in chosen if f is not None and getattr(f, "filename", "")]

    def add_error(self, field_name: str | None, message: str) -> None:
        field = getattr(self, FIELD_OF.get(field_name or "", "content"))
        field.errors = [*field.errors, message]

    @property
    def error_count(self) -> int:
        return sum(len(f.errors) for f in self)


class TokenForm(FlaskForm):
    """What every reporter's action carries: the private token and the version they saw."""

    t = HiddenField(validators=[DataRequired(), Length(max=TOKEN_MAX)])
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class ReplyForm(TokenForm):
    """Đ11.1: the reporter asks for the result to be made clearer."""

    text = TextAreaField(
        _l("Phản hồi về kết quả"),
        [DataRequired(_l("Vui lòng nhập nội dung phản hồi.")), too_long(REPLY_MAX)],
        render_kw={"rows": 4, "maxlength": REPLY_MAX},
    )


class AdditionForm(TokenForm):
    """Đ5.3, Đ6: the reporter adds what the Centre asked for."""

    text = TextAreaField(
        _l("Thông tin bổ sung"),
        [DataRequired(_l("Vui lòng nhập thông tin bổ sung.")), too_long(REPLY_MAX)],
        render_kw={"rows": 4, "maxlength": REPLY_MAX},
    )


class RatingForm(TokenForm):
    """Đ11.2: Hài lòng / Chấp nhận được / Không hài lòng."""

    rating = RadioField(
        _l("Đánh giá kết quả xử lý"),
        choices=[choice(value, label) for value, label in RATINGS.items()],
        validators=[DataRequired(_l("Vui lòng chọn một mức đánh giá."))],
        validate_choice=False,
    )

    def validate_rating(self, field: RadioField) -> None:
        if field.data not in RATINGS:
            raise ValidationError(_l("Vui lòng chọn một mức đánh giá."))
