"""Who a unit's leader may give a report to, down the agency tree (Đ14.3, R32).

Each unit's leader directs its own unit: it gives a report either to one of the unit's sub-units
(whose leader then gives it on further down) or to an officer account of the unit itself. The
desk's pickers list exactly :func:`targets`, and :func:`choose` — which the ``assign`` action
runs — refuses anything else, so a typed name or a unit outside the leader's tree changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts import NOT_HANDLING_KINDS
from engine.config.snapshot import Agency, Snapshot
from engine.services.errors import InvalidInput
from engine.store.models import User
from engine.workflow import Role


@dataclass(frozen=True)
class Officer:
    """An officer account a report can be given to: its username and the name people read."""

    account: str
    name: str


@dataclass(frozen=True)
class Targets:
    """What the leader of ``unit`` may give a report to."""

    unit: str
    unit_name: str
    sub_units: tuple[Agency, ...]
    officers: tuple[Officer, ...]


@dataclass(frozen=True)
class Choice:
    """The holder a report gets: the unit (``None``: the agency it was forwarded to) and the
    officer (``None``: the unit's leader gives it on)."""

    unit: str | None
    officer: Officer | None


def sub_units(snapshot: Snapshot, unit: str | None) -> tuple[Agency, ...]:
    """The units directly under ``unit`` that handle reports (not the IOC, not the committee)."""
    if not unit:
        return ()
    return tuple(
        sorted(
            (
                a
                for a in snapshot.agencies.values()
                if a.parent == unit and a.kind not in NOT_HANDLING_KINDS
            ),
            key=lambda a: a.name,
        )
    )


def officers(session: Session, unit: str | None) -> tuple[Officer, ...]:
    """The active officer accounts of ``unit`` itself, by name."""
    if not unit:
        return ()
    rows = session.execute(
        select(User.username, User.display_name)
        .where(User.role == Role.OFFICER, User.active.is_(True), User.agency == unit)
        .order_by(User.display_name, User.username)
    )
    return tuple(Officer(username, name) for username, name in rows)


def targets(session: Session, snapshot: Snapshot, unit: str | None) -> Targets:
    """The sub-units and the officers the leader of ``unit`` may give a report to."""
    known = snapshot.agencies.get(unit or "")
    return Targets(
        unit or "",
        known.name if known else (unit or ""),
        sub_units(snapshot, unit),
        officers(session, unit),
    )


def choose(
    session: Session,
    snapshot: Snapshot,
    leader_unit: str | None,
    agency: str | None,
    *,
    unit: str | None,
    officer: str | None,
) -> Choice:
    """The holder chosen by the leader of ``leader_unit`` for a report forwarded to ``agency``.

    Exactly one of ``unit`` (a sub-unit's code) and ``officer`` (an officer account's username)
    is given; anything outside :func:`targets` is refused with a sentence naming what may be
    chosen.
    """
    found = targets(session, snapshot, leader_unit)
    if unit and officer:
        raise InvalidInput(
            "Chọn một trong hai: giao cho một đơn vị trực thuộc (lãnh đạo đơn vị đó giao tiếp "
            f"cho cán bộ của đơn vị), hoặc giao cho một cán bộ của {found.unit_name}. "
            "Chưa có gì được ghi.",
            "Choose one: a sub-unit (whose leader assigns on) or an officer of the unit.",
            field="unit",
        )
    if unit:
        chosen = next((u for u in found.sub_units if u.code == unit), None)
        if chosen is None:
            known = ", ".join(u.name for u in found.sub_units) or "không có đơn vị nào"
            raise InvalidInput(
                f"«{unit}» không phải đơn vị trực thuộc {found.unit_name}; chỉ giao được cho: "
                f"{known}. Chưa có gì được ghi.",
                f"'{unit}' is not a sub-unit of {found.unit}.",
                field="unit",
            )
        return Choice(chosen.code, None)
    if officer:
        person = next((o for o in found.officers if o.account == officer), None)
        if person is None:
            raise InvalidInput(
                f"«{officer}» không phải tài khoản cán bộ đang làm việc của {found.unit_name}; "
                "hãy chọn cán bộ trong danh sách. Chưa có gì được ghi.",
                f"'{officer}' is not an active officer account of {found.unit}.",
                field="officer",
            )
        return Choice(None if leader_unit == agency else leader_unit, person)
    raise InvalidInput(
        f"Cần chọn một đơn vị trực thuộc hoặc một cán bộ của {found.unit_name}.",
        "Name a sub-unit or an officer of the unit.",
        field="officer",
    )
