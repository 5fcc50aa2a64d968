"""The migrations build exactly the models' schema, take it down again, and run from the CLI.

Every database test runs on SQLite (a file in a temporary folder) and, when
``TEST_DATABASE_URL`` names a PostgreSQL database, on PostgreSQL too — in a schema of its own,
made for the test and dropped after it, so runs repeat and never touch other tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata, produce_migrations, render_python_code
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from cli.db import db
from cli.main import cli, main
from engine.store import migrate, search
from engine.store.db import UnitOfWork, make_engine
from engine.store.models import Base, ConfigVersion, Event, Report, Reporter
from tests.databases import PG_URL, postgres_schema

PG_SKIP = "TEST_DATABASE_URL is not set: PostgreSQL tests skipped"
TABLES = set(Base.metadata.tables)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason=PG_SKIP)),
    ]
)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a fresh SQLite file, or a fresh schema in the PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with postgres_schema() as scoped:
        yield scoped


def tables(url: str) -> set[str]:
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            # The text index's FTS5 tables (SQLite) are the database's, not the models'.
            names = inspect(connection).get_table_names()
            return {name for name in names if not search.is_index_object(name)}
    finally:
        engine.dispose()


def schema_diff(url: str) -> list[object]:
    """What autogenerate would write for the models against the database at ``url``."""
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "render_item": migrate.render_item,
                    "include_name": migrate.include_name,
                    "include_object": migrate.include_object,
                },
            )
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


# --- the revisions themselves -------------------------------------------------------------------


def test_the_history_is_one_line_starting_at_0001_initial() -> None:
    scripts = ScriptDirectory.from_config(migrate.config(""))
    assert scripts.get_heads() == [migrate.head()]
    assert scripts.get_bases() == ["0001_initial"]
    assert migrate.describe("0001_initial").startswith("Initial schema")
    assert Path(__file__).resolve().parents[2] / "migrations" == migrate.MIGRATIONS


def test_revisions_use_plain_sqlalchemy_types_only() -> None:
    """A revision must not import the models' modules; UtcDateTime is written as DateTime."""
    for path in (migrate.MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "engine." not in source and "UtcDateTime" not in source, path.name
    with create_engine("sqlite://").connect() as connection:
        context = MigrationContext.configure(connection)
        ops = produce_migrations(context, Base.metadata).upgrade_ops
        assert ops is not None
        code = render_python_code(ops, render_item=migrate.render_item)
    assert "UtcDateTime" not in code
    assert "sa.DateTime(timezone=True)" in code


# --- upgrade, downgrade -------------------------------------------------------------------------


def test_upgrade_from_empty_creates_every_table_index_and_constraint(url: str) -> None:
    assert tables(url) == set()
    migrate.upgrade(url)
    assert tables(url) == TABLES | {migrate.VERSION_TABLE}
    assert migrate.current(url) == migrate.head()
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            found = inspect(connection)
            for table in Base.metadata.sorted_tables:
                want_indexes = {index.name for index in table.indexes}
                want_uniques = {
                    c.name for c in table.constraints if type(c).__name__ == "UniqueConstraint"
                }
                want_fks = {fk.name for fk in table.foreign_key_constraints}
                got_indexes = {
                    i["name"]
                    for i in found.get_indexes(table.name)
                    if not search.is_index_object(i["name"])
                }
                got_uniques = {u["name"] for u in found.get_unique_constraints(table.name)}
                got_fks = {fk["name"] for fk in found.get_foreign_keys(table.name)}
                assert got_indexes - got_uniques == want_indexes, table.name
                assert got_uniques == want_uniques, table.name
                assert got_fks == want_fks, table.name
    finally:
        engine.dispose()


def test_the_migrations_match_the_models(url: str) -> None:
    """Fails when a model changed without a revision: write one with migrate.revision()."""
    migrate.upgrade(url)
    assert schema_diff(url) == []


def test_upgrade_twice_changes_nothing(url: str) -> None:
    migrate.upgrade(url)
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert tables(url) == TABLES | {migrate.VERSION_TABLE}


def test_downgrade_to_base_leaves_no_table_and_upgrade_builds_it_again(url: str) -> None:
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    assert migrate.current(url) is None
    assert tables(url) <= {migrate.VERSION_TABLE}  # Alembic keeps its own table, empty
    if url.startswith("postgresql"):
        engine = make_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                assert inspect(connection).get_sequence_names() == []
        finally:
            engine.dispose()
    migrate.upgrade(url)
    assert schema_diff(url) == []


def test_every_revision_goes_up_and_down_one_step_at_a_time(url: str) -> None:
    scripts = ScriptDirectory.from_config(migrate.config(url))
    revisions = [script.revision for script in reversed(list(scripts.walk_revisions()))]
    for revision in revisions:
        migrate.upgrade(url, revision)
        assert migrate.current(url) == revision
    for expected in [*reversed(revisions[:-1]), None]:
        migrate.downgrade(url, "-1")
        assert migrate.current(url) == expected
    assert tables(url) <= {migrate.VERSION_TABLE}


def test_the_migrated_schema_stores_and_reads_a_report(url: str) -> None:
    migrate.upgrade(url)
    now = datetime(2026, 4, 29, 9, 0, tzinfo=UTC)
    engine = make_engine(url, poolclass=NullPool)
    uow = UnitOfWork(engine)
    try:
        with uow.begin() as session:
            version = ConfigVersion(digest="d" * 64, created_at=now, author="test", files={})
            session.add(version)
            session.flush()
            report = Report(
                tracking_token_hash="t" * 64,
                state="submitted",
                channel="web",
                content="Rác thải ven đường",
                config_version_id=version.id,
                submitted_at=now,
                updated_at=now,
            )
            session.add(report)
            session.flush()
            session.add(Reporter(report_id=report.id, name="Nguyễn Văn A", phone="0900000000"))
            session.add(
                Event(
                    report_id=report.id,
                    seq=1,
                    at=now,
                    actor="citizen",
                    role="citizen",
                    action="submit",
                    to_state="submitted",
                    data={"channel": "web"},
                    prev_hash="0" * 64,
                    hash="1" * 64,
                )
            )
        with uow.read() as session:
            stored = session.query(Report).one()
            assert (stored.submitted_at, stored.version, stored.confidential) == (now, 1, False)
            assert stored.events[0].data == {"channel": "web"}
    finally:
        engine.dispose()


def test_tables_made_without_migrations_are_refused(url: str) -> None:
    engine = make_engine(url, poolclass=NullPool)
    Base.metadata.create_all(engine)
    engine.dispose()
    with pytest.raises(migrate.MigrationError, match="no migration version"):
        migrate.upgrade(url)
    migrate.stamp(url)
    assert migrate.current(url) == migrate.head()
    assert schema_diff(url) == []


# --- phananh db ---------------------------------------------------------------------------------


def test_cli_upgrade_then_current(url: str) -> None:
    runner = CliRunner()
    env = {"DATABASE_URL": url}
    shown = make_url(url).render_as_string(hide_password=True)

    result = runner.invoke(db, ["current"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == f"{shown}: chưa có lược đồ; chạy 'phananh db upgrade'\n"

    result = runner.invoke(db, ["upgrade"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == f"{shown}: đã nâng cấp (trống) → {migrate.head()}\n"

    result = runner.invoke(db, ["upgrade"], env=env)
    assert result.exit_code == 0, result.output
    assert "không có gì để nâng cấp" in result.output

    result = runner.invoke(db, ["current"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == f"{shown}: {migrate.head()} — mới nhất\n"

    result = runner.invoke(db, ["downgrade", "base"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == f"{shown}: đã hạ cấp {migrate.head()} → (trống)\n"
    assert tables(url) <= {migrate.VERSION_TABLE}

    result = runner.invoke(db, ["upgrade", "--revision", "0001_initial"], env=env)
    assert result.exit_code == 0, result.output
    assert migrate.current(url) == "0001_initial"


@pytest.fixture
def phananh(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """Run ``phananh ARGS`` through ``cli.main.main`` with ``db`` registered, as users see it."""
    monkeypatch.setitem(cli.commands, "db", db)

    def run(*argv: str, database: str) -> tuple[int, str, str]:
        monkeypatch.setenv("DATABASE_URL", database)
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.mark.parametrize(
    "bad",
    [
        "postgresql+psycopg://nobody@127.0.0.1:1/x",
        "postgresql+psycopg://nobody:secret@127.0.0.1:1/x",
        "nothing://x",
        "not a url",
        "mysql://nobody@127.0.0.1:1/x",
    ],
)
@pytest.mark.parametrize("command", [["upgrade"], ["downgrade", "base"], ["current"]])
def test_a_bad_database_url_is_one_line(
    phananh: Callable[..., tuple[int, str, str]], bad: str, command: list[str]
) -> None:
    code, out, err = phananh("db", *command, database=bad)
    assert (code, out) == (1, "")
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("phananh: lỗi: ")
    assert "Traceback" not in err and "secret" not in err


def test_an_unknown_revision_is_one_line(
    phananh: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'test.db'}"
    code, out, err = phananh("db", "downgrade", "nosuch", database=database)
    assert (code, out) == (1, "")
    assert err.strip() == (
        f"phananh: lỗi: cơ sở dữ liệu {database}: Can't locate revision identified by 'nosuch'"
    )
