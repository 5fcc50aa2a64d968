"""A new report written once, with everything that comes with it (issue 13).

A submission creates a report, its reporter, its first clocks, the first event of its chain, its
outbox messages and its attachments, and reads none of them back. They are built as ORM objects
(the rest of the domain speaks them) but written by Core INSERTs of the rows those objects
describe, not by the ORM's unit of work, which would send one statement per table and keep
bookkeeping a request never uses.

On PostgreSQL the id comes first from the sequence (:func:`reserve_id`), so the code and the hash
of the first event are known before anything is written, and every row is one statement: the
report's INSERT and after it each other row's, as data-modifying CTEs in a chain that keeps their
order, one round trip to the database (:func:`in_one_statement`), each row one JSON parameter so
that the statement stays short and the same for every report of its shape. On SQLite, which has
no sequence to ask, :func:`insert_report` writes the report first to learn its id, and
:func:`write` adds the rest table by table (:func:`table_by_table`) and one UPDATE with the code
and the head of the chain.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Table, TextClause, bindparam, insert, inspect, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from engine.store.models import Base, Event, OutboxMessage, Report

#: Where a session keeps the ids of the reports :func:`write` wrote in it (:func:`written`).
WRITTEN = "phananh.new_reports"
#: The rows of a submission other than the report's, table by table, in the order they are written.
Rows = list[tuple[Table, list[dict[str, Any]]]]
_QUOTE = postgresql.dialect().identifier_preparer.quote


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
    return session.connection().scalar(_NEXT_ID)


#: Made once: a ``text()`` is parsed for its parameters when it is made.
_NEXT_ID = text("SELECT nextval(pg_get_serial_sequence('reports', 'id'))")


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
    children: Rows = []
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
    first = (_table(report), row_of(report))
    if connection.dialect.name == "postgresql":
        in_one_statement(connection, first, children)
    else:
        table_by_table(connection, first, children)


def table_by_table(
    connection: Connection, report: tuple[Table, dict[str, Any]], rows: Rows
) -> None:
    """The report's INSERT, then one multi-row INSERT a table (SQLite)."""
    connection.execute(insert(report[0]).values(report[1]))
    for table, many in rows:
        connection.execute(insert(table).values(many))


def in_one_statement(
    connection: Connection, report: tuple[Table, dict[str, Any]], rows: Rows
) -> None:
    """The report and every other row in one statement, one round trip (PostgreSQL): stores
    exactly what :func:`table_by_table` stores, with the same ids."""
    flat = [report, *((table, row) for table, many in rows for row in many)]
    statement = _one_statement(tuple((table, tuple(row)) for table, row in flat))
    dialect = connection.dialect
    connection.execute(
        statement, {f"r{n}": json_row(table, row, dialect) for n, (table, row) in enumerate(flat)}
    )


@functools.cache
def _one_statement(shape: tuple[tuple[Table, tuple[str, ...]], ...]) -> TextClause:
    """The INSERT of the last row, after every other row as a data-modifying CTE, for rows of
    these tables and columns; row ``n``'s values are parameter ``r{n}``, one JSON object.

    PostgreSQL runs the CTEs of a statement in no promised order (it runs them last to first), so
    each row reads the row before it (:func:`_after`): the rows are stored, and get their ids, in
    the order given — a reporter's photos as they were sent, the acknowledgement before the
    request for more information. Built once a shape (a submission with an e-mail address or
    without, with two attachments…). A row is one JSON parameter that ``json_populate_record``
    turns into the table's row type, rather than one parameter a column: psycopg remembers how
    it rewrote a statement's placeholders only for statements of at most 50 parameters and
    4,096 characters, and parsed a statement of one parameter a column again for every report.
    """
    parts: list[str] = []
    for number, (table, keys) in enumerate(shape):
        after = _after(table, number - 1) if number else {}
        values = [after.get(key) or _value(table, key) for key in keys]
        values += [value for key, value in after.items() if key not in keys]
        columns = [*keys, *(key for key in after if key not in keys)]
        parts.append(
            f"INSERT INTO {_QUOTE(table.name)} ({', '.join(map(_QUOTE, columns))}) "
            f"SELECT {', '.join(values)} FROM json_populate_record(NULL::{_QUOTE(table.name)}, "
            f":r{number})"
        )
        if number < len(shape) - 1:
            parts[-1] += " RETURNING id AS report_id" if number == 0 else " RETURNING report_id"
    last = parts.pop()
    ctes = ", ".join(f"new_row_{number} AS ({part})" for number, part in enumerate(parts))
    statement = text(f"WITH {ctes} {last}" if ctes else last)
    return statement.bindparams(*(bindparam(f"r{n}", type_=JSON) for n in range(len(shape))))


def _value(table: Table, key: str) -> str:
    """A column's value, read from the row ``json_populate_record`` made.

    A JSON column's ``None`` is the JSON ``null`` that SQLAlchemy's JSON type stores for it, not
    SQL's NULL (which is what the record holds for a JSON ``null``).
    """
    if isinstance(table.c[key].type, JSON):
        return f"COALESCE({_QUOTE(key)}, 'null')"
    return _QUOTE(key)


def _after(table: Table, previous: int) -> dict[str, str]:
    """Values that make a row's INSERT read row ``previous`` (the CTE of the row before it)
    first.

    A row's id is its sequence's next value taken *after* reading the row before, which has
    then taken its own: ids follow the order of the rows. A table without its own id (the
    reporter's, keyed by the report) takes the report's id from the row before instead.
    """
    if "id" in table.c and table.c.id.primary_key:
        sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
        return {"id": f"(SELECT nextval({sequence}) FROM new_row_{previous})"}
    return {"report_id": f"(SELECT report_id FROM new_row_{previous})"}


def json_row(table: Table, row: dict[str, Any], dialect: Dialect) -> dict[str, Any]:
    """``row`` as the JSON object whose ``json_populate_record`` into ``table``'s row type gives
    the values SQLAlchemy would have bound for it.

    An instant is written in ISO 8601 with its offset (PostgreSQL reads it to the microsecond), a
    float that is not finite as the word PostgreSQL reads for it (JSON has no such number); every
    other value, a JSON column's too, as itself (psycopg dumps a JSON column's value in the row
    as it would have dumped it alone, and refuses a value JSON cannot carry).
    """
    decorated, floats = _kinds(table)
    values = dict(row)
    for key in decorated:
        value = values.get(key)
        if value is not None:
            value = table.c[key].type.process_bind_param(value, dialect)
            values[key] = value.isoformat() if isinstance(value, datetime) else value
    for key in floats:
        value = values.get(key)
        if value is not None and not math.isfinite(value):
            values[key] = str(value)
    return values


@functools.cache
def _kinds(table: Table) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The columns of ``table`` whose values :func:`json_row` converts: those of a type with its
    own ``process_bind_param`` (:class:`~engine.store.types.UtcDateTime`), and the floats."""
    decorated = tuple(c.key for c in table.c if isinstance(c.type, TypeDecorator))
    floats = tuple(c.key for c in table.c if isinstance(c.type, Float))
    return decorated, floats


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
    state = entity.__dict__
    values: dict[str, Any] = {}
    for attribute, key, generated, default in _columns(type(entity)):
        value = state.get(attribute)
        if key == "report_id" and value is None:
            value = report_id
        if value is None:
            if generated:
                continue
            if default is not None:
                value = default.arg(None) if default.is_callable else default.arg
        values[key] = value
    return values


@functools.cache
def _columns(cls: type[Base]) -> tuple[tuple[str, str, bool, Any], ...]:
    """For each column of ``cls``'s table: its attribute, its key, whether the database makes
    its value (a generated primary key), and its Python default if a scalar or callable one."""
    columns = []
    for attribute in inspect(cls).column_attrs:
        column = attribute.columns[0]
        generated = bool(column.primary_key and column.autoincrement in (True, "auto"))
        default = column.default
        if default is not None and not (
            getattr(default, "is_scalar", False) or getattr(default, "is_callable", False)
        ):
            default = None
        columns.append((attribute.key, column.key, generated, default))
    return tuple(columns)


def _table(entity: Base) -> Table:
    return _table_of(type(entity))


@functools.cache
def _table_of(cls: type[Base]) -> Table:
    table = inspect(cls).local_table
    assert isinstance(table, Table)
    return table
