"""A sector's extra fields (``sectors[].fields``) as WTForms fields, generated from the configuration.

:func:`fields_form` makes one ``wtforms.Form`` for one sector and one stage: the portal shows one
per sector with questions for the citizen (stage ``report``), the desk one in the officer's result
form (stage ``result``). Each field's only validator is :func:`engine.sector_fields.check_value`,
so the page refuses exactly what the use case refuses, with the same sentences (in the page's
language); :meth:`SectorFieldsForm.values` gives what the use case then checks again and stores.

The forms have no CSRF token of their own: they are parts of a page's form that has one. Their
fields are named ``<prefix>-<code>`` (on the portal ``moi-truong-loai_o_nhiem``, on the desk
``extra-khoi_luong_thu_gom``), so the groups of several sectors can stand in one page.

How each type is shown: ``text`` a line, ``textarea`` a box, ``number`` and ``integer`` a line
with a numeric keyboard (a decimal comma is accepted), ``date`` a date input, ``choice`` a list,
``multichoice`` checkboxes, ``boolean`` two radio buttons (Có / Không), so that "not answered"
stays possible for an optional one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from wtforms import (
    Form,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.core import Field
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from engine.config.snapshot import Sector, SectorField
from engine.sector_fields import (
    NO,
    TEXT_MAX,
    TEXTAREA_MAX,
    YES,
    Checked,
    FieldProblem,
    check,
    check_value,
)

try:  # WTForms 3.3 names its choices; older versions take (value, label) pairs
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - WTForms < 3.3
    SelectChoice = None

#: The empty first option of a list, by language.
PICK = {"vi": "— Chọn —", "en": "— Choose —"}
#: How each type is shown (the templates' ``field.kind``).
KINDS = {
    "text": "text",
    "textarea": "textarea",
    "number": "number",
    "integer": "number",
    "date": "date",
    "choice": "select",
    "multichoice": "checkboxes",
    "boolean": "radio",
}


def _choice(value: str, label: str) -> Any:
    return SelectChoice(value, label) if SelectChoice is not None else (value, label)


def _in(lang: str, vi: str, en: str | None) -> str:
    return en if lang == "en" and en else vi


class Checks:
    """The engine's check of one field, as a WTForms validator (and the field's ``required`` flag)."""

    def __init__(self, definition: SectorField, lang: str) -> None:
        self.definition = definition
        self.lang = lang
        self.field_flags = {"required": True} if definition.required else {}

    def __call__(self, form: Form, field: Field) -> None:
        _, problem = check_value(self.definition, field.data)
        if problem is not None:
            raise ValidationError(_in(self.lang, problem.message_vi, problem.message_en))


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes, which read better on a phone than a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _unbound(definition: SectorField, lang: str) -> Any:
    label = _in(lang, definition.label, definition.label_en)
    description = _in(lang, definition.help or "", definition.help_en)
    options: dict[str, Any] = {
        "label": label,
        "description": description,
        "validators": [Checks(definition, lang)],
    }
    choices = [_choice(c.code, _in(lang, c.label, c.label_en)) for c in definition.choices]
    kind = definition.type
    if kind == "textarea":
        return TextAreaField(render_kw={"rows": 3, "maxlength": TEXTAREA_MAX}, **options)
    if kind == "choice":
        first = _choice("", PICK.get(lang, PICK["vi"]))
        return SelectField(choices=[first, *choices], validate_choice=False, **options)
    if kind == "multichoice":
        return MultiCheckboxField(choices=choices, validate_choice=False, **options)
    if kind == "boolean":
        yes_no = [_choice("true", _in(lang, *YES)), _choice("false", _in(lang, *NO))]
        return RadioField(choices=yes_no, validate_choice=False, **options)
    render: dict[str, Any] = {"maxlength": TEXT_MAX, "autocomplete": "off"}
    if kind == "number":
        render |= {"inputmode": "decimal", "maxlength": 30}
    elif kind == "integer":
        render |= {"inputmode": "numeric", "maxlength": 30}
    elif kind == "date":
        render |= {"type": "date", "maxlength": 10}
    return StringField(render_kw=render, **options)


class SectorFieldsForm(Form):
    """The extra fields of one sector at one stage; fields carry ``definition`` and ``kind``."""

    sector: Sector
    stage: str
    lang: str

    def raw(self) -> dict[str, Any]:
        """What was typed or chosen, by field code, as the engine takes it."""
        return {field.definition.code: field.data for field in self}

    def checked(self) -> Checked:
        return check(self.sector, self.raw(), self.stage)

    def values(self) -> dict[str, Any]:
        """The values to store (call after :meth:`validate`; invalid ones are left out)."""
        return self.checked().values

    def add_problems(self, problems: Iterable[FieldProblem]) -> None:
        """Put the use case's refusals next to their fields."""
        by_code = {field.definition.code: field for field in self}
        for problem in problems:
            field = by_code.get(problem.code)
            if field is not None:
                message = _in(self.lang, problem.message_vi, problem.message_en)
                field.errors = [*field.errors, message]

    @property
    def with_errors(self) -> list[Field]:
        return [field for field in self if field.errors]


def fields_form(
    sector: Sector | None,
    stage: str,
    *,
    prefix: str,
    lang: str = "vi",
    formdata: Any = None,
    values: Mapping[str, Any] | None = None,
) -> SectorFieldsForm | None:
    """The form of ``sector``'s fields at ``stage``; ``None`` when it has none.

    ``formdata`` is what the browser posted (the fields are read from it); ``values`` are stored
    values to start from (a new proposal after the leader returned the result).
    """
    definitions = sector.fields_for(stage) if sector is not None else ()
    if sector is None or not definitions:
        return None
    attributes = {d.code: _unbound(d, lang) for d in definitions}
    form_class = type("GeneratedSectorFields", (SectorFieldsForm,), attributes)
    data = {code: _as_form_value(value) for code, value in (values or {}).items()}
    form = form_class(formdata=formdata, prefix=prefix, data=data)
    form.sector, form.stage, form.lang = sector, stage, lang
    for definition, field in zip(definitions, form, strict=True):
        field.definition = definition
        field.kind = KINDS[definition.type]
    return form


def _as_form_value(value: Any) -> Any:
    """A stored value as its form field holds it (``True`` → ``"true"``, ``2.5`` → ``"2.5"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value
