"""``phananh report show`` and ``phananh audit verify``: a report's story, and the record's proof."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from cli.runtime import CONFIG_OPTION, Failure, lifecycle, unit_of_work
from engine import audit
from engine.services.errors import DomainError
from engine.services.story import story
from engine.timefmt import when_vi


@click.group()
def report() -> None:
    """Phản ánh: xem toàn bộ quá trình xử lý."""


@report.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="In JSON (cho chương trình khác).")
@click.option(
    "--with-reporter", is_flag=True, help="Kèm thông tin người phản ánh (chỉ cho người có quyền)."
)
@CONFIG_OPTION
def report_show(code: str, as_json: bool, with_reporter: bool, config_dir: Path) -> None:
    """Phản ánh CODE: nội dung, thời hạn từng bước, mọi sự kiện."""
    life = lifecycle(config_dir)
    with life.uow.read() as session:
        try:
            data = story(
                session,
                code,
                life.calendar,
                life.snapshot.sla.warning_threshold,
                datetime.now(UTC),
                with_reporter=with_reporter,
            )
        except DomainError as exc:
            raise Failure(exc.message_vi) from None
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    zone = life.calendar.zone

    def when(iso: str) -> str:
        return when_vi(datetime.fromisoformat(iso), zone)

    click.echo(f"{data['code']} — {data['state']} (phiên bản {data['version']})")
    click.echo(f"Lĩnh vực: {data['sector'] or '—'}; cơ quan: {data['agency'] or '—'}")
    click.echo(data["content"])
    click.echo("Thời hạn:")
    for clock in data["clocks"]:
        click.echo(
            f"  {clock['step']:<8} hạn {when(clock['due_at'])}  {clock['standing']}"
            f"{'  (đã gia hạn)' if clock['extended'] else ''}"
        )
    click.echo("Diễn biến:")
    for event in data["events"]:
        note = f" — {event['note']}" if event["note"] else ""
        click.echo(
            f"  {event['seq']:>2}. {when(event['at'])} {event['action']} ({event['actor']}){note}"
        )


@report.command("periodic")
@click.option("--from", "start", required=True, help="Từ ngày (dd/mm/yyyy hoặc YYYY-MM-DD).")
@click.option("--to", "end", required=True, help="Đến hết ngày.")
@click.option("--format", "fmt", required=True, help="xlsx, docx hoặc pdf.")
@click.option("--out", type=click.Path(path_type=Path), help="Tệp ghi ra.")
@CONFIG_OPTION
def report_periodic(start: str, end: str, fmt: str, out: Path | None, config_dir: Path) -> None:
    """Báo cáo định kỳ gửi Ủy ban nhân dân tỉnh (Đ13.9): số liệu của kỳ, XLSX, DOCX hoặc PDF."""
    from engine import periodic, stats
    from engine.services.errors import DomainError
    from engine.services.lifecycle import Actor
    from engine.workflow import Role

    if fmt not in periodic.FORMATS:
        raise click.UsageError(f"Định dạng không hỗ trợ: {fmt} (chọn xlsx, docx hoặc pdf).")
    life = lifecycle(config_dir)
    try:
        query = stats.Query(
            start=stats.parse_day(start, "--from"), end=stats.parse_day(end, "--to")
        )
        with life.uow.read() as session:
            found = stats.figures(
                session, life.snapshot, Actor("phananh report", Role.OPERATOR_ADMIN), query,
                life.now(),
            )  # fmt: skip
            late = periodic.late_cases(session, query.start, query.end)
    except DomainError as exc:
        raise click.UsageError(exc.message_vi) from None
    path = out or Path(f"bao-cao-{query.start:%Y%m%d}-{query.end:%Y%m%d}.{fmt}")
    periodic.write(
        path, fmt, found, late, query.start, query.end,
        heading=life.snapshot.report, labels=periodic.Labels.of(life.snapshot),
    )  # fmt: skip
    click.echo(str(path))


@click.group("audit")
def audit_group() -> None:
    """Kiểm tra tính toàn vẹn của hồ sơ."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Kiểm tra chuỗi băm của mọi sự kiện; thoát 1 và nêu tên phản ánh, sự kiện nếu bị sửa hay xóa."""
    with unit_of_work().read() as session:
        breaks = list(audit.verify(session))
        reports = session.scalar(audit.count_reports())
    for found in breaks:
        click.echo(str(found))
    if breaks:
        raise click.exceptions.Exit(1)
    click.echo(f"Hồ sơ toàn vẹn: {reports} phản ánh, chuỗi sự kiện không bị sửa hay xóa.")
