"""``phananh stats``: the figures of :mod:`engine.stats` for a period, as a table or JSON.

The command line is an operator's tool and sees every agency. A wrong date, a period ending
before it starts, an unknown agency, sector, commune or channel is one line and exit 2; nothing
is written (the figures are read in a read-only unit of work).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.runtime import CONFIG_OPTION, lifecycle
from engine import stats
from engine.config.regulation import STEP_NAMES_VI
from engine.services.errors import DomainError
from engine.services.lifecycle import Actor
from engine.workflow import RATINGS, Role

OPERATOR = Actor("phananh stats", Role.OPERATOR_ADMIN)


@click.command("stats")
@click.option("--from", "start", help="Từ ngày (dd/mm/yyyy hoặc YYYY-MM-DD), kể cả ngày này.")
@click.option("--to", "end", help="Đến hết ngày (dd/mm/yyyy hoặc YYYY-MM-DD).")
@click.option("--agency", help="Mã cơ quan xử lý (kèm đơn vị trực thuộc).")
@click.option("--without-units", is_flag=True, help="Không tính đơn vị trực thuộc của --agency.")
@click.option("--sector", help="Mã lĩnh vực.")
@click.option("--area", help="Mã xã, phường.")
@click.option("--channel", help=f"Kênh gửi: {', '.join(stats.CHANNELS)}.")
@click.option(
    "--grain", default="day", show_default=True, help="Chuỗi thời gian: day, week, month."
)
@click.option("--json", "as_json", is_flag=True, help="In JSON (cùng dạng với GET /api/v1/stats).")
@CONFIG_OPTION
def stats_command(
    start: str | None,
    end: str | None,
    agency: str | None,
    without_units: bool,
    sector: str | None,
    area: str | None,
    channel: str | None,
    grain: str,
    as_json: bool,
    config_dir: Path,
) -> None:
    """Số liệu tổng hợp của kỳ: tiếp nhận, kết quả, thời hạn từng bước, đánh giá, theo cơ quan."""
    life = lifecycle(config_dir)
    try:
        query = stats.Query(
            start=stats.parse_day(start, "--from") if start else None,
            end=stats.parse_day(end, "--to") if end else None,
            agency=agency,
            with_units=not without_units,
            sector=sector,
            area=area,
            channel=channel,
            grain=grain,
        )
        with life.uow.read() as session:
            found = stats.figures(session, life.snapshot, OPERATOR, query, life.now())
    except DomainError as exc:
        raise click.UsageError(exc.message_vi) from None
    if as_json:
        click.echo(json.dumps(found.as_json(), ensure_ascii=False, indent=2))
        return
    click.echo(_table(found))


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%".replace(".", ",")


def _table(found: stats.Figures) -> str:
    q = found.query
    period = (
        f"{q.start:%d/%m/%Y}" if q.start else "đầu",
        f"{q.end:%d/%m/%Y}" if q.end else "nay",
    )
    lines = [
        f"Số liệu phản ánh gửi từ {period[0]} đến {period[1]}",
        f"  Tiếp nhận               {found.received:>8}",
        f"  Từ chối (kể cả trùng)   {found.rejected:>8}",
        f"  Trùng                   {found.duplicates:>8}",
        f"  Đang xử lý              {found.open:>8}",
        f"  Đã có kết quả           {found.with_result:>8}   ({_share(found.processed_share)})",
        f"  Phản hồi đề nghị làm rõ {found.replies:>8}",
        f"  Chuyển lại làm rõ       {found.reopened:>8}",
        "Đánh giá:",
        *(f"  {RATINGS[v]:<24}{getattr(found.rating, v):>8}" for v in stats.RATING_VALUES),
        f"  Hài lòng và chấp nhận được: {_share(found.rating.satisfied_share)}",
        "Thời hạn từng bước:      đúng hạn  trễ  trễ/gia hạn  đang chạy  quá hạn  trung vị  p90 (phút)",
    ]
    for name, step in found.steps.items():
        within = f"{step.late_within_extension:>12}" if name == "handle" else f"{'':>12}"
        lines.append(
            f"  {STEP_NAMES_VI[name][:22]:<22}{step.on_time:>9}{step.late:>5}{within}"
            f"{step.running:>11}{step.overdue:>9}{_minutes(step.median_minutes):>10}"
            f"{_minutes(step.p90_minutes):>5}"
        )
    lines.append("Cơ quan xếp theo tỷ lệ đúng hạn:")
    for place, ranked in enumerate(found.ranking, 1):
        lines.append(f"  {place:>2}. {ranked.agency:<10} {_share(ranked.share):>7}  {ranked.name}")
    lines.append("Xã, phường nhiều phản ánh nhất:")
    lines += [f"  {c.received:>6}  {c.name} ({c.code})" for c in found.top_communes]
    return "\n".join(lines)


def _minutes(value: int | None) -> str:
    return "—" if value is None else str(value)
