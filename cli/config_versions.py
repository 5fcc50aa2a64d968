"""``phananh config export|import|versions|diff|rollback|cancel|whatif``: versions in the database.

The configuration in force lives in the database (``DATABASE_URL``) as versions
(:mod:`engine.configstore`). ``import`` validates a directory and puts it in force as a new
version (at once, or ``--from`` an instant); ``export`` writes a version back as the directory's
files, so export then import gives the same snapshot; ``rollback`` puts an earlier version in
force again as a new one. ``whatif`` replays past reports through a proposed directory and
writes nothing. Failures are one line, except an invalid configuration: every ``FILE:LINE``
error is printed, as ``config validate`` does, and nothing changes.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from cli.runtime import Failure, unit_of_work
from engine import configstore
from engine.config.errors import ConfigError, ConfigInvalid
from engine.config.loader import config_files, load
from engine.configstore.diff import changes, stat
from engine.services.errors import DomainError

__all__ = ["COMMANDS"]

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"


def _author() -> str:
    try:
        return getpass.getuser() or "phananh"
    except Exception:  # noqa: BLE001 - no user name in this environment
        return "phananh"


AUTHOR_OPTION = click.option(
    "--author",
    default=_author,
    show_default="tên người dùng hệ thống",
    help="Người thay đổi / who makes the change.",
)


@contextmanager
def _domain_errors() -> Iterator[None]:
    """A refusal of :mod:`engine.configstore` becomes one line, exit 1."""
    try:
        yield
    except configstore.NoChange:
        raise
    except DomainError as exc:
        raise Failure(exc.message_vi) from None


def _print_invalid(exc: ConfigInvalid, directory: Path | None, lang: str = "vi") -> None:
    for error in exc.errors:
        if directory is not None and not Path(error.file).is_absolute():
            shown = _display(directory / error.file)
            error = ConfigError(shown, error.line, error.path, error.message_vi, error.message_en)
        click.echo(error.format(lang))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _instant(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.UsageError(
            f"{name}: '{text}' không phải thời điểm ISO 8601 (ví dụ 2027-01-01T00:00+07:00)"
        ) from None
    if value.tzinfo is None:
        raise click.UsageError(f"{name}: '{text}' thiếu múi giờ; thêm độ lệch, ví dụ {text}+07:00")
    return value


def _zone() -> ZoneInfo:
    """The province's time zone, for showing instants: the version in force's, else Vĩnh Long's."""
    try:
        with unit_of_work().read() as session:
            version = configstore.active(session)
            if version is not None:
                return ZoneInfo(configstore.snapshot_of(version).calendar.timezone)
    except Exception:  # noqa: BLE001 - only for display
        pass
    return ZoneInfo(DEFAULT_ZONE)


def _local(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%d/%m/%Y %H:%M") if value else "—"


# -- export / import ------------------------------------------------------------------------------


@click.command("export")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--version", "version_id", type=int, help="Phiên bản khác phiên bản đang áp dụng.")
@click.option("--force", is_flag=True, help="Ghi vào thư mục đã có tệp (thay các tệp cấu hình).")
def config_export(directory: Path, version_id: int | None, force: bool) -> None:
    """Ghi phiên bản cấu hình đang áp dụng (hoặc --version N) ra thư mục DIRECTORY (YAML, mẫu)."""
    with _domain_errors(), unit_of_work().read() as session:
        if version_id is None:
            version = configstore.active(session)
            if version is None:
                raise Failure(
                    "cơ sở dữ liệu chưa có phiên bản cấu hình nào đang áp dụng; "
                    "nhập một thư mục bằng 'phananh config import DIR --reason ...'"
                )
        else:
            version = configstore.get(session, version_id)
        written = configstore.export(version, directory, replace=force)
        exported = version.id
    click.echo(f"Đã ghi phiên bản {exported} ra {directory} ({len(written)} tệp).")


@click.command("import")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--reason", required=True, help="Lý do thay đổi / why (kept with the version).")
@AUTHOR_OPTION
@click.option(
    "--from",
    "active_from",
    default=None,
    metavar="DATETIME",
    help="Áp dụng từ thời điểm này (ISO 8601 có múi giờ); mặc định: ngay.",
)
def config_import(directory: Path, reason: str, author: str, active_from: str | None) -> None:
    """Kiểm tra thư mục cấu hình DIRECTORY và áp dụng thành phiên bản mới.

    Có lỗi thì in mọi lỗi dạng TỆP:DÒNG, không đổi gì, thoát 1.
    """
    when = _instant(active_from, "--from")
    if not directory.is_dir():
        try:
            load(directory)
        except ConfigInvalid as exc:
            _print_invalid(exc, None)
        raise click.exceptions.Exit(1)
    files = config_files(directory)
    try:
        with _domain_errors(), unit_of_work().begin() as session:
            version = configstore.create(
                session,
                files,
                author=author,
                reason=reason,
                active_from=when,
                source=str(directory),
            )
            found = changes(
                configstore.get(session, version.parent_id).files if version.parent_id else {},
                files,
            )
    except ConfigInvalid as exc:
        _print_invalid(exc, directory)
        raise click.exceptions.Exit(1) from None
    except configstore.NoChange as exc:
        click.echo(exc.message_vi)
        return
    zone = _zone()
    start = "ngay" if when is None else f"từ {_local(version.active_from, zone)}"
    parent = f" so với phiên bản {version.parent_id}" if version.parent_id else ""
    click.echo(
        f"Đã tạo phiên bản {version.id}, áp dụng {start}; {len(found)} tệp thay đổi{parent}."
    )
    for line in stat(found) if version.parent_id else []:
        click.echo(f"  {line}")


# -- history ---------------------------------------------------------------------------------------


@click.command("versions")
@click.option("--json", "as_json", is_flag=True, help="In JSON.")
def config_versions(as_json: bool) -> None:
    """Liệt kê các phiên bản cấu hình: số, thời điểm, người, lý do, đang áp dụng."""
    with unit_of_work().read() as session:
        infos = configstore.history(session)
    if as_json:
        click.echo(json.dumps([i.as_json() for i in infos], ensure_ascii=False, indent=2))
        return
    if not infos:
        click.echo("Chưa có phiên bản cấu hình nào.")
        return
    zone = _zone()
    header = ("Số", "Trạng thái", "Tạo lúc", "Áp dụng từ", "Người", "Lý do")
    rows = [
        (
            f"{'*' if i.active else ' '}{i.id}",
            configstore.STATUS_VI[i.status],
            _local(i.created_at, zone),
            _local(i.active_from, zone),
            i.author,
            " ".join(i.reason.split())[:70],
        )
        for i in infos
    ]
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(widths[c]) for c, cell in enumerate(row)).rstrip())


@click.command("diff")
@click.argument("version_id", type=int)
@click.option(
    "--against",
    "other_id",
    type=int,
    default=None,
    help="So với phiên bản này (mặc định: phiên bản mà nó được tạo từ đó).",
)
@click.option("--stat", "only_stat", is_flag=True, help="Chỉ in số dòng đổi của từng tệp.")
def config_diff(version_id: int, other_id: int | None, only_stat: bool) -> None:
    """In khác biệt (unified diff, từng tệp) của phiên bản VERSION_ID."""
    with _domain_errors(), unit_of_work().read() as session:
        version = configstore.get(session, version_id)
        base_id = other_id if other_id is not None else version.parent_id
        base = configstore.get(session, base_id).files if base_id is not None else {}
        found = changes(base, version.files)
    if not found:
        click.echo(f"Phiên bản {version_id} không khác phiên bản {base_id}.")
        return
    click.echo(f"Phiên bản {version_id} so với phiên bản {base_id or '(không có)'}:")
    for line in stat(found) if only_stat else []:
        click.echo(f"  {line}")
    if not only_stat:
        click.echo("".join(c.text for c in found), nl=False)


# -- rollback / cancel -----------------------------------------------------------------------------


@click.command("rollback")
@click.argument("version_id", type=int)
@click.option("--reason", default="", help="Lý do (mặc định: Khôi phục phiên bản N).")
@AUTHOR_OPTION
def config_rollback(version_id: int, reason: str, author: str) -> None:
    """Khôi phục phiên bản VERSION_ID: áp dụng ngay nội dung của nó thành một phiên bản mới."""
    try:
        with _domain_errors(), unit_of_work().begin() as session:
            version = configstore.rollback(session, version_id, author=author, reason=reason)
    except configstore.NoChange as exc:
        click.echo(exc.message_vi)
        return
    except ConfigInvalid as exc:
        raise Failure(
            f"phiên bản {version_id} không còn hợp lệ với mã nguồn hiện tại "
            f"({len(exc.errors)} lỗi, lỗi đầu: {exc.errors[0].format('vi')}); không khôi phục"
        ) from None
    click.echo(
        f"Đã tạo phiên bản {version.id} từ phiên bản {version_id}, áp dụng ngay "
        f"(thay phiên bản {version.parent_id})."
    )


@click.command("cancel")
@click.argument("version_id", type=int)
def config_cancel(version_id: int) -> None:
    """Hủy một phiên bản đang chờ áp dụng (giữ lại trong lịch sử, không bao giờ áp dụng)."""
    with _domain_errors(), unit_of_work().begin() as session:
        configstore.cancel(session, version_id)
    click.echo(f"Đã hủy phiên bản {version_id}: sẽ không được áp dụng.")


# -- what-if ---------------------------------------------------------------------------------------


@click.command("whatif")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Chỉ các phản ánh gửi từ ngày này (YYYY-MM-DD, giờ địa phương).",
)
@click.option("--json", "as_json", is_flag=True, help="In JSON.")
def config_whatif(directory: Path, since: datetime | None, as_json: bool) -> None:
    """Phát lại phản ánh đã qua theo cấu hình đề xuất DIRECTORY: phân công và thời hạn.

    Không ghi gì vào cơ sở dữ liệu.
    """
    from engine.whatif import replay

    try:
        proposed = load(directory)
    except ConfigInvalid as exc:
        _print_invalid(exc, None)
        raise click.exceptions.Exit(1) from None
    day: date | None = since.date() if since else None
    result = replay(unit_of_work(), proposed, since=day)
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(result.table())


COMMANDS = (
    config_export,
    config_import,
    config_versions,
    config_diff,
    config_rollback,
    config_cancel,
    config_whatif,
)
