"""What every structured editor of the administration shares: one way to save, one way to fail.

An editor (sectors, agencies, areas, routing, calendar, deadlines, templates) turns its form into
an edit of the files of the version in force (:class:`engine.configstore.documents.Documents`),
then calls :func:`save`, which hands the whole set of files to :func:`engine.configstore.create`
— the same JSON Schemas and cross-checks as ``phananh config import``. A refused save raises
:class:`Refused` with the errors split into those of the entry being edited (shown next to its
fields) and the others (shown above the form); nothing is written. :func:`preview` replays past
reports through the edited files (what-if) without saving; :func:`submit` is the save box's two
buttons (what-if, or save and go back) for every editor.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, request

from engine import configstore, whatif
from engine.config.errors import ConfigError, ConfigInvalid
from engine.config.loader import load_files
from engine.configstore.documents import Documents
from engine.services.errors import DomainError
from web import runtime
from web.auth import Staff, current_staff

#: How far back the what-if replay looks when no date is given.
WHATIF_DAYS = 90


@dataclass
class Refused(Exception):
    """A save that changed nothing: the errors of the edited entry by field, and the rest."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        return self.general + [m for ms in self.by_field.values() for m in ms]


@dataclass(frozen=True)
class Target:
    """Where the entry being edited lives: ``sectors.yaml`` ``agencies[4]``."""

    file: str
    path: str = ""

    def field_of(self, error: ConfigError) -> str | None:
        """The entry's field an error is about (``keywords`` for ``sectors[2].keywords[0]``)."""
        if error.file != self.file or not self.path:
            return None
        if error.path == self.path:
            return ""
        rest = error.path.removeprefix(self.path)
        if rest == error.path or not rest.startswith("."):
            return None
        return re.split(r"[.\[]", rest[1:], maxsplit=1)[0]


def in_force() -> tuple[int, Documents]:
    """The id of the version in force and its files, ready to be edited."""
    with runtime.lifecycle().uow.read() as session:
        version = configstore.active(session)
        if version is None:
            abort(404)
        return version.id, Documents(dict(version.files))


def split(errors: Iterable[ConfigError], target: Target | None) -> Refused:
    refused = Refused()
    for error in errors:
        name = target.field_of(error) if target else None
        if name:
            refused.by_field.setdefault(name, []).append(error.message_vi)
        else:
            refused.general.append(error.format("vi"))
    return refused


def author(staff: Staff) -> str:
    return f"{staff.display_name} ({staff.username})"


def zone() -> ZoneInfo:
    return ZoneInfo(runtime.lifecycle().snapshot.calendar.timezone)


def active_from(value: str | None) -> datetime | None:
    """The form's "áp dụng từ" (a local date and time of the province), or ``None`` for now."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        raise Refused(
            by_field={"ap_dung_tu": ["Thời điểm áp dụng không hợp lệ (ngày/tháng/năm giờ:phút)."]}
        ) from None
    return local.replace(tzinfo=zone()) if local.tzinfo is None else local


def save(
    documents: Documents,
    *,
    staff: Staff,
    reason: str,
    base_id: int,
    when: str | None = None,
    target: Target | None = None,
) -> int:
    """Validate the edited files and put them in force as a new version; its id.

    Raises :class:`Refused` (nothing written) when the reason is missing, the files do not
    validate, nothing changed, or someone saved another version since ``base_id``.
    """
    reason = reason.strip()
    if not reason:
        raise Refused(by_field={"ly_do": ["Cần ghi lý do thay đổi."]})
    start = active_from(when)
    try:
        with runtime.lifecycle().uow.begin() as session:
            version = configstore.create(
                session,
                documents.files(),
                author=author(staff),
                reason=reason,
                active_from=start,
                base_id=base_id,
            )
            new_id = version.id
    except ConfigInvalid as exc:
        raise split(exc.errors, target) from exc
    except DomainError as exc:
        raise Refused(general=[exc.message_vi]) from exc
    runtime.reload_now(current_app._get_current_object())  # type: ignore[attr-defined]
    return new_id


def preview(documents: Documents, since: date, target: Target | None = None) -> whatif.WhatIf:
    """Past reports through the edited files: routing moves and on-time rates. Writes nothing."""
    try:
        proposed = load_files(documents.files())
    except ConfigInvalid as exc:
        raise split(exc.errors, target) from exc
    return whatif.replay(runtime.lifecycle().uow, proposed, since=since)


def since(value: str | None) -> date:
    """The what-if's first day (the form's ``tu_ngay``), by default ``WHATIF_DAYS`` ago."""
    value = (value or "").strip()
    if value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return date.today() - timedelta(days=WHATIF_DAYS)


def saved_message(new_id: int, when: str | None) -> str:
    if (when or "").strip():
        start = active_from(when)
        assert start is not None
        return f"Đã lưu phiên bản cấu hình {new_id}, áp dụng từ {start.strftime('%d/%m/%Y %H:%M')}."
    return f"Đã lưu: phiên bản cấu hình {new_id} đang áp dụng."


def form_common() -> dict[str, Any]:
    """The save box's values as typed (reason, activation time, what-if start, base version)."""
    form: Mapping[str, str] = request.form
    return {
        "reason": form.get("ly_do", ""),
        "when": form.get("ap_dung_tu", ""),
        "since": form.get("tu_ngay", ""),
        "base_id": form.get("base_id", type=int),
    }


def submit(
    documents: Documents,
    target: Target | None,
    values: dict[str, Any],
    page: Callable[..., Any],
    done: str,
    *,
    prefix: str = "",
) -> Any:
    """The save box's button: what-if (``thao_tac=thu``) or save, then the list or the page again.

    ``page(refused=…, status=…, whatif=…, since=…)`` renders the editor again with what was typed.
    """
    if request.form.get("thao_tac") == "thu":
        first_day = since(values["since"])
        try:
            result = preview(documents, first_day, target)
        except Refused as refused:
            return page(refused=refused, status=422)
        return page(whatif=result, since=first_day)
    try:
        new_id = save(
            documents,
            staff=_current_staff(),
            reason=values["reason"],
            base_id=values["base_id"],
            when=values["when"],
            target=target,
        )
    except Refused as refused:
        return page(refused=refused, status=422)
    flash(prefix + saved_message(new_id, values["when"]), "success")
    return redirect(done)


def _current_staff() -> Staff:
    staff = current_staff()
    if staff is None:  # the views' access check lets nobody through without one
        abort(403)
    return staff
