"""``phananh``: the command line that operators, scripts and tests share.

Every failure is one line on standard error and a non-zero exit — never a traceback: 2 for a
command used wrongly, 1 for a well-formed request that can't be met (an invalid configuration,
an unknown sector).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from cli.runtime import CONFIG_OPTION, Failure, snapshot
from engine.config.errors import ConfigInvalid
from engine.config.loader import DEFAULT_DIRECTORY, load
from engine.config.snapshot import Duration


def _instant(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.UsageError(
            f"{name}: '{text}' không phải thời điểm ISO 8601 (ví dụ 2026-04-29T16:00+07:00)"
        ) from None
    if value.tzinfo is None:
        raise click.UsageError(f"{name}: '{text}' thiếu múi giờ; thêm độ lệch, ví dụ {text}+07:00")
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Dịch vụ phản ánh hiện trường — field-report service."""


@cli.group()
def config() -> None:
    """Cấu hình: lĩnh vực, cơ quan, địa bàn, thời hạn."""


@config.command("validate")
@click.argument("directory", type=click.Path(path_type=Path), default=DEFAULT_DIRECTORY)
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
def config_validate(directory: Path, lang: str) -> None:
    """Kiểm tra một thư mục cấu hình; in mọi lỗi dạng TỆP:DÒNG: ĐƯỜNG DẪN: thông điệp."""
    try:
        loaded = load(directory)
    except ConfigInvalid as exc:
        for error in exc.errors:
            click.echo(error.format(lang))
        raise click.exceptions.Exit(1) from None
    counts = (len(loaded.sectors), len(loaded.agencies), len(loaded.areas))
    if lang == "en":
        click.echo(
            f"{directory}: valid — {counts[0]} sectors, {counts[1]} agencies, {counts[2]} areas"
        )
    else:
        click.echo(
            f"{directory}: hợp lệ — {counts[0]} lĩnh vực, {counts[1]} cơ quan, {counts[2]} địa bàn"
        )


@cli.group()
def calendar() -> None:
    """Thời gian làm việc: cộng thời hạn, đếm thời gian đã dùng."""


@calendar.command("add")
@click.argument("start")
@click.argument("duration")
@CONFIG_OPTION
def calendar_add(start: str, duration: str, config_dir: Path) -> None:
    """In thời điểm START + DURATION (90m, 2h, 1d, 6d) theo giờ làm việc."""
    begin = _instant(start, "START")
    try:
        span = Duration.parse(duration)
    except ValueError as exc:
        raise click.UsageError(f"DURATION: {exc}") from None
    result = _call(lambda: _working_calendar(config_dir).add(begin, span))
    click.echo(result.isoformat(timespec="minutes"))


@calendar.command("elapsed")
@click.argument("start")
@click.argument("end")
@CONFIG_OPTION
def calendar_elapsed(start: str, end: str, config_dir: Path) -> None:
    """In số phút làm việc giữa START và END."""
    begin, finish = _instant(start, "START"), _instant(end, "END")
    click.echo(_call(lambda: _working_calendar(config_dir).elapsed(begin, finish)))


@cache
def _working_calendar(directory: Path):  # noqa: ANN202 - WorkingCalendar, imported lazily
    from engine.calendar import WorkingCalendar

    return WorkingCalendar.from_config(snapshot(directory).calendar)


def _call(action):  # noqa: ANN001, ANN202
    """Run a domain call; a ``ValueError`` (bad instant, out of range) becomes a one-line failure."""
    try:
        return action()
    except ValueError as exc:
        raise Failure(str(exc)) from None


@cli.command()
@click.option("--sector", required=True, help="Mã lĩnh vực, ví dụ moi-truong.")
@click.option("--area", default=None, help="Mã địa bàn (xã, phường), ví dụ 29641.")
@click.option("--text", default=None, help="Nội dung phản ánh, để gợi ý lĩnh vực.")
@CONFIG_OPTION
def route(sector: str, area: str | None, text: str | None, config_dir: Path) -> None:
    """Cơ quan xử lý mà quy tắc chọn cho lĩnh vực và địa bàn, kèm quy tắc đã chọn (JSON)."""
    from engine.rules import RulesEngine

    config = snapshot(config_dir)
    if sector not in config.sectors:
        raise Failure(
            f"lĩnh vực '{sector}' không tồn tại; các mã hợp lệ: {', '.join(config.sectors)}"
        )
    if area is not None and area not in config.areas:
        raise Failure(f"địa bàn '{area}' không tồn tại trong cấu hình '{config_dir}'")
    engine = RulesEngine(config)
    decision = engine.route(sector, area)
    if decision is None:
        hint = "" if area else "; lĩnh vực này phân công theo địa bàn, hãy thêm --area MÃ"
        raise Failure(f"không có tuyến phân công cho lĩnh vực '{sector}'" + hint)
    agency = config.agencies[decision.value["agency"]]
    suggestions = engine.suggest_sectors(text) if text else []
    answer = {
        "agency": {"code": agency.code, "name": agency.name},
        "rule": decision.rule,
        "suggested_sectors": [
            {
                "code": s.value["sector"],
                "score": s.value["score"],
                "matched": list(s.value["matched"]),
            }
            for s in suggestions
        ],
    }
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))


def _register() -> None:
    """Commands kept in modules of their own, one job each."""
    from cli.apikeys import apikey
    from cli.config_versions import COMMANDS as CONFIG_COMMANDS
    from cli.db import db
    from cli.demo import demo
    from cli.export import export
    from cli.mail import mail_fetch, mail_gateway
    from cli.records import audit_group, report
    from cli.serve import serve
    from cli.stats import stats_command
    from cli.users import user
    from cli.worker import worker

    commands = (
        db,
        demo,
        serve,
        stats_command,
        report,
        audit_group,
        export,
        apikey,
        user,
        mail_gateway,
        mail_fetch,
        worker,
    )
    for command in commands:
        cli.add_command(command)
    for command in CONFIG_COMMANDS:
        config.add_command(command)


_register()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    try:
        code = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="phananh",
            standalone_mode=False,
        )
    except click.UsageError as exc:
        where = f" ({exc.ctx.command_path})" if exc.ctx else ""
        click.echo(f"phananh: lỗi{where}: {exc.format_message()}", err=True)
        return 2
    except click.ClickException as exc:
        click.echo(f"phananh: lỗi: {exc.format_message()}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("phananh: đã dừng", err=True)
        return 1
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        click.echo(
            f"phananh: lỗi: cơ sở dữ liệu chưa sẵn sàng ({reason}); "
            "chạy 'phananh db upgrade' hoặc kiểm tra DATABASE_URL",
            err=True,
        )
        return 1
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
