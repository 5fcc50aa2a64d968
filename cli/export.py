"""``phananh export``: the reports of a period for a state body on its request (Đ12.1, R23).

Whoever runs the command holds the database, so the export is the operations administrator's:
a reporter's details go out for the reports on the register of disclosures (Đ13.7), no other.
Bad input (a wrong date, from after to, an unknown agency, no reason) is one line and exit 2,
with nothing written; the file appears whole or not at all (written beside it, then renamed).
"""

from __future__ import annotations

import getpass
import os
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from cli.runtime import CONFIG_OPTION, snapshot, unit_of_work
from engine.export import FORMATS, Exporter, build_request
from engine.services.errors import InvalidInput
from engine.services.lifecycle import Actor
from engine.workflow import Role


def _user() -> str:
    try:
        return getpass.getuser() or "phananh"
    except Exception:  # noqa: BLE001 - no user name in this environment
        return "phananh"


@click.command("export")
@click.option("--from", "date_from", required=True, help="Ngày đầu (yyyy-mm-dd hoặc dd/mm/yyyy).")
@click.option("--to", "date_to", required=True, help="Ngày cuối, tính cả ngày đó.")
@click.option("--agency", default=None, help="Mã cơ quan xử lý (kể cả đơn vị trực thuộc).")
@click.option("--format", "format_", type=click.Choice(FORMATS), required=True)
@click.option("--with-media", is_flag=True, help="Kèm ảnh, video: gói zip có bảng SHA-256.")
@click.option("--reason", required=True, help="Lý do: văn bản đề nghị của cơ quan nhà nước.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Tệp ghi ra.")
@click.option("--by", "by", default=_user, help="Người xuất (mặc định: tài khoản hệ điều hành).")
@click.option(
    "--media",
    "media_root",
    type=click.Path(path_type=Path),
    default=lambda: os.environ.get("PHANANH_MEDIA", "instance/media"),
    show_default="PHANANH_MEDIA hoặc instance/media",
    help="Thư mục lưu ảnh, video (PHANANH_MEDIA của ứng dụng web).",
)
@CONFIG_OPTION
def export(
    date_from: str,
    date_to: str,
    agency: str | None,
    format_: str,
    with_media: bool,
    reason: str,
    out: Path | None,
    by: str,
    media_root: Path,
    config_dir: Path,
) -> None:
    """Xuất mọi phản ánh gửi trong khoảng ngày, kèm phân công, thời hạn, diễn biến, đánh giá."""
    config = snapshot(config_dir)
    try:
        request = build_request(
            config,
            date_from=date_from,
            date_to=date_to,
            format=format_,
            reason=reason,
            agency=agency,
            with_media=with_media,
        )
    except InvalidInput as refused:
        raise click.UsageError(refused.message_vi) from None
    target = out or Path(request.file_name)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise click.UsageError(f"thư mục '{folder}' không có; tạo nó trước hoặc chọn --out khác")
    actor = Actor(f"{by} (dòng lệnh)", Role.OPERATOR_ADMIN)
    exporter = Exporter(
        unit_of_work(), config, ZoneInfo(config.calendar.timezone), media_root=media_root
    )
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".export-", delete=False) as handle:
        try:
            written = exporter.write(actor, request, handle)
        except BaseException:
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
            raise
    os.replace(handle.name, target)
    media = f", {written.media} tệp ảnh, video" if request.with_media else ""
    missing = f" (thiếu {len(written.missing)} tệp, xem media-thieu.txt)" if written.missing else ""
    click.echo(
        f"Đã xuất {written.rows} phản ánh{media} vào {target}{missing}; "
        f"{written.identities} có thông tin người phản ánh đã được cung cấp (Đ13.7); "
        f"bản ghi xuất số {written.record_id}."
    )
