"""A new report written once, with everything that comes with it (issue 13).

A submission creates a report, its reporter, its first clocks, the first event of its chain, its
outbox messages and its attachments, and reads none of them back. They are built as ORM objects
(the rest of the domain speaks them) but written by Core INSERTs of the rows those objects
describe, not by the ORM's unit of work, which would send one statement per table and keep
bookkeeping a request never uses.

On PostgreSQL the id comes first from the sequence (:func:`reserve_id`), so the code and the hash
of the first event are known before anything is written, and every row is one statement: the
report's INSERT and after it each other row's, as data-modifying CTEs in a chain that keeps their
order, one round trip to the database. On SQLite,
which has no sequence to ask, :func:`insert_report` writes the report first to learn its id, and
:func:`write` adds the rest and one UPDATE with the code and the head of the chain.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Insert, Table, bindparam, func, insert, inspect, select, text, update
from sqlalchemy.orm import Session

from engine.store.models import Base, Event, OutboxMessage, Report

#: Where a session keeps the ids of the reports :func:`write` wrote in it (:func:`written`).
WRITTEN = "phananh.new_reports"


@dataclass
class NewRecord:
    """A report about to be stored and the events and outbox messages written with it.

    The reporter, clocks and attachments hang on the report itself.
    """

    report: Report
    events: list[Event] = field(default_factory=list)
    messages: list[OutboxMessage] = field(default_factory=list)


def reserve_id(session: Session) -> int | None:
    """The id of a report about to be stored, from the database's sequence (PostgreSQL).

    ``None`` where there is no sequence (SQLite): :func:`insert_report` gives the id instead.
    """
    if session.get_bind().dialect.name != "postgresql":
        return None
    return session.scalar(text("SELECT nextval(pg_get_serial_sequence('reports', 'id'))"))


def insert_report(session: Session, report: Report) -> int:
    """Write the report's row alone and return its id (where :func:`reserve_id` gave none)."""
    result = session.connection().execute(insert(_table(report)).values(row_of(report)))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def write(session: Session, record: NewRecord, *, report_written: bool) -> None:
    """Write every row of ``record`` in the session's transaction.

    ``report_written``: :func:`insert_report` already wrote the report, so what came after its
    id (the code, the head of its chain, a state moved on) is written by an UPDATE.
    """
    report = record.report
    reporter = report.__dict__.get("reporter")
    children: list[tuple[Table, list[dict[str, Any]]]] = []
    for objects in (
        [reporter] if reporter is not None else [],
        report.clocks,
        report.attachments,
        record.events,
        record.messages,
    ):
        if objects:
            children.append((_table(objects[0]), [row_of(o, report_id=report.id) for o in objects]))
    connection = session.connection()
    session.info.setdefault(WRITTEN, []).append(report.id)
    if report_written:
        for table, rows in children:
            connection.execute(insert(table).values(rows))
        connection.execute(
            update(_table(report))
            .where(_table(report).c.id == report.id)
            .values({k: v for k, v in row_of(report).items() if k != "id"})
        )
        return
    if connection.dialect.name == "postgresql":
        rows = [(_table(report), row_of(report)), *((t, r) for t, many in children for r in many)]
        statement, names = _one_statement(tuple((t, tuple(r)) for t, r in rows))
        values = {
            name: value
            for (_, row), row_names in zip(rows, names, strict=True)
            for name, value in zip(row_names, row.values(), strict=True)
        }
        connection.execute(statement, values)
        return
    statement = insert(_table(report)).values(row_of(report))
    connection.execute(statement)
    for table, rows in children:
        connection.execute(insert(table).values(rows))


@functools.cache
def _one_statement(
    shape: tuple[tuple[Table, tuple[str, ...]], ...],
) -> tuple[Insert, list[list[str]]]:
    """The INSERT of the last row, after every other row as a data-modifying CTE, for rows of
    these tables and columns, and the names of each row's parameters.

    PostgreSQL runs the CTEs of a statement in no promised order (it runs them last to first), so
    each row reads the row before it (:func:`_after`): the rows are stored, and get their ids, in
    the order given — a reporter's photos as they were sent, the acknowledgement before the
    request for more information. Built once a shape (a submission with an e-mail address or without, with
    two attachments…), with parameters rather than values, so that neither the statement nor its
    compiled form is made again for every report. One CTE a row: SQLAlchemy caches the compiled
    form of such a statement, not of one whose CTE inserts several rows.
    """
    names = [[f"r{number}_{key}" for key in keys] for number, (_, keys) in enumerate(shape)]
    ctes: list[Any] = []
    statement: Insert | None = None
    for number, ((table, keys), row_names) in enumerate(zip(shape, names, strict=True)):
        values: dict[str, Any] = {
            key: bindparam(name, type_=table.c[key].type)
            for key, name in zip(keys, row_names, strict=True)
        }
        if ctes:
            values.update(_after(table, ctes[-1]))
        statement = insert(table).values(values)
        if number < len(shape) - 1:
            returned = table.c.id.label("report_id") if number == 0 else table.c.report_id
            ctes.append(statement.returning(returned).cte(f"new_row_{number}"))
    assert statement is not None
    return (statement.add_cte(*ctes) if ctes else statement), names


def _after(table: Table, previous: Any) -> dict[str, Any]:
    """Values that make a row's INSERT read ``previous`` (the CTE of the row before it) first.

    A row's id is its sequence's next value taken *after* reading the row before, which has
    then taken its own: ids follow the order of the rows. A table without its own id (the
    reporter's, keyed by the report) takes the report's id from the row before instead.
    """
    if "id" in table.c and table.c.id.primary_key:
        sequence = func.pg_get_serial_sequence(table.name, "id")
        return {"id": select(func.nextval(sequence)).select_from(previous).scalar_subquery()}
    return {"report_id": select(previous.c.report_id).scalar_subquery()}


def written(session: Session) -> list[int]:
    """The ids of the reports written in ``session``'s transaction so far.

    They are not in the session's identity map, as the ORM's own inserts would be: a unit of
    work that adds to a submission's transaction (the e-mail channel's) learns them here.
    """
    return list(session.info.get(WRITTEN, []))


def row_of(entity: Base, *, report_id: int | None = None) -> dict[str, Any]:
    """The values of ``entity``'s columns, as its table's INSERT takes them.

    An unset column gets its default, as the ORM would give it; a generated primary key is left
    to the database. Every object of one table gives the same keys, so several make one
    multi-row INSERT.
    """
    mapper = inspect(entity).mapper
    state = entity.__dict__
    values: dict[str, Any] = {}
    for attribute in mapper.column_attrs:
        column = attribute.columns[0]
        value = state.get(attribute.key)
        if column.key == "report_id" and value is None:
            value = report_id
        if value is None:
            if column.primary_key and column.autoincrement in (True, "auto"):
                continue
            default = column.default
            if default is not None and getattr(default, "is_scalar", False):
                value = default.arg  # type: ignore[attr-defined]
            elif default is not None and getattr(default, "is_callable", False):
                value = default.arg(None)  # type: ignore[attr-defined]
        values[column.key] = value
    return values


def _table(entity: Base) -> Table:
    table = inspect(entity).mapper.local_table
    assert isinstance(table, Table)
    return table
