"""A small hand-built configuration snapshot for the rules tests."""

from __future__ import annotations

from datetime import date, time

from engine.config.snapshot import (
    Agency,
    Area,
    CalendarConfig,
    Duration,
    Effective,
    Route,
    Sector,
    SlaConfig,
    Snapshot,
    StepDeadline,
    Unit,
    WorkPeriod,
)

REFORM = date(2025, 7, 1)  # communes replace districts (Nghị quyết 202/2025/QH15)

SECTORS = (
    Sector(
        "moi-truong",
        "Tài nguyên và Môi trường",
        "Rác thải, ô nhiễm, nước thải.",
        keywords=("rác thải", "ô nhiễm", "nước thải", "Môi trường", "rac thai"),
    ),
    Sector(
        "giao-thong",
        "Giao thông vận tải",
        "Đường sá, đèn tín hiệu.",
        keywords=("ổ gà", "đèn giao thông", "giao thông", "đường"),
    ),
    Sector("dien-luc", "Điện lực", "Cung cấp điện.", keywords=("điện", "mất điện", "cột điện")),
    Sector(
        "thong-tin",
        "Thông tin và Truyền thông",
        "Viễn thông, internet.",
        keywords=("điện thoại", "internet", "cáp quang"),
        effective=Effective(start=date(2020, 9, 11)),
    ),
    Sector(
        "do-thi",
        "Quản lý đô thị (cấp huyện)",
        "Trật tự đô thị.",
        keywords=("lấn chiếm vỉa hè",),
        effective=Effective(end=date(2025, 6, 30)),
    ),
)

AGENCIES = (
    Agency("STNMT", "Sở Tài nguyên và Môi trường", "so"),
    Agency("SXD", "Sở Xây dựng", "so"),
    Agency("EVN-VL", "Công ty Điện lực Vĩnh Long", "doanh_nghiep"),
    Agency(
        "STTTT", "Sở Thông tin và Truyền thông", "so", effective=Effective(end=date(2025, 2, 28))
    ),
    Agency("SKHCN", "Sở Khoa học và Công nghệ", "so", effective=Effective(start=date(2025, 3, 1))),
    Agency(
        "UBND-TPVL",
        "UBND thành phố Vĩnh Long",
        "ubnd_huyen",
        effective=Effective(end=date(2025, 6, 30)),
    ),
    Agency("UBND-29641", "Ủy ban nhân dân xã Cái Nhum", "ubnd_xa", area="29641"),
    Agency(
        "UBND-29642",
        "Ủy ban nhân dân phường Long Châu",
        "ubnd_phuong",
        area="29642",
        effective=Effective(start=REFORM),
    ),
)

AREAS = (
    Area("29641", "Xã Cái Nhum", "xa", province="86"),
    Area("29642", "Phường Long Châu", "phuong", province="86", effective=Effective(start=REFORM)),
    Area("29643", "Xã Tân Long", "xa", province="86"),  # no committee configured
)

ROUTES = (
    Route("giao-thong", "giao-thong", agency="SXD"),
    Route("giao-thong-cai-nhum", "giao-thong", agency="UBND-29641", areas=("29641",)),
    Route("dien-luc", "dien-luc", agency="EVN-VL"),
    Route("moi-truong", "moi-truong", area_committee=True),
    Route("moi-truong-phuong", "moi-truong", agency="STNMT", area_kinds=("phuong",), priority=10),
    Route("moi-truong-so", "moi-truong", agency="STNMT", priority=-10),
    Route("thong-tin-cu", "thong-tin", agency="STTTT"),
    Route("thong-tin", "thong-tin", agency="SKHCN"),
    Route("do-thi", "do-thi", agency="UBND-TPVL"),
)


def _calendar() -> CalendarConfig:
    day = (WorkPeriod(time(7), time(11)), WorkPeriod(time(13), time(17)))
    return CalendarConfig(
        timezone="Asia/Ho_Chi_Minh",
        weekly_hours={d: day for d in range(1, 6)},
        makeup_hours=day,
    )


def _sla() -> SlaConfig:
    step = StepDeadline("handle", Duration(6, Unit.DAY), "accepted", "Đ8.B3")
    return SlaConfig(
        steps={"handle": step}, warning_threshold=0.75, handle_max=Duration(6, Unit.DAY)
    )


def make_snapshot(
    sectors: tuple[Sector, ...] = SECTORS,
    agencies: tuple[Agency, ...] = AGENCIES,
    areas: tuple[Area, ...] = AREAS,
    routes: tuple[Route, ...] = ROUTES,
    source: str = "tests",
) -> Snapshot:
    return Snapshot(
        sectors={s.code: s for s in sectors},
        agencies={a.code: a for a in agencies},
        areas={a.code: a for a in areas},
        routes=routes,
        calendar=_calendar(),
        sla=_sla(),
        source=source,
    )
