"""The figures of the oversight faces (R2, R30): what each one is, as typed results.

:func:`engine.stats.compute.figures` fills these from the stored rows; the API, the CLI, the
dashboards and the periodic report only read them. Every number counts *the reports of the
period*: those submitted from the first day 00:00 to the last day 24:00 in the province's zone
(Asia/Ho_Chi_Minh), narrowed by the filters, within what the asker may see. :data:`EXPLAINED`
says, for each figure, in one sentence what is counted over which reports — the sentence the pages
print beside the number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from engine.workflow import RATINGS, Clock, State

#: The workflow's steps in their order (Đ6–Đ10), each with its clock.
STEPS: tuple[str, ...] = tuple(step.value for step in Clock)
#: The steps done by the handling agency (the IOC does intake and forward): an agency's ranking
#: counts these.
AGENCY_STEPS: tuple[str, ...] = ("verify", "handle", "approve", "publish")
#: States in which a report has its result (approved, then published or answered).
WITH_RESULT: frozenset[State] = frozenset(
    {State.APPROVED, State.PUBLISHED, State.ANSWERED_PRIVATELY, State.RESTRICTED}
)
#: The ratings that count as satisfied (Huế's "77.7 % hài lòng" counts both).
SATISFIED: tuple[str, ...] = ("hai_long", "chap_nhan_duoc")
RATING_VALUES: tuple[str, ...] = tuple(RATINGS)
#: The channels a report can arrive by (portal, app, e-mail, partners' systems).
CHANNELS: tuple[str, ...] = ("web", "mobile", "email", "open311")
GRAINS: tuple[str, ...] = ("day", "week", "month")


@dataclass(frozen=True)
class Query:
    """What is asked: a period (inclusive local dates; ``None`` leaves that end open) and filters.

    ``agency`` selects the reports whose responsible agency — or, with ``with_units`` (the
    default), the sub-unit holding them — is that agency or one under it (Đ14.3).
    """

    start: date | None = None
    end: date | None = None
    agency: str | None = None
    with_units: bool = True
    sector: str | None = None
    area: str | None = None
    channel: str | None = None
    grain: str = "day"
    top: int = 10


@dataclass(frozen=True)
class Rating:
    """The latest rating of each report (Đ11.2) and the share of the two satisfied ones."""

    hai_long: int = 0
    chap_nhan_duoc: int = 0
    khong_hai_long: int = 0

    @property
    def rated(self) -> int:
        return self.hai_long + self.chap_nhan_duoc + self.khong_hai_long

    @property
    def satisfied_share(self) -> float | None:
        """``None`` when nobody rated: no share, rather than 0 %."""
        return (self.hai_long + self.chap_nhan_duoc) / self.rated if self.rated else None


@dataclass(frozen=True)
class Step:
    """One step's clocks over the reports: stopped on time or late (frozen flags), open now.

    ``late`` is late even against an approved extension's due time; ``late_within_extension``
    late against the step's own limit but within the extension (only the handle step is
    extended, Đ8.B3). ``on_time + late + late_within_extension`` is every stopped clock.
    ``median_minutes`` and ``p90_minutes`` are the working minutes the stopped clocks used (nearest
    rank), rounded down to the minute below an hour and to the hour beyond 16 hours
    (:func:`engine.stats.counting.spread_minutes`); ``None`` with no stopped clock.
    """

    on_time: int = 0
    late: int = 0
    late_within_extension: int = 0
    running: int = 0
    overdue: int = 0
    median_minutes: int | None = None
    p90_minutes: int | None = None

    @property
    def stopped(self) -> int:
        return self.on_time + self.late + self.late_within_extension

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.stopped if self.stopped else None


@dataclass(frozen=True)
class Counts:
    """The counts of reports and clocks for one set of reports (the whole, or one agency)."""

    received: int = 0
    rejected: int = 0
    duplicates: int = 0
    open: int = 0
    with_result: int = 0
    rating: Rating = Rating()
    steps: Mapping[str, Step] = field(default_factory=dict)

    @property
    def processed_share(self) -> float | None:
        """Results over the reports accepted for handling (received less rejected)."""
        accepted = self.received - self.rejected
        return self.with_result / accepted if accepted else None

    def agency_on_time(self) -> tuple[int, int]:
        """(on time, stopped) over the agency's own steps (:data:`AGENCY_STEPS`)."""
        steps = [self.steps[s] for s in AGENCY_STEPS if s in self.steps]
        return sum(s.on_time for s in steps), sum(s.stopped for s in steps)


@dataclass(frozen=True)
class Bucket:
    """One day, week (from Monday) or month (from the 1st) of the series, by submission date."""

    start: date
    received: int
    with_result: int


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    received: int


@dataclass(frozen=True)
class CommunePoint:
    """A commune on the map: its reports with a place, and their mean point."""

    code: str
    name: str
    received: int
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Ranked:
    """An agency's place by on-time share of its own steps (ties: more clocks first)."""

    agency: str
    name: str
    on_time: int
    stopped: int

    @property
    def share(self) -> float | None:
        return self.on_time / self.stopped if self.stopped else None


@dataclass(frozen=True)
class Figures(Counts):
    """Everything for one query: the totals, and the same counts by agency, series and ranks.

    ``by_agency`` is keyed by the responsible agency's code; reports not yet given to an agency
    (at the IOC, rejected) are in the totals only. ``by_sector`` is keyed by the sector's code
    the same way (a report not yet classified is in the totals only). ``replies`` counts the reporters' requests for
    clarification (Đ11.1), ``reopened`` the reports sent back to an agency at least once (Đ11.3).
    """

    query: Query = Query()
    replies: int = 0
    reopened: int = 0
    by_agency: Mapping[str, Counts] = field(default_factory=dict)
    by_sector: Mapping[str, Counts] = field(default_factory=dict)
    series: tuple[Bucket, ...] = ()
    top_communes: tuple[Commune, ...] = ()
    ranking: tuple[Ranked, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The JSON of the API and of ``phananh stats --json`` (one shape for both)."""
        return {
            "period": {
                "from": self.query.start.isoformat() if self.query.start else None,
                "to": self.query.end.isoformat() if self.query.end else None,
            },
            "filters": {
                "agency": self.query.agency,
                "with_units": self.query.with_units,
                "sector": self.query.sector,
                "area": self.query.area,
                "channel": self.query.channel,
            },
            **_counts_json(self),
            "replies": self.replies,
            "reopened": self.reopened,
            "by_agency": {code: _counts_json(c) for code, c in self.by_agency.items()},
            "by_sector": {code: _counts_json(c) for code, c in self.by_sector.items()},
            "series": {
                "grain": self.query.grain,
                "buckets": [
                    {
                        "start": b.start.isoformat(),
                        "received": b.received,
                        "with_result": b.with_result,
                    }
                    for b in self.series
                ],
            },
            "top_communes": [asdict(c) for c in self.top_communes],
            "ranking": [
                {
                    "agency": r.agency,
                    "name": r.name,
                    "on_time": r.on_time,
                    "stopped": r.stopped,
                    "on_time_share": r.share,
                }
                for r in self.ranking
            ],  # fmt: skip
            "explanations": {key: {"vi": vi, "en": en} for key, (vi, en) in EXPLAINED.items()},
        }


def _counts_json(counts: Counts) -> dict[str, Any]:
    return {
        "received": counts.received,
        "rejected": counts.rejected,
        "duplicates": counts.duplicates,
        "open": counts.open,
        "with_result": counts.with_result,
        "processed_share": counts.processed_share,
        "rating": {
            **{value: getattr(counts.rating, value) for value in RATING_VALUES},
            "rated": counts.rating.rated,
            "satisfied_share": counts.rating.satisfied_share,
        },
        "steps": {name: _step_json(name, step) for name, step in counts.steps.items()},
    }


def _step_json(name: str, step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {"on_time": step.on_time, "late": step.late}
    if name == "handle":
        out["late_within_extension"] = step.late_within_extension
    out |= {
        "running": step.running,
        "overdue": step.overdue,
        "on_time_share": step.on_time_share,
        "median_minutes": step.median_minutes,
        "p90_minutes": step.p90_minutes,
    }
    return out


_OF = "trong các phản ánh gửi trong kỳ (theo bộ lọc)"
_OF_EN = "among the reports submitted in the period (as filtered)"

#: One sentence per figure, Vietnamese then English: what is counted, over which reports.
EXPLAINED: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "received": (
            "Số phản ánh gửi từ 00:00 ngày đầu đến 24:00 ngày cuối của kỳ (giờ Việt Nam), "
            "theo cơ quan, lĩnh vực, xã phường, kênh đã chọn.",
            "Reports submitted from 00:00 of the first day to 24:00 of the last (Vietnam time), "
            "for the chosen agency, sector, commune and channel.",
        ),
        "rejected": (
            f"Số phản ánh bị từ chối tiếp nhận (Đ6.1), kể cả phản ánh trùng, {_OF}.",
            f"Reports refused at intake (Đ6.1), duplicates included, {_OF_EN}.",
        ),
        "duplicates": (
            f"Số phản ánh bị từ chối vì trùng với một phản ánh đã có, {_OF}.",
            f"Reports refused as duplicates of an earlier report, {_OF_EN}.",
        ),
        "open": (
            f"Số phản ánh chưa bị từ chối và chưa có kết quả được phê duyệt, {_OF}.",
            f"Reports neither refused nor yet with an approved result, {_OF_EN}.",
        ),
        "with_result": (
            "Số phản ánh đã có kết quả: đã phê duyệt, đã công khai, đã trả lời riêng hoặc "
            f"không công khai, {_OF}.",
            "Reports with a result: approved, published, answered privately or restricted, "
            f"{_OF_EN}.",
        ),
        "processed_share": (
            f"Tỷ lệ phản ánh đã có kết quả trên số phản ánh được tiếp nhận (không tính bị từ "
            f"chối), {_OF}.",
            f"Reports with a result over the reports accepted (refused ones left out), {_OF_EN}.",
        ),
        "steps.on_time": (
            f"Số thời hạn của bước đã dừng trong thời hạn quy định (cờ trễ hạn ghi khi dừng), {_OF}.",
            f"The step's clocks stopped within their limit (the late flag frozen at stop), {_OF_EN}.",
        ),
        "steps.late": (
            f"Số thời hạn của bước đã dừng sau hạn, kể cả hạn đã gia hạn, {_OF}.",
            f"The step's clocks stopped after their due time, extension included, {_OF_EN}.",
        ),
        "steps.late_within_extension": (
            "Số thời hạn xử lý đã dừng quá thời hạn của cơ quan nhưng trong thời hạn gia hạn đã "
            f"được đồng ý (Đ8.B3), {_OF}.",
            "Handling clocks stopped past the agency's own limit but within an approved "
            f"extension (Đ8.B3), {_OF_EN}.",
        ),
        "steps.running": (
            f"Số thời hạn của bước chưa dừng lúc tính (đang chạy hoặc tạm dừng chờ bổ sung), {_OF}.",
            f"The step's clocks not stopped at the time of asking (running or paused), {_OF_EN}.",
        ),
        "steps.overdue": (
            f"Số thời hạn của bước đang chạy và đã quá hạn lúc tính, {_OF}.",
            f"The step's clocks running and past their due time at the time of asking, {_OF_EN}.",
        ),
        "steps.median_minutes": (
            "Trung vị số phút làm việc đã dùng của các thời hạn đã dừng của bước (làm tròn "
            "xuống: đến phút khi dưới 1 giờ, 5 phút khi dưới 4 giờ, 15 phút khi dưới 16 giờ, "
            f"đến giờ khi từ 16 giờ trở lên), {_OF}.",
            "Median of the working minutes used by the step's stopped clocks (rounded down: to "
            "the minute below 1 hour, to 5 minutes below 4 hours, to 15 minutes below 16 hours, "
            f"to the hour from 16 hours on), {_OF_EN}.",
        ),
        "steps.p90_minutes": (
            "Số phút làm việc mà 90% thời hạn đã dừng của bước không vượt quá, làm tròn xuống "
            f"như trung vị, {_OF}.",
            "Working minutes that 90% of the step's stopped clocks did not exceed, rounded "
            f"down as the median, {_OF_EN}.",
        ),
        "rating": (
            "Số phản ánh theo đánh giá mới nhất của người phản ánh: hài lòng, chấp nhận được, "
            f"không hài lòng (Đ11.2), {_OF}.",
            "Reports by the reporter's latest rating: satisfied, acceptable, dissatisfied "
            f"(Đ11.2), {_OF_EN}.",
        ),
        "rating.satisfied_share": (
            f"Tỷ lệ hài lòng và chấp nhận được trên số phản ánh đã được đánh giá, {_OF}.",
            f"Satisfied and acceptable ratings over the rated reports, {_OF_EN}.",
        ),
        "replies": (
            f"Số lần người phản ánh phản hồi, đề nghị làm rõ kết quả (Đ11.1), {_OF}.",
            f"The reporters' replies asking to clarify a result (Đ11.1), {_OF_EN}.",
        ),
        "reopened": (
            f"Số phản ánh đã được chuyển lại cơ quan xử lý làm rõ ít nhất một lần (Đ11.3), {_OF}.",
            f"Reports sent back to the agency for clarification at least once (Đ11.3), {_OF_EN}.",
        ),
        "series": (
            f"Số phản ánh gửi và số đã có kết quả, theo ngày, tuần (từ thứ Hai) hoặc tháng gửi, {_OF}.",
            f"Reports submitted and those with a result, by day, week (from Monday) or month of "
            f"submission, {_OF_EN}.",
        ),
        "top_communes": (
            f"Các xã, phường có nhiều phản ánh nhất, {_OF}.",
            f"The communes with the most reports, {_OF_EN}.",
        ),
        "ranking": (
            "Cơ quan xếp theo tỷ lệ thời hạn đúng hạn của các bước cơ quan làm (xác minh, xử lý, "
            f"phê duyệt, công khai), {_OF}.",
            "Agencies ranked by the on-time share of the steps they do (verify, handle, approve, "
            f"publish), {_OF_EN}.",
        ),
        "by_agency": (
            f"Các số trên cho từng cơ quan chịu trách nhiệm xử lý, {_OF}; phản ánh chưa chuyển "
            "cơ quan chỉ có trong tổng.",
            f"The same counts for each responsible agency, {_OF_EN}; reports not yet given to an "
            "agency are in the totals only.",
        ),
        "by_sector": (
            f"Các số trên cho từng lĩnh vực của phản ánh, {_OF}; phản ánh chưa phân lĩnh vực chỉ "
            "có trong tổng.",
            f"The same counts for each sector of the reports, {_OF_EN}; reports not yet given a "
            "sector are in the totals only.",
        ),
    }
)
