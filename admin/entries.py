"""What the entity editors of sectors, agencies and areas share, on top of :mod:`admin.saving`.

* form pieces: dates with a Vietnamese message, the ``effective`` period in and out of a form;
* :func:`submit`: the save box's two buttons — "Lưu" (a new version, in force now or from the
  chosen instant) and "Thử thay đổi" (what-if, nothing written) — over edited documents;
* :func:`errors_of`: a refused save's errors placed next to the form's fields (or above it);
* :func:`remove`: deletion, refused while reports refer to the entry
  (:func:`engine.configstore.references.references`) with the way out: stop it from a date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from flask import url_for
from wtforms import DateField, FieldList, Form, FormField
from wtforms.validators import Optional

from admin import saving
from engine.configstore.documents import Documents
from engine.configstore.references import Kind, references
from engine.configstore.references import counts as reference_counts
from engine.configstore.references import sector_counts as reference_sector_counts
from web import runtime

#: How each kind of entry is named in a sentence ("thuộc lĩnh vực này").
OF_KIND = {
    "sector": "thuộc lĩnh vực này",
    "agency": "thuộc cơ quan này",
    "area": "ở địa bàn này",
}


def date_field(label: str, description: str | None = None) -> DateField:
    return DateField(
        label,
        validators=[Optional()],
        invalid_value_message="Ngày không hợp lệ (ngày/tháng/năm).",
        description=description,
    )


class Effective(Form):
    """The ``effective`` period of an entry: from, until (both optional, inclusive)."""

    effective_from = date_field("Hiệu lực từ ngày", "Để trống: từ trước đến nay.")
    effective_until = date_field(
        "Hiệu lực đến hết ngày",
        "Để trống: còn áp dụng. Điền ngày để cho ngừng áp dụng sau ngày đó.",
    )


def fill_effective(form: Any, entry: Mapping[str, Any]) -> None:
    period = entry.get("effective") or {}
    form.effective_from.data = _day(period.get("from"))
    form.effective_until.data = _day(period.get("until"))


def effective_of(form: Any) -> dict[str, date] | None:
    """The form's period as written in the files (``None``: the key is dropped)."""
    period = {"from": form.effective_from.data, "until": form.effective_until.data}
    period = {k: v for k, v in period.items() if v is not None}
    return period or None


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def text(value: str | None) -> str | None:
    """A form's text, trimmed; ``None`` when empty (the key is then dropped)."""
    value = (value or "").strip()
    return value or None


def today() -> date:
    """Today in the province's time zone."""
    return datetime.now(saving.zone()).date()


# -- the files ----------------------------------------------------------------------------------


def find(
    documents: Documents, files: Iterable[str], key: str, code: str, field: str = "code"
) -> tuple[str, int] | None:
    """Which file and position of list ``key`` holds the entry whose ``field`` is ``code``."""
    for name in files:
        if name not in documents:
            continue
        position = documents[name].index(key, lambda item: str(item.get(field)) == code)
        if position is not None:
            return name, position
    return None


# -- saving -------------------------------------------------------------------------------------


def common(base_id: int) -> dict[str, Any]:
    """The save box's values as typed, the base version defaulting to the one in force."""
    values = saving.form_common()
    values["base_id"] = values["base_id"] or base_id
    return values


def errors_of(
    refused: saving.Refused | None,
    form: Form,
    aliases: Mapping[str, str] | None = None,
    hidden: Iterable[str] = (),
) -> tuple[dict[str, list[str]], list[str]]:
    """A refusal's errors: by form field (``aliases`` maps a file's key to a field), and the rest.

    An error about a key that has no field on the page (none on the form, or one of ``hidden``)
    goes above the form, naming the key; so do the form's own errors of a hidden field.
    """
    hidden = set(hidden)
    general = [f"{name}: {m}" for name in sorted(hidden) if name in form for m in form[name].errors]
    if refused is None:
        return {}, general
    aliases = aliases or {}
    fields = (set(_names(form)) - hidden) | {"ly_do", "ap_dung_tu"}
    by_field: dict[str, list[str]] = {}
    general = list(refused.general) + general
    for key, messages in refused.by_field.items():
        name = aliases.get(key, key)
        if name in fields:
            by_field.setdefault(name, []).extend(messages)
        else:
            general.extend(f"{key}: {m}" for m in messages)
    return by_field, general


def _names(fields: Iterable[Any]) -> Iterable[str]:
    """The names of a form's fields, those of its sub-forms too (``leader-name``)."""
    for f in fields:
        if isinstance(f, FormField):
            yield from _names(f.form)
        elif isinstance(f, FieldList):
            yield from _names(f.entries)
        else:
            yield f.name


# -- deleting -----------------------------------------------------------------------------------


def referenced(kind: Kind, codes: Iterable[str]) -> int:
    """How many reports refer to any of ``codes`` (a kind's codes: an area and its committee)."""
    with runtime.lifecycle().uow.read() as session:
        return sum(references(session, kind, code) for code in codes)


def in_use_message(kind: Kind, count: int, whom: str | None = None) -> str:
    return (
        f"Có {count} phản ánh {whom or OF_KIND[kind]}; không xóa được. Hãy cho ngừng áp dụng từ "
        "một ngày (điền 'hiệu lực đến')."
    )


def way_out(endpoint: str, **values: Any) -> str:
    """The edit page with "hiệu lực đến" filled with today: the entry stops after today."""
    return url_for(endpoint, hieu_luc_den=today().isoformat(), **values)


def prefilled_until(form: Any, value: str | None) -> None:
    """``?hieu_luc_den=YYYY-MM-DD`` on an edit page: fill "hiệu lực đến" (the way out)."""
    day = _day(value)
    if day is not None:
        form.effective_until.data = day


def counts(kind: Kind) -> dict[str, int]:
    """How many reports refer to each code of ``kind`` (for the lists)."""
    with runtime.lifecycle().uow.read() as session:
        return reference_counts(session, kind)


def sector_counts() -> dict[str, tuple[int, int]]:
    """Each sector's classified and (not yet classified) suggested reports, for its list."""
    with runtime.lifecycle().uow.read() as session:
        return reference_sector_counts(session)


class Page:
    """An editor page again, with what was typed and why it was refused.

    ``hidden`` names the form's fields the page does not show (a code that no longer changes);
    ``common`` is the save box's values; ``in_use`` the refusal of a deletion (message, way out);
    ``deleting`` puts every error above the form (the delete form has its own reason field).
    """

    def __init__(
        self,
        view: Any,
        template: str,
        form: Form,
        aliases: Mapping[str, str] | None = None,
        hidden: Iterable[str] = (),
        **context: Any,
    ) -> None:
        self.view, self.template, self.form = view, template, form
        self.aliases = aliases or {}
        self.hidden = tuple(hidden)
        self.context = context
        self.common: dict[str, Any] = {}
        self.in_use: tuple[str, str] | None = None
        self.deleting = False

    def __call__(
        self,
        *,
        common: dict[str, Any] | None = None,
        refused: saving.Refused | None = None,
        status: int = 200,
        whatif: Any = None,
        since: date | None = None,
    ) -> Any:
        if common is not None:
            self.common = common
        errors, general = errors_of(refused, self.form, self.aliases, self.hidden)
        if self.deleting:
            general = general + [m for ms in errors.values() for m in ms]
            errors = {}
        page = self.view.render(
            self.template,
            form=self.form,
            common=self.common,
            errors=errors,
            general=general,
            in_use=self.in_use,
            whatif=whatif,
            since=since,
            **self.context,
        )
        return page, status


def delete(
    page: Page,
    documents: Documents,
    kind: Kind,
    codes: Iterable[str],
    remove: Callable[[], None],
    way_out_url: str,
    done: str,
    what: str,
) -> Any:
    """Delete an entry: refused (409) while reports refer to ``codes``, else a new version."""
    count = referenced(kind, codes)
    if count:
        page.in_use = (in_use_message(kind, count), way_out_url)
        return page(status=409)
    remove()
    page.deleting = True
    return saving.submit(documents, None, page.common, page, done, prefix=f"Đã xóa {what}. ")
