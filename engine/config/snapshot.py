"""The typed, immutable configuration snapshot.

Everything the province may change (Đ13.8) ends up here once it has passed the JSON Schemas and the
cross-checks of :mod:`engine.config.checks`. The rest of the engine (calendar, rules, later the
workflow and the clocks) reads only this snapshot, never the YAML, so a running process can swap one
snapshot for another atomically.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum
from types import MappingProxyType


class Unit(StrEnum):
    """Units of working time. A working day is one full day of the calendar's working time."""

    MINUTE = "m"
    HOUR = "h"
    DAY = "d"


@dataclass(frozen=True, order=True)
class Duration:
    """A span of working time, such as ``2h`` or ``6d``.

    ``d`` is a working day — the calendar's full day of working time (8 h by default) — never 24 h,
    so a duration cannot be turned into minutes without the calendar that defines the day.
    """

    amount: int
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse ``90m``, ``2h`` or ``6d``; raise ``ValueError`` with a sentence otherwise."""
        raw = str(text).strip()
        if len(raw) < 2 or raw[-1] not in {u.value for u in Unit} or not raw[:-1].isdigit():
            raise ValueError(
                f"'{text}' không phải thời hạn: viết số nguyên kèm m, h hoặc d, ví dụ 90m, 2h, 6d "
                f"('{text}' is not a duration: a whole number followed by m, h or d)."
            )
        amount = int(raw[:-1])
        if amount <= 0:
            raise ValueError(
                f"'{text}' không phải thời hạn: phải lớn hơn 0 ('{text}' must be greater than zero)."
            )
        return cls(amount, Unit(raw[-1]))

    def minutes(self, day_minutes: int) -> int:
        """Working minutes in this duration, given the length of a working day in minutes."""
        if self.unit is Unit.MINUTE:
            return self.amount
        if self.unit is Unit.HOUR:
            return self.amount * 60
        return self.amount * day_minutes

    def __str__(self) -> str:
        return f"{self.amount}{self.unit.value}"


@dataclass(frozen=True)
class Effective:
    """A period in which a configured thing exists; ``None`` on either side means open."""

    start: date | None = None
    end: date | None = None

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


#: The kinds of a sector's extra field (``sectors[].fields[].type``).
FIELD_TYPES = ("text", "textarea", "number", "integer", "date", "choice", "multichoice", "boolean")
#: The kinds that pick from ``choices`` (and the only ones that may have them).
CHOICE_TYPES = frozenset({"choice", "multichoice"})
#: When a field is asked: of the citizen with the report, or of the officer with the result.
FIELD_STAGES = ("report", "result")


@dataclass(frozen=True)
class FieldChoice:
    """One option of a ``choice`` or ``multichoice`` field: the stored ``code`` and its label."""

    code: str
    label: str
    label_en: str | None = None


@dataclass(frozen=True)
class SectorField:
    """An extra field of a sector's reports, generated as a form field on every channel.

    ``stage`` ``report``: asked of the citizen with the report (the portal, the API, Open311);
    ``result``: asked of the officer with the proposed result (Đ8.B4), for example the tonnes of
    waste collected. ``public`` false keeps the value out of public output (it stays on the desk
    and in the reporter's own view). Values are checked by :mod:`engine.sector_fields`.
    """

    code: str
    label: str
    type: str
    required: bool = False
    stage: str = "report"
    choices: tuple[FieldChoice, ...] = ()
    label_en: str | None = None
    help: str | None = None
    help_en: str | None = None
    public: bool = True


@dataclass(frozen=True)
class Sector:
    """A sector (lĩnh vực) of Phụ lục 1 and what it covers, and its reports' extra fields."""

    code: str
    name: str
    description: str
    keywords: tuple[str, ...] = ()
    effective: Effective = Effective()
    fields: tuple[SectorField, ...] = ()

    def fields_for(self, stage: str) -> tuple[SectorField, ...]:
        """The extra fields asked at ``stage`` (``report`` or ``result``), in configured order."""
        return tuple(f for f in self.fields if f.stage == stage)


@dataclass(frozen=True)
class Contact:
    """A person an agency names for the service (Đ14.1): its leader or a focal officer."""

    name: str
    title: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Agency:
    """A handling agency (cơ quan xử lý, Đ2.3): a department, a People's Committee, an enterprise.

    ``area`` is set for a commune-level People's Committee: the area it governs, which is how a
    route to "the committee of the report's commune" finds it. ``email`` is where the worker sends
    the agency's notices and daily digest; ``webhook_url`` is the agency's own system (R24), sent
    the same notices signed with the secret in the environment variable ``webhook_secret_env``.
    ``leader`` and ``focal_officers`` are the people it names for the service (Đ14.1); optional in
    the files, so that a configuration stays valid while an agency has not named them yet.
    """

    code: str
    name: str
    kind: str
    parent: str | None = None
    area: str | None = None
    handling_limit: Duration = Duration(6, Unit.DAY)
    effective: Effective = Effective()
    email: str | None = None
    webhook_url: str | None = None
    webhook_secret_env: str | None = None
    leader: Contact | None = None
    focal_officers: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class Area:
    """An administrative unit where reports are located (today: a xã, phường or đặc khu)."""

    code: str
    name: str
    kind: str
    province: str | None = None
    effective: Effective = Effective()


@dataclass(frozen=True)
class Route:
    """One row of the routing table: a sector (optionally narrowed to areas) to an agency.

    Exactly one of ``agency`` (a fixed agency code) and ``area_committee`` (the People's Committee
    of the report's area) is set. Among matching routes the highest ``priority`` wins; a route
    narrowed by ``areas`` or ``area_kinds`` is more specific than one that is not.
    """

    id: str
    sector: str
    agency: str | None = None
    area_committee: bool = False
    areas: tuple[str, ...] = ()
    area_kinds: tuple[str, ...] = ()
    priority: int = 0


@dataclass(frozen=True)
class WorkPeriod:
    start: time
    end: time


@dataclass(frozen=True)
class CalendarConfig:
    """The working calendar: weekly hours, public holidays and per-year overrides.

    ``weekly_hours`` maps ISO weekday (1 = Monday … 7 = Sunday) to that day's working periods;
    a weekday that is absent is not worked. ``makeup_hours`` are the periods of a make-up working
    day (a Saturday worked in exchange for a bridge day off).
    """

    timezone: str
    weekly_hours: Mapping[int, tuple[WorkPeriod, ...]]
    makeup_hours: tuple[WorkPeriod, ...]
    holidays_country: str | None = "VN"
    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    first_year: int = 2020
    last_year: int = 2035

    @property
    def day_minutes(self) -> int:
        """Length of one working day: the longest configured day, 480 minutes by default."""
        lengths = [
            sum(_minutes(p.end) - _minutes(p.start) for p in periods)
            for periods in self.weekly_hours.values()
        ]
        return max(lengths, default=0)


@dataclass(frozen=True)
class StepDeadline:
    """The deadline of one step of the regulation, counted from ``starts_at``."""

    step: str
    duration: Duration
    starts_at: str
    article: str


@dataclass(frozen=True)
class StepOverride:
    """A step's own deadline for one sector, one agency, or one sector at one agency.

    From the ``overrides`` list of ``sla.yaml`` (for example an agency's own decision, with its
    ``reason``). The checks keep it within the regulation's maximum for the step; which one applies
    to a report is decided by :func:`engine.sla.allowance.allowance` — the most specific wins.
    """

    step: str
    duration: Duration
    sector: str | None = None
    agency: str | None = None
    reason: str = ""

    @property
    def rank(self) -> int:
        """How specific it is: 3 = sector and agency, 2 = agency, 1 = sector (0: neither)."""
        return 2 * (self.agency is not None) + (self.sector is not None)

    def applies(self, step: str, sector: str | None, agency: str | None) -> bool:
        """Whether it is for ``step`` and every code it names is the report's."""
        return (
            self.step == step
            and (self.sector is None or self.sector == sector)
            and (self.agency is None or self.agency == agency)
        )


@dataclass(frozen=True)
class SlaConfig:
    steps: Mapping[str, StepDeadline]
    warning_threshold: float
    handle_max: Duration
    overrides: tuple[StepOverride, ...] = ()


@dataclass(frozen=True)
class Bounds:
    south: float
    west: float
    north: float
    east: float

    def contains(self, latitude: float, longitude: float) -> bool:
        return self.south <= latitude <= self.north and self.west <= longitude <= self.east


@dataclass(frozen=True)
class PortalConfig:
    """The citizens' portal: the map, the province's bounds, upload limits and paging.

    The upload limits are the citizens' (``max_*``) and the agency's result files (``result_*``).
    """

    tile_url: str = ""
    attribution: str = ""
    center: tuple[float, float] = (10.05, 106.25)
    zoom: int = 9
    bounds: Bounds | None = None
    max_files: int = 6
    max_photo_bytes: int = 10 * 1024 * 1024
    max_video_bytes: int = 50 * 1024 * 1024
    max_pixels: int = 24_000_000
    #: The agency's files with its result (Đ8.B4): photos within the limits above, and PDFs.
    result_max_files: int = 10
    result_max_document_bytes: int = 20 * 1024 * 1024
    #: Longest side of a stored photo, in pixels: the server downscales to it, and the portal's
    #: page shrinks photos to it before sending them.
    max_photo_side: int = 2560
    content_max_chars: int = 5000
    page_size: int = 20


@dataclass(frozen=True)
class ReportHeading:
    """Who signs the periodic report to the province's committee (R30, Đ13.9) and whom it goes
    to: the heading and the ending of a Vietnamese administrative report (Nghị định 30/2020/NĐ-CP).

    Đ13.9 gives the report to Sở Thông tin và Truyền thông; since the 2025 reorganisation its work
    is done by Sở Khoa học và Công nghệ, the default. ``parent`` is the body above the issuer (the
    line over its name), ``place`` the place name of the date line, ``addressee`` the "Kính gửi"
    line, ``recipients`` the "Nơi nhận" list, ``signer`` the signer's title. ``portal.yaml``'s
    ``report:`` block sets them; :func:`engine.config.build.report_heading` fills what it leaves
    out from the province's name.
    """

    issuer: str = "SỞ KHOA HỌC VÀ CÔNG NGHỆ"
    parent: str = ""
    place: str = ""
    addressee: str = ""
    recipients: tuple[str, ...] = ("Như trên", "Lưu: VT")
    signer: str = "GIÁM ĐỐC"


@dataclass(frozen=True)
class SmtpConfig:
    """The mail server the worker sends through; credentials come from environment variables."""

    host: str = "localhost"
    port: int = 25
    #: ``none``, ``starttls`` (upgrade a plain connection) or ``ssl`` (TLS from the start).
    security: str = "none"
    username_env: str | None = None
    password_env: str | None = None
    sender: str = "Phản ánh hiện trường <phananh@localhost>"
    timeout_seconds: int = 30
    #: Log in without TLS, allowed only when ``host`` is this machine (a local relay).
    allow_plain_login_localhost: bool = False


@dataclass(frozen=True)
class RetryPolicy:
    """Attempt ``n`` (1-based) failed → wait ``base_seconds * 2**(n-1)``, at most ``max_seconds``."""

    max_attempts: int = 8
    base_seconds: int = 60
    max_seconds: int = 6 * 3600

    def delay_seconds(self, attempts: int) -> int:
        return min(self.base_seconds * 2 ** max(attempts - 1, 0), self.max_seconds)


@dataclass(frozen=True)
class NotifyConfig:
    """How the worker reaches people and systems (``notify.yaml``; built-in defaults without it).

    ``digest_at`` is the local time after which each day's digests are queued; ``None`` turns them
    off. ``public_base_url`` makes the links in mails (``https://…`` without a trailing slash).
    """

    smtp: SmtpConfig = SmtpConfig()
    ioc_email: str | None = None
    public_base_url: str = ""
    retry: RetryPolicy = RetryPolicy()
    digest_at: time | None = time(17, 30)
    webhook_timeout_seconds: int = 15


@dataclass(frozen=True)
class ScheduledReport:
    """One entry: built on ``build_on`` (day, month), covering from ``start`` (day, month; ``None``
    for the day the previous scheduled report was built) to the day before, in ``formats``."""

    name: str
    build_on: tuple[int, int]
    start: tuple[int, int] | None
    formats: tuple[str, ...]


@dataclass(frozen=True)
class Template:
    name: str
    source: str


@dataclass(frozen=True)
class Snapshot:
    """One validated configuration, immutable once built."""

    sectors: Mapping[str, Sector]
    agencies: Mapping[str, Agency]
    areas: Mapping[str, Area]
    routes: tuple[Route, ...]
    calendar: CalendarConfig
    sla: SlaConfig
    templates: Mapping[str, Template] = field(default_factory=dict)
    portal: PortalConfig = PortalConfig()
    province: str = ""
    source: str = ""
    notify: NotifyConfig = NotifyConfig()
    #: The reports the worker builds on schedule (``periodic.yaml``); none without the file.
    periodic: tuple[ScheduledReport, ...] = ()
    #: The periodic report's heading, addressee, recipients and signer (``portal.yaml`` ``report:``).
    report: ReportHeading = ReportHeading()

    def __post_init__(self) -> None:
        for name in ("sectors", "agencies", "areas", "templates"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        committees = {a.area: a for a in self.agencies.values() if a.area is not None}
        object.__setattr__(self, "_committees", MappingProxyType(committees))

    def committee_of(self, area_code: str) -> Agency | None:
        """The People's Committee that governs ``area_code``, if one is configured."""
        return self._committees.get(area_code)  # type: ignore[attr-defined]


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute
