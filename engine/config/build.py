"""Turning validated YAML data into the immutable snapshot."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from engine.config import periodic as periodic_config
from engine.config.checks import WEEKDAYS, periods
from engine.config.snapshot import (
    Agency,
    Area,
    Bounds,
    CalendarConfig,
    Contact,
    Duration,
    Effective,
    FieldChoice,
    NotifyConfig,
    PortalConfig,
    ReportHeading,
    RetryPolicy,
    Route,
    Sector,
    SectorField,
    SlaConfig,
    SmtpConfig,
    Snapshot,
    StepDeadline,
    StepOverride,
    Template,
    WorkPeriod,
)


def effective(data: dict[str, Any]) -> Effective:
    period = data.get("effective") or {}
    start, end = period.get("from"), period.get("until")
    return Effective(
        date.fromisoformat(start) if start else None, date.fromisoformat(end) if end else None
    )


def sector(data: dict[str, Any]) -> Sector:
    return Sector(
        code=data["code"],
        name=data["name"],
        description=data["description"].strip(),
        keywords=tuple(data.get("keywords") or ()),
        effective=effective(data),
        fields=tuple(sector_field(f) for f in data.get("fields") or ()),
    )


def sector_field(data: dict[str, Any]) -> SectorField:
    return SectorField(
        code=data["code"],
        label=data["label"],
        type=data["type"],
        required=bool(data.get("required", False)),
        stage=data.get("stage", "report"),
        choices=tuple(
            FieldChoice(c["code"], c["label"], c.get("label_en")) for c in data.get("choices") or ()
        ),
        label_en=data.get("label_en"),
        help=data.get("help"),
        help_en=data.get("help_en"),
        public=bool(data.get("public", True)),
    )


def agency(data: dict[str, Any]) -> Agency:
    return Agency(
        code=data["code"],
        name=data["name"],
        kind=data["kind"],
        parent=data.get("parent"),
        area=data.get("area"),
        handling_limit=Duration.parse(data.get("handling_limit", "6d")),
        effective=effective(data),
        email=data.get("email"),
        webhook_url=data.get("webhook_url"),
        webhook_secret_env=data.get("webhook_secret_env"),
        leader=contact(data["leader"]) if data.get("leader") else None,
        focal_officers=tuple(contact(c) for c in data.get("focal_officers") or ()),
    )


def contact(data: dict[str, Any]) -> Contact:
    return Contact(
        name=data["name"], title=data.get("title"), phone=data.get("phone"), email=data.get("email")
    )


def area(data: dict[str, Any], province: str | None) -> Area:
    return Area(data["code"], data["name"], data["kind"], province, effective(data))


def route(data: dict[str, Any]) -> Route:
    return Route(
        id=data["id"],
        sector=data["sector"],
        agency=data.get("agency"),
        area_committee=bool(data.get("area_committee", False)),
        areas=tuple(data.get("areas") or ()),
        area_kinds=tuple(data.get("area_kinds") or ()),
        priority=int(data.get("priority", 0)),
    )


def work_periods(texts: list[str]) -> tuple[WorkPeriod, ...]:
    return tuple(WorkPeriod(_time(start), _time(end)) for start, end in sorted(periods(texts)))


def _time(minutes: int) -> time:
    # "24:00" closes a day that works until midnight; time() can't hold it, 23:59 is not it either.
    return time.max if minutes >= 24 * 60 else time(minutes // 60, minutes % 60)


def calendar(data: dict[str, Any]) -> CalendarConfig:
    weekly = {
        WEEKDAYS.index(day) + 1: work_periods(texts) for day, texts in data["working_hours"].items()
    }
    default_day = next(iter(weekly.values()))
    years = data.get("years") or {}
    span = data.get("range") or {"from": 2020, "to": 2035}
    holidays = data.get("public_holidays", {"country": "VN"})
    return CalendarConfig(
        timezone=data["timezone"],
        weekly_hours=weekly,
        makeup_hours=work_periods(data["makeup_day_hours"])
        if "makeup_day_hours" in data
        else default_day,
        holidays_country=holidays["country"] if holidays else None,
        days_off=frozenset(_dates(years, "days_off")),
        working_days=frozenset(_dates(years, "working_days")),
        first_year=span["from"],
        last_year=span["to"],
    )


def _dates(years: dict[str, Any], kind: str) -> list[date]:
    return [date.fromisoformat(e["date"]) for y in years.values() for e in y.get(kind) or []]


def sla(data: dict[str, Any]) -> SlaConfig:
    steps = {
        name: StepDeadline(name, Duration.parse(s["duration"]), s["from"], s.get("article", ""))
        for name, s in data["steps"].items()
    }
    return SlaConfig(
        steps=steps,
        warning_threshold=float(data["warning_threshold"]),
        handle_max=steps["handle"].duration,
        overrides=tuple(step_override(o) for o in data.get("overrides") or ()),
    )


def step_override(data: dict[str, Any]) -> StepOverride:
    return StepOverride(
        step=data["step"],
        duration=Duration.parse(data["duration"]),
        sector=data.get("sector"),
        agency=data.get("agency"),
        reason=str(data.get("reason") or "").strip(),
    )


def portal(data: dict[str, Any] | None) -> PortalConfig:
    if not data:
        return PortalConfig()
    defaults = PortalConfig()
    shown = data.get("map") or {}
    media = data.get("media") or {}
    result_files = data.get("result_files") or {}
    megabyte = 1024 * 1024
    return PortalConfig(
        tile_url=shown.get("tile_url", defaults.tile_url),
        attribution=shown.get("attribution", defaults.attribution),
        center=tuple(shown.get("center", defaults.center)),  # type: ignore[arg-type]
        zoom=shown.get("zoom", defaults.zoom),
        bounds=Bounds(**data["bounds"]) if "bounds" in data else None,
        max_files=media.get("max_files", defaults.max_files),
        max_photo_bytes=int(media.get("max_photo_mb", 10) * megabyte),
        max_video_bytes=int(media.get("max_video_mb", 50) * megabyte),
        max_pixels=int(media.get("max_megapixels", 24) * 1_000_000),
        result_max_files=result_files.get("max_files", defaults.result_max_files),
        result_max_document_bytes=int(result_files.get("max_document_mb", 20) * megabyte),
        max_photo_side=media.get("max_photo_side", defaults.max_photo_side),
        content_max_chars=data.get("content_max_chars", defaults.content_max_chars),
        page_size=data.get("page_size", defaults.page_size),
    )


def report_heading(data: dict[str, Any] | None, province: str) -> ReportHeading:
    """``portal.yaml``'s ``report:`` block (validated) → :class:`ReportHeading`; what it leaves out
    is the default issuer, and the province's committee and name."""
    data = data or {}
    defaults = ReportHeading()
    committee = f"Ủy ban nhân dân tỉnh {province}".strip()
    return ReportHeading(
        issuer=data.get("issuer", defaults.issuer),
        parent=data.get("parent", committee.upper()),
        place=data.get("place", province),
        addressee=data.get("addressee", committee),
        recipients=tuple(data.get("recipients", defaults.recipients)),
        signer=data.get("signer", defaults.signer),
    )


#: The usual port of each kind of SMTP connection, when ``notify.yaml`` names none.
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


def notify(data: dict[str, Any] | None) -> NotifyConfig:
    """``notify.yaml`` (validated) → :class:`NotifyConfig`; absent keys keep the defaults."""
    if not data:
        return NotifyConfig()
    defaults = NotifyConfig()
    mail = data.get("smtp") or {}
    retry = data.get("retry") or {}
    digest = data.get("digest") or {}
    base = SmtpConfig()
    hour = digest.get("hour")
    return NotifyConfig(
        smtp=SmtpConfig(
            host=mail.get("host", base.host),
            port=mail.get("port", DEFAULT_PORTS.get(mail.get("security", ""), base.port)),
            security=mail.get("security", base.security),
            username_env=mail.get("username_env"),
            password_env=mail.get("password_env"),
            sender=mail.get("sender", base.sender),
            timeout_seconds=mail.get("timeout_seconds", base.timeout_seconds),
            allow_plain_login_localhost=mail.get("allow_plain_login_localhost", False),
        ),
        ioc_email=data.get("ioc_email"),
        public_base_url=str(data.get("public_base_url", "")).rstrip("/"),
        retry=RetryPolicy(
            max_attempts=retry.get("max_attempts", defaults.retry.max_attempts),
            base_seconds=retry.get("base_seconds", defaults.retry.base_seconds),
            max_seconds=retry.get("max_seconds", defaults.retry.max_seconds),
        ),
        digest_at=None
        if digest.get("enabled") is False
        else (time.fromisoformat(hour) if hour else defaults.digest_at),
        webhook_timeout_seconds=(data.get("webhook") or {}).get(
            "timeout_seconds", defaults.webhook_timeout_seconds
        ),
    )


def snapshot(
    sectors: dict[str, Any],
    areas: dict[str, Any],
    sla_data: dict[str, Any],
    templates: dict[str, str],
    source: str,
    portal_data: dict[str, Any] | None = None,
    notify_data: dict[str, Any] | None = None,
    periodic_data: dict[str, Any] | None = None,
) -> Snapshot:
    province = areas.get("province") or {}
    return Snapshot(
        sectors={s["code"]: sector(s) for s in sectors["sectors"]},
        agencies={
            a["code"]: agency(a) for a in [*sectors["agencies"], *(areas.get("agencies") or [])]
        },
        areas={a["code"]: area(a, province.get("code")) for a in areas["areas"]},
        routes=tuple(route(r) for r in sectors["routing"]),
        calendar=calendar(sla_data["calendar"]),
        sla=sla(sla_data),
        templates={name: Template(name, text) for name, text in templates.items()},
        portal=portal(portal_data),
        province=province.get("name", ""),
        source=source,
        notify=notify(notify_data),
        periodic=periodic_config.build(periodic_data),
        report=report_heading((portal_data or {}).get("report"), province.get("name", "")),
    )
