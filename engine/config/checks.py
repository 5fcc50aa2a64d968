"""The checks a JSON Schema can't make: references, duplicates, routing gaps, the regulation's maxima.

They run on the schema-valid data of all files together and report every problem found, each at
the line where an administrator can fix it.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine import egress
from engine.config.errors import ConfigError, format_path
from engine.config.regulation import STEP_MAXIMA
from engine.config.snapshot import CHOICE_TYPES, Duration
from engine.config.source import Source

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
COMMITTEE_KINDS = {"ubnd_huyen", "ubnd_xa", "ubnd_phuong", "ubnd_dac_khu"}


@dataclass(frozen=True)
class Item:
    """One list entry of a file, with where it stands."""

    source: Source
    path: tuple[str | int, ...]
    data: dict[str, Any]

    def error(self, field: str | None, vi: str, en: str) -> ConfigError:
        path = self.path + ((field,) if field else ())
        return ConfigError(self.source.file, self.source.line_of(path), format_path(path), vi, en)


def items(source: Source | None, key: str) -> list[Item]:
    if source is None or not isinstance(source.data, dict):
        return []
    return [Item(source, (key, i), entry) for i, entry in enumerate(source.data.get(key) or [])]


def periods(texts: Sequence[str]) -> list[tuple[int, int]]:
    """``["07:00-11:00"]`` → ``[(420, 660)]`` in minutes of the day."""
    out = []
    for text in texts:
        start, end = text.split("-")
        out.append((_minutes(start), _minutes(end)))
    return out


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def day_minutes(sla: Source) -> int:
    """Length of a working day per the calendar: the longest configured weekday."""
    hours = sla.data["calendar"]["working_hours"]
    return max(sum(end - start for start, end in periods(texts)) for texts in hours.values())


def cross_check(
    sectors: Source,
    areas: Source | None,
    sla: Source,
    environ: Mapping[str, str] | None = None,
) -> list[ConfigError]:
    """Every cross-file problem, in no particular order (the caller sorts).

    ``environ`` (the process's environment by default) gives the deployment's allow-list of
    internal webhook addresses (:data:`engine.egress.WEBHOOK_ALLOW_ENV`).
    """
    sector_items = items(sectors, "sectors")
    agency_items = items(sectors, "agencies") + items(areas, "agencies")
    area_items = items(areas, "areas")
    route_items = items(sectors, "routing")
    return [
        *_duplicates(sector_items, "code", "lĩnh vực", "sector"),
        *_duplicates(agency_items, "code", "cơ quan", "agency"),
        *_duplicates(area_items, "code", "địa bàn", "area"),
        *_duplicates(route_items, "id", "tuyến phân công", "route"),
        *_effective_periods(sector_items + agency_items + area_items),
        *_sector_fields(sector_items),
        *_agencies(agency_items, {i.data["code"] for i in area_items}, sla),
        *_webhooks(agency_items, os.environ if environ is None else environ),
        *_routes(route_items, sector_items, agency_items, area_items),
        *_calendar(sla),
        *_steps(sla),
        *_overrides(sla, sector_items, agency_items),
    ]


def _duplicates(entries: list[Item], key: str, what_vi: str, what_en: str) -> Iterator[ConfigError]:
    seen: dict[str, Item] = {}
    for item in entries:
        code = item.data[key]
        if code in seen:
            first = seen[code]
            yield item.error(
                key,
                f"mã {what_vi} '{code}' bị trùng (đã khai báo ở {first.source.file}:"
                f"{first.source.line_of(first.path)})",
                f"duplicate {what_en} code '{code}' (first declared at {first.source.file}:"
                f"{first.source.line_of(first.path)})",
            )
        else:
            seen[code] = item


def _sector_fields(sectors: list[Item]) -> Iterator[ConfigError]:
    """A sector's extra fields: codes unique in the sector, choices exactly for the choice types.

    The codes name the values stored with each report (``extra.<code>``) and Open311's
    ``attribute[<code>]``, so a duplicate would make two questions share one answer.
    """
    for sector in sectors:
        fields = [
            Item(sector.source, (*sector.path, "fields", n), data)
            for n, data in enumerate(sector.data.get("fields") or [])
        ]
        yield from _duplicates(fields, "code", "trường", "field")
        for field in fields:
            kind, choices = field.data["type"], field.data.get("choices")
            if kind in CHOICE_TYPES and not choices:
                yield field.error(
                    "type",
                    f"trường kiểu '{kind}' cần danh sách lựa chọn 'choices' (mỗi mục có code, label)",
                    f"a field of type '{kind}' needs a list of 'choices' (each with code, label)",
                )
            if kind not in CHOICE_TYPES and choices is not None:
                yield field.error(
                    "choices",
                    f"chỉ trường kiểu choice hoặc multichoice mới có 'choices' (trường này kiểu "
                    f"'{kind}')",
                    f"only a choice or multichoice field has 'choices' (this one is '{kind}')",
                )
            options = [
                Item(field.source, (*field.path, "choices", n), data)
                for n, data in enumerate(choices or [])
            ]
            yield from _duplicates(options, "code", "lựa chọn", "choice")


def _effective_periods(entries: Iterable[Item]) -> Iterator[ConfigError]:
    for item in entries:
        period = item.data.get("effective") or {}
        start, end = period.get("from"), period.get("until")
        if start and end and date.fromisoformat(start) > date.fromisoformat(end):
            yield item.error(
                "effective",
                f"ngày bắt đầu hiệu lực {start} sau ngày kết thúc {end}",
                f"effective from {start} is after effective until {end}",
            )


def _agencies(agencies: list[Item], area_codes: set[str], sla: Source) -> Iterator[ConfigError]:
    by_code = {i.data["code"]: i for i in agencies}
    limit_max, article = STEP_MAXIMA["handle"]
    day = day_minutes(sla)
    committees: dict[str, list[Item]] = defaultdict(list)
    for item in agencies:
        data = item.data
        parent = data.get("parent")
        if parent is not None and parent not in by_code:
            yield item.error(
                "parent",
                f"cơ quan cấp trên '{parent}' không tồn tại",
                f"unknown parent agency '{parent}'",
            )
        area = data.get("area")
        if area is not None:
            committees[area].append(item)
            if area not in area_codes:
                yield item.error(
                    "area", f"địa bàn '{area}' không tồn tại", f"unknown area '{area}'"
                )
            if data["kind"] not in COMMITTEE_KINDS:
                yield item.error(
                    "area",
                    f"chỉ Ủy ban nhân dân ({', '.join(sorted(COMMITTEE_KINDS))}) mới gắn với một địa bàn",
                    f"only a People's Committee ({', '.join(sorted(COMMITTEE_KINDS))}) governs an area",
                )
        limit = data.get("handling_limit")
        if limit and Duration.parse(limit).minutes(day) > limit_max.minutes(day):
            yield item.error(
                "handling_limit",
                f"thời hạn xử lý {limit} vượt quá tối đa {limit_max} ngày làm việc ({article})",
                f"handling limit {limit} exceeds the regulation's maximum of {limit_max} ({article})",
            )
    yield from _parent_cycles(by_code)
    for area, governing in committees.items():
        for extra in governing[1:]:
            yield extra.error(
                "area",
                f"địa bàn '{area}' đã có Ủy ban nhân dân '{governing[0].data['code']}'",
                f"area '{area}' already has a People's Committee, '{governing[0].data['code']}'",
            )


def _webhooks(agencies: list[Item], environ: Mapping[str, str]) -> Iterator[ConfigError]:
    """An agency's signing key only from a ``PHANANH_WEBHOOK_*`` variable, and its webhook not
    on an internal address written in the URL (names are resolved, and checked, when sending)."""
    try:
        allow, allow_problem = egress.allowed_networks(environ), ""
    except ValueError as exc:
        allow, allow_problem = (), f" ({exc})"
    for item in agencies:
        name = item.data.get("webhook_secret_env")
        problem = name and egress.env_name_problem(name, egress.WEBHOOK_ENV_PREFIX)
        if problem:
            yield item.error(
                "webhook_secret_env",
                problem,
                f"environment variable '{name}' is not allowed: only names starting with "
                f"{egress.WEBHOOK_ENV_PREFIX}, so that the configuration can't read other secrets",
            )
        url = item.data.get("webhook_url")
        for address in egress.literal_addresses(url) if url else []:
            if egress.refused(address, allow):
                yield item.error(
                    "webhook_url",
                    egress.refusal(url, address) + allow_problem,
                    f"webhook {url} ({address}) is an internal address (loopback, private, "
                    f"link-local or metadata); the deployment may allow it in "
                    f"{egress.WEBHOOK_ALLOW_ENV}{allow_problem}",
                )
                break


def _parent_cycles(by_code: dict[str, Item]) -> Iterator[ConfigError]:
    for code, item in by_code.items():
        seen = {code}
        parent = item.data.get("parent")
        while parent in by_code:
            if parent in seen:
                yield item.error(
                    "parent",
                    f"cây cơ quan có vòng lặp qua '{parent}'",
                    f"the agency tree loops through '{parent}'",
                )
                break
            seen.add(parent)
            parent = by_code[parent].data.get("parent")


def _routes(
    routes: list[Item], sectors: list[Item], agencies: list[Item], areas: list[Item]
) -> Iterator[ConfigError]:
    sector_codes = {i.data["code"] for i in sectors}
    agency_by_code = {i.data["code"]: i.data for i in agencies}
    area_by_code = {i.data["code"]: i.data for i in areas}
    committee_areas = {a.data["area"] for a in agencies if a.data.get("area")}
    covered: dict[str, set[str]] = defaultdict(set)
    ranks: dict[tuple[str, int, tuple[str, ...], tuple[str, ...]], Item] = {}
    for item in routes:
        data = item.data
        sector = data["sector"]
        if sector not in sector_codes:
            yield item.error(
                "sector", f"lĩnh vực '{sector}' không tồn tại", f"unknown sector '{sector}'"
            )
        agency = data.get("agency")
        if agency is not None and agency not in agency_by_code:
            yield item.error(
                "agency", f"cơ quan '{agency}' không tồn tại", f"unknown agency '{agency}'"
            )
        for n, area in enumerate(data.get("areas") or []):
            if area not in area_by_code:
                yield item.error(
                    "areas",
                    f"địa bàn '{area}' (thứ {n + 1}) không tồn tại",
                    f"unknown area '{area}'",
                )
        matched = {
            code
            for code, area in area_by_code.items()
            if (not data.get("areas") or code in data["areas"])
            and (not data.get("area_kinds") or area["kind"] in data["area_kinds"])
        }
        if data.get("area_committee"):
            for code in sorted(matched - committee_areas):
                yield item.error(
                    "area_committee",
                    f"địa bàn '{code}' ({area_by_code[code]['name']}) chưa có Ủy ban nhân dân để nhận phản ánh",
                    f"area '{code}' ({area_by_code[code]['name']}) has no People's Committee to route to",
                )
            matched &= committee_areas
        covered[sector] |= matched
        rank = (
            sector,
            data.get("priority", 0),
            tuple(sorted(data.get("areas") or [])),
            tuple(sorted(data.get("area_kinds") or [])),
        )
        if rank in ranks:
            yield item.error(
                "priority",
                f"trùng phạm vi và độ ưu tiên với tuyến '{ranks[rank].data['id']}': không biết chọn tuyến nào",
                f"same scope and priority as route '{ranks[rank].data['id']}': the choice would be ambiguous",
            )
        else:
            ranks[rank] = item
    yield from _routing_gaps(sectors, covered, set(area_by_code))


def _routing_gaps(
    sectors: list[Item], covered: dict[str, set[str]], all_areas: set[str]
) -> Iterator[ConfigError]:
    for item in sectors:
        code = item.data["code"]
        if code not in covered:
            yield item.error(
                "code",
                f"lĩnh vực '{code}' chưa có tuyến phân công (routing) nào",
                f"sector '{code}' has no route",
            )
            continue
        missing = sorted(all_areas - covered[code])
        if missing:
            shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
            yield item.error(
                "code",
                f"lĩnh vực '{code}' không có tuyến cho {len(missing)} địa bàn: {shown}",
                f"sector '{code}' has no route for {len(missing)} area(s): {shown}",
            )


def _calendar(sla: Source) -> Iterator[ConfigError]:
    cal = sla.data["calendar"]
    item = Item(sla, ("calendar",), cal)
    try:
        ZoneInfo(cal["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        yield item.error(
            "timezone",
            f"múi giờ '{cal['timezone']}' không tồn tại (ví dụ đúng: Asia/Ho_Chi_Minh)",
            f"unknown time zone '{cal['timezone']}' (for example Asia/Ho_Chi_Minh)",
        )
    hours = dict(cal["working_hours"])
    if "makeup_day_hours" in cal:
        hours["makeup_day_hours"] = cal["makeup_day_hours"]
    for day, texts in hours.items():
        where = ("makeup_day_hours",) if day == "makeup_day_hours" else ("working_hours", day)
        spans = sorted(zip(periods(texts), texts, strict=True))
        for n, ((start, end), text) in enumerate(spans):
            if end <= start:
                yield Item(sla, ("calendar", *where), {}).error(
                    None,
                    f"khoảng giờ {text} kết thúc trước khi bắt đầu",
                    f"working period {text} ends before it starts",
                )
            if n and start < spans[n - 1][0][1]:
                yield Item(sla, ("calendar", *where), {}).error(
                    None,
                    f"khoảng giờ {text} chồng lên {spans[n - 1][1]}",
                    f"working period {text} overlaps {spans[n - 1][1]}",
                )
    span = cal.get("range")
    if span and span["from"] > span["to"]:
        yield item.error(
            "range",
            "năm bắt đầu sau năm kết thúc",
            f"range from {span['from']} is after {span['to']}",
        )
    yield from _year_overrides(sla, cal.get("years") or {})


def _year_overrides(sla: Source, years: dict[str, Any]) -> Iterator[ConfigError]:
    for year, lists in years.items():
        off = {e["date"] for e in lists.get("days_off") or []}
        for kind in ("days_off", "working_days"):
            for n, entry in enumerate(lists.get(kind) or []):
                where = Item(sla, ("calendar", "years", year, kind, n), entry)
                if not entry["date"].startswith(f"{year}-"):
                    yield where.error(
                        "date",
                        f"ngày {entry['date']} không thuộc năm {year}",
                        f"date {entry['date']} is not in year {year}",
                    )
                if kind == "working_days" and entry["date"] in off:
                    yield where.error(
                        "date",
                        f"ngày {entry['date']} vừa là ngày nghỉ vừa là ngày làm bù",
                        f"{entry['date']} is both a day off and a make-up working day",
                    )


def _steps(sla: Source) -> Iterator[ConfigError]:
    day = day_minutes(sla)
    for step, spec in sla.data["steps"].items():
        maximum, article = STEP_MAXIMA[step]
        duration = Duration.parse(spec["duration"])
        if duration.minutes(day) > maximum.minutes(day):
            yield Item(sla, ("steps", step), spec).error(
                "duration",
                f"thời hạn bước '{step}' là {duration}, vượt mức tối đa {maximum} của Quy chế ({article})",
                f"step '{step}' takes {duration}, beyond the regulation's maximum of {maximum} ({article})",
            )


#: The IOC's steps: their clocks start when a report arrives, before it has a sector or an agency.
IOC_STEPS = ("intake", "forward")


def _overrides(sla: Source, sectors: list[Item], agencies: list[Item]) -> Iterator[ConfigError]:
    """Each override: an agency's step, known codes, within the maxima, declared once."""
    day = day_minutes(sla)
    sector_codes = {i.data["code"] for i in sectors}
    agency_by_code = {i.data["code"]: i.data for i in agencies}
    seen: dict[tuple[str, str | None, str | None], Item] = {}
    for item in items(sla, "overrides"):
        data = item.data
        step, sector, agency = data["step"], data.get("sector"), data.get("agency")
        if step in IOC_STEPS:
            yield item.error(
                "step",
                f"bước '{step}' do Trung tâm IOC làm ngay khi nhận phản ánh, khi chưa có lĩnh vực và "
                "cơ quan xử lý: không đặt thời hạn riêng được; sửa thời hạn chung trong 'steps'",
                f"step '{step}' is the IOC's, from the moment a report arrives, before it has a "
                "sector or an agency: it cannot have overrides; change it in 'steps'",
            )
        if sector is None and agency is None:
            yield item.error(
                None,
                "thời hạn riêng phải nêu 'sector: MÃ', 'agency: MÃ' hoặc cả hai; thời hạn cho mọi "
                "phản ánh thì sửa trong 'steps'",
                "an override names 'sector: CODE', 'agency: CODE' or both; a deadline for every "
                "report belongs in 'steps'",
            )
        if sector is not None and sector not in sector_codes:
            yield item.error(
                "sector", f"lĩnh vực '{sector}' không tồn tại", f"unknown sector '{sector}'"
            )
        if agency is not None and agency not in agency_by_code:
            yield item.error(
                "agency", f"cơ quan '{agency}' không tồn tại", f"unknown agency '{agency}'"
            )
        maximum, article = STEP_MAXIMA[step]
        duration = Duration.parse(data["duration"])
        if duration.minutes(day) > maximum.minutes(day):
            yield item.error(
                "duration",
                f"thời hạn riêng của bước '{step}' là {duration}, vượt mức tối đa {maximum} của "
                f"Quy chế ({article})",
                f"override of step '{step}' takes {duration}, beyond the regulation's maximum of "
                f"{maximum} ({article})",
            )
        elif step == "handle" and agency in agency_by_code:
            limit = Duration.parse(agency_by_code[agency].get("handling_limit", "6d"))
            if duration.minutes(day) > limit.minutes(day):
                yield item.error(
                    "duration",
                    f"thời hạn riêng {duration} dài hơn thời hạn xử lý {limit} của cơ quan "
                    f"'{agency}' (handling_limit) nên không bao giờ được áp dụng; sửa handling_limit "
                    "hoặc rút ngắn thời hạn riêng",
                    f"override {duration} is longer than agency '{agency}''s own handling limit "
                    f"{limit} (handling_limit), so it could never apply; change one of them",
                )
        key = (step, sector, agency)
        if key in seen:
            first = seen[key]
            where = f"{first.source.file}:{first.source.line_of(first.path)}"
            yield item.error(
                "step",
                f"trùng thời hạn riêng đã khai báo ở {where} (cùng bước, lĩnh vực và cơ quan)",
                f"duplicate override: the same step, sector and agency as {where}",
            )
        else:
            seen[key] = item


def check_portal(portal: Source) -> list[ConfigError]:
    """The province's bounds must be a real box, and the map must open inside it."""
    data = portal.data or {}
    bounds = data.get("bounds")
    errors: list[ConfigError] = []
    if not bounds:
        return errors
    item = Item(portal, ("bounds",), bounds)
    if bounds["south"] >= bounds["north"] or bounds["west"] >= bounds["east"]:
        errors.append(
            item.error(
                None,
                "khung tọa độ sai: south phải nhỏ hơn north, west nhỏ hơn east",
                "bounds are inverted: south must be below north and west below east",
            )
        )
        return errors
    center = (data.get("map") or {}).get("center")
    if center and not (
        bounds["south"] <= center[0] <= bounds["north"]
        and bounds["west"] <= center[1] <= bounds["east"]
    ):
        errors.append(
            Item(portal, ("map", "center"), {}).error(
                None,
                f"tâm bản đồ {center} nằm ngoài khung tọa độ của tỉnh",
                f"the map centre {center} is outside the province's bounds",
            )
        )
    return errors


def check_notify(notify: Source) -> list[ConfigError]:
    """The mail account only from ``PHANANH_SMTP_*`` variables, and never sent in clear text:
    a login needs ``starttls`` or ``ssl``, or a relay on this machine that is allowed to take it
    plain (``allow_plain_login_localhost``)."""
    smtp = (notify.data or {}).get("smtp") or {}
    item = Item(notify, ("smtp",), smtp)
    errors: list[ConfigError] = []
    for key in ("username_env", "password_env"):
        name = smtp.get(key)
        problem = name and egress.env_name_problem(name, egress.SMTP_ENV_PREFIX)
        if problem:
            errors.append(
                item.error(
                    key,
                    problem,
                    f"environment variable '{name}' is not allowed: only names starting with "
                    f"{egress.SMTP_ENV_PREFIX}, so that the configuration can't read other secrets",
                )
            )
    host = smtp.get("host", "localhost")
    local = egress.loopback(host)
    if smtp.get("allow_plain_login_localhost") and not local:
        errors.append(
            item.error(
                "allow_plain_login_localhost",
                f"chỉ được đăng nhập không mã hóa với máy chủ thư trên chính máy này (localhost, "
                f"127.0.0.1), không phải '{host}'",
                f"a plain-text login is allowed only to a mail server on this machine "
                f"(localhost, 127.0.0.1), not '{host}'",
            )
        )
    plain_ok = smtp.get("allow_plain_login_localhost") and local
    if smtp.get("username_env") and smtp.get("security", "none") == "none" and not plain_ok:
        errors.append(
            item.error(
                "security",
                "đăng nhập máy chủ thư phải qua kết nối mã hóa: đặt security: starttls hoặc ssl "
                "(mật khẩu không được gửi dạng rõ qua mạng)",
                "logging in to the mail server needs an encrypted connection: set security: "
                "starttls or ssl (the password is never sent in clear text)",
            )
        )
    return errors
