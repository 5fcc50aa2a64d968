"""What the public and the reporter may see of reports: the published list and the tracking view.

Every public output is built here, from explicit column lists — never from a whole row — so the
reporter's identity can only appear where this module puts it: the name of a reporter who did not
ask for confidentiality, on a published report (Đ5.4). Private answers and restricted reports are
never listed (Đ10.2–10.3).

A sector's extra fields (``sectors[].fields``) are part of what was reported, like the content,
which is public once the result is: a published report shows the answers given with the report
and those the officer gave with the result, each under its label — except a field the
configuration marks ``public: false``, which is never in public output. The reporter's own view
shows every answer they gave, and the result's public ones once they have the answer. Nothing in
these fields identifies the reporter unless they typed it there, as in the content.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, func, literal_column, select
from sqlalchemy.orm import Session

from engine.config.snapshot import Snapshot
from engine.sector_fields import Detail, details
from engine.services import keyset, ranking, search
from engine.services.errors import Forbidden, NotFound
from engine.store.models import Attachment, Clock, Event, Reply, Report, Reporter
from engine.workflow import ACTIONS, RATINGS, STATE_LABELS_VI, State

#: Events whose note is addressed to the reporter, so the tracking page may show it.
NOTES_FOR_REPORTER = frozenset({"request_info", "reject"})
#: Clocks a reporter is told about: when to expect the next step's answer.
ANSWERED = frozenset({State.PUBLISHED, State.ANSWERED_PRIVATELY})


@dataclass(frozen=True)
class Photo:
    id: int
    kind: str


@dataclass(frozen=True)
class ResultFile:
    """A file the agency attached to its result (Đ8.B4): an "after" photo or a PDF document."""

    id: int
    kind: str
    filename: str
    size: int


@dataclass(frozen=True)
class PublicReport:
    code: str
    sector: str | None
    sector_name: str | None
    area: str | None
    area_name: str | None
    address: str | None
    content: str
    reporter_name: str | None
    submitted_at: datetime
    published_at: datetime | None
    result: str | None
    rating: str | None
    photos: tuple[Photo, ...]
    #: The sector's extra fields: the report's answers, then the result's (public ones only).
    details: tuple[Detail, ...] = ()
    #: The result's files; read for one report's page only, not for the lists.
    result_files: tuple[ResultFile, ...] = ()


@dataclass(frozen=True)
class Page:
    """One page of the published list by number (the public API's).

    ``cap`` is set when the list is searched: ``total`` is then counted no further than
    ``cap + 1``, and only the pages of the first ``cap`` results can be asked (as the staff's
    search, :class:`engine.services.queues.Page`). Unsearched, the count is exact.
    """

    items: tuple[PublicReport, ...]
    total: int
    page: int
    size: int
    cap: int | None = None

    @property
    def capped(self) -> bool:
        return self.cap is not None and self.total > self.cap

    @property
    def pages(self) -> int:
        counted = min(self.total, self.cap) if self.cap is not None else self.total
        return max(1, math.ceil(counted / self.size))


@dataclass(frozen=True)
class Filters:
    sector: str | None = None
    area: str | None = None
    since: date | None = None
    until: date | None = None
    text: str | None = None


def _public_columns() -> tuple[Any, ...]:
    # The one place a reporter's name enters public output: only when they did not ask otherwise.
    shown_name = (
        select(Reporter.name)
        .where(Reporter.report_id == Report.id, Report.confidential.is_(False))
        .scalar_subquery()
    )
    return (
        Report.id,
        Report.code,
        Report.sector,
        Report.area,
        Report.address,
        Report.content,
        shown_name.label("reporter_name"),
        Report.submitted_at,
        Report.published_at,
        Report.published_text,
        Report.rating,
        Report.suggested_sector,
        Report.extra,
        Report.result_extra,
    )


def _published() -> list[Any]:
    # Written as the partial index ix_reports_published says it (the state as a literal, not a
    # parameter), so that the planner may read the list from that index.
    return [
        Report.state == literal_column(f"'{State.PUBLISHED.value}'"),
        Report.confidential.is_(False),
    ]


def _where(filters: Filters, zone: tzinfo, found: search.Matcher | None = None) -> list[Any]:
    clauses: list[Any] = [
        *_published(),
        # A published report never touches state secrets (the visibility rules restrict it,
        # Đ10.3); said again here so that no public list depends on that alone.
        Report.state_secret.is_(False),
    ]
    if filters.sector:
        clauses.append(Report.sector == filters.sector)
    if filters.area:
        clauses.append(Report.area == filters.area)
    if filters.since:
        clauses.append(Report.submitted_at >= datetime.combine(filters.since, time(), zone))
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time(), zone)
        clauses.append(Report.submitted_at < end)
    if found is not None:
        # Over published text only: the content, the place and the published answer (never the
        # reporter, who is not indexed), within the published, non-confidential reports above.
        clauses.append(found.condition())
    return clauses


def _matcher(session: Session, snapshot: Snapshot, filters: Filters) -> search.Matcher | None:
    if not filters.text:
        return None
    return search.matcher(session, filters.text, snapshot.areas)


def published_reports(
    session: Session, snapshot: Snapshot, filters: Filters, page: int = 1, size: int = 20
) -> Page:
    """Published results, newest first (the most relevant first when searched, ranked by
    :func:`ranking.ranked` and counted up to :data:`keyset.COUNT_CAP`), one page at a time by
    number."""
    found = _matcher(session, snapshot, filters)
    where = _where(filters, _zone(snapshot), found)
    if found is None:
        total = session.scalar(select(func.count()).select_from(Report).where(*where)) or 0
        page = max(1, min(page, Page((), total, page, size).pages))
        order = (Report.published_at.desc(), Report.id.desc())
        query = select(*_public_columns()).where(*where).order_by(*order)
        rows: list[Any] = list(session.execute(query.limit(size).offset((page - 1) * size)))
        return Page(_publics(session, snapshot, rows), total, page, size)
    cap = keyset.COUNT_CAP
    page = max(1, min(page, math.ceil(cap / size)))
    while True:
        result = ranking.ranked(
            session, _public_columns(), where, found, Report.published_at,
            offset=(page - 1) * size, limit=size, scope=_published(), count_cap=cap,
        )  # fmt: skip
        total = result.total or 0
        last = Page((), total, page, size, cap).pages
        if page <= last:
            break
        page = last  # a page past the last one asked for: show the last
    return Page(_publics(session, snapshot, result.rows), total, page, size, cap)


def _publics(session: Session, snapshot: Snapshot, rows: list[Any]) -> tuple[PublicReport, ...]:
    photos = _photos(session, [row.id for row in rows])
    return tuple(_public(row, snapshot, photos) for row in rows)


@dataclass(frozen=True)
class Listing:
    """One page of published results read by position (keyset), newest publication first.

    ``total`` is counted on request only, and no further than :data:`keyset.COUNT_CAP` + 1;
    ``page`` is the page's number when it was asked by number (within the first
    :data:`keyset.COUNT_CAP` results), ``None`` when it was asked by position; ``next`` is the
    position after its last result, ``None`` on the last page.
    """

    items: tuple[PublicReport, ...]
    total: int | None
    size: int
    page: int | None = None
    next: str | None = None

    @property
    def capped(self) -> bool:
        return self.total is not None and self.total > keyset.COUNT_CAP

    @property
    def cap(self) -> int:
        return keyset.COUNT_CAP

    @property
    def pages(self) -> int:
        """Pages that can be asked by number (all of them when the count is exact)."""
        counted = min(self.total or 0, keyset.COUNT_CAP)
        return max(1, math.ceil(counted / self.size))

    @property
    def next_page(self) -> int | None:
        """The next page's number while it is still among :attr:`pages`; else follow ``next``."""
        if self.page is not None and self.next is not None and self.page < self.pages:
            return self.page + 1
        return None


_ORDER = (Report.published_at, Report.id)


def published_page(
    session: Session,
    snapshot: Snapshot,
    filters: Filters,
    size: int = 20,
    *,
    page: int = 1,
    after: str | None = None,
    count: bool = True,
) -> Listing:
    """Published results, newest first: the page after position ``after``, or page ``page``.

    Searched (``filters.text``), the most relevant first (:func:`ranking.ranked`): the position
    then carries the relevance too (:mod:`engine.services.search` computes it alike on both
    databases).
    A page by number is clamped to the pages of the first :data:`keyset.COUNT_CAP` results, so
    its ``OFFSET`` never passes that many rows of the index; deeper pages go by position.
    A position not written here raises :class:`keyset.BadCursor`.
    """
    found = _matcher(session, snapshot, filters)
    where = _where(filters, _zone(snapshot), found)
    keys: tuple[Any, ...] = _ORDER if found is None else (found.relevance(), *_ORDER)
    # A search asked by number is counted while it is ranked (ranking.ranked).
    while_ranked = count and found is not None and not after
    counting = count and not while_ranked
    total = keyset.capped_count(session, select(Report.id).where(*where)) if counting else None
    number: int | None = None
    offset = 0
    if after:
        cursor = keyset.Cursor.parse(after, len(keys))
        where += keyset.after(keys, cursor, descending=True)
    else:
        counted = keyset.COUNT_CAP if while_ranked else size if total is None else total
        number = max(1, min(page, max(1, math.ceil(min(counted, keyset.COUNT_CAP) / size))))
        offset = (number - 1) * size
    rows: list[Any]
    if found is None:
        query = select(*_public_columns()).where(*where).order_by(*(k.desc() for k in keys))
        rows = list(session.execute(query.offset(offset).limit(size + 1)))
    else:
        while True:
            result = ranking.ranked(
                session, _public_columns(), where, found, Report.published_at,
                offset=offset, limit=size + 1, scope=_published(),
                count_cap=keyset.COUNT_CAP if while_ranked else None,
            )  # fmt: skip
            rows, total = result.rows, result.total if while_ranked else total
            pages = Listing((), total, size).pages
            if number is None or not while_ranked or number <= pages:
                break
            number, offset = pages, (pages - 1) * size  # past the last page: show the last
    shown = rows[:size]
    following = None
    if len(rows) > size:
        last = shown[-1]
        position = (last.published_at, last.id)
        if found is not None:
            position = (last._mapping[ranking.RANK], *position)
        following = keyset.Cursor(position).token()
    photos = _photos(session, [row.id for row in shown])
    items = tuple(_public(row, snapshot, photos) for row in shown)
    return Listing(items, total, size, number, following)


def published_report(session: Session, snapshot: Snapshot, code: str) -> PublicReport:
    row = session.execute(
        select(*_public_columns()).where(
            and_(*_where(Filters(), _zone(snapshot))), Report.code == code
        )
    ).one_or_none()
    if row is None:
        raise NotFound(
            f"Không có kết quả công khai nào mã {code}.",
            f"No published result has the code {code}.",
        )
    found = _public(row, snapshot, _photos(session, [row.id]))
    return replace(found, result_files=_result_files(session, row.id))


def _result_files(session: Session, report_id: int) -> tuple[ResultFile, ...]:
    rows = session.execute(
        select(Attachment.id, Attachment.kind, Attachment.filename, Attachment.size)
        .where(Attachment.report_id == report_id, Attachment.stage == "result")
        .order_by(Attachment.id)
    ).all()
    return tuple(ResultFile(*row) for row in rows)


def public_result_file(session: Session, attachment_id: int) -> Attachment:
    """A result's file that may be served publicly: the result is published (Đ10.1).

    The same condition as the published list's: a report the visibility rules answered privately
    (Đ10.2) or restricted (Đ10.3) is never in state ``published``, so its files are never served
    here; they are the reporter's alone (:func:`reporter_result_file`) or no one's outside the desk.
    """
    found = session.scalars(
        select(Attachment)
        .join(Report)
        .where(
            Attachment.id == attachment_id,
            Attachment.stage == "result",
            Attachment.kind.in_(("photo", "document")),
            Report.state == State.PUBLISHED,
            Report.confidential.is_(False),
        )
    ).one_or_none()
    if found is None:
        raise NotFound("Không có tệp này.", "There is no such file.")
    return found


def reporter_result_file(session: Session, code: str, token: str, attachment_id: int) -> Attachment:
    """A result's file for the reporter holding the tracking token, once they have the answer."""
    report = _tracked(session, code, token)
    found = session.get(Attachment, attachment_id)
    if (
        found is None
        or found.report_id != report.id
        or found.stage != "result"
        or State(report.state) not in ANSWERED
    ):
        raise NotFound("Không có tệp này.", "There is no such file.")
    return found


def public_photo(session: Session, attachment_id: int) -> Attachment:
    """An attachment that may be served publicly: a photo of a published, non-confidential report.

    Only photos: they were rebuilt without metadata, while videos are kept as sent, with the
    place and the device that recorded them.
    """
    found = session.scalars(
        select(Attachment)
        .join(Report)
        .where(
            Attachment.id == attachment_id,
            Attachment.stage == "report",
            Attachment.kind == "photo",
            Report.state == State.PUBLISHED,
            Report.confidential.is_(False),
            Report.state_secret.is_(False),
        )
    ).one_or_none()
    if found is None:
        raise NotFound("Không có ảnh này.", "There is no such picture.")
    return found


def _photos(session: Session, ids: list[int]) -> dict[int, tuple[Photo, ...]]:
    if not ids:
        return {}
    found: dict[int, list[Photo]] = {}
    for attachment in session.scalars(
        select(Attachment)
        .where(Attachment.report_id.in_(ids), Attachment.stage == "report")
        .order_by(Attachment.id)
    ):
        found.setdefault(attachment.report_id, []).append(Photo(attachment.id, attachment.kind))
    return {k: tuple(v) for k, v in found.items()}


def _public(row: Any, snapshot: Snapshot, photos: dict[int, tuple[Photo, ...]]) -> PublicReport:
    sector = snapshot.sectors.get(row.sector or "")
    area = snapshot.areas.get(row.area or "")
    return PublicReport(
        code=row.code,
        sector=row.sector,
        sector_name=sector.name if sector else None,
        area=row.area,
        area_name=area.name if area else None,
        address=row.address,
        content=row.content,
        reporter_name=row.reporter_name,
        submitted_at=row.submitted_at,
        published_at=row.published_at,
        result=row.published_text,
        rating=row.rating,
        photos=photos.get(row.id, ()),
        details=_details(snapshot, row, public_only=True, with_result=True),
    )


def _details(
    snapshot: Snapshot, report: Any, *, public_only: bool, with_result: bool
) -> tuple[Detail, ...]:
    """The labelled answers to the sector's extra fields (see the module's note on what is shown).

    Those of the report belong to the sector chosen when reporting (``suggested_sector``), those
    of the result to the report's sector.
    """
    asked = details(
        snapshot.sectors.get(report.suggested_sector or ""),
        report.extra,
        "report",
        public_only=public_only,
    )
    if not with_result:
        return asked
    answered = details(
        snapshot.sectors.get(report.sector or ""), report.result_extra, "result", public_only=True
    )
    return asked + answered


def _zone(snapshot: Snapshot) -> tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(snapshot.calendar.timezone)


# -- the reporter's own view, opened with the tracking token -----------------------------------


@dataclass(frozen=True)
class Step:
    at: datetime
    label: str
    note: str | None


@dataclass(frozen=True)
class Tracking:
    code: str
    state: State
    state_label: str
    version: int
    content: str
    sector_name: str | None
    area_name: str | None
    address: str | None
    submitted_at: datetime
    steps: tuple[Step, ...]
    expected_by: datetime | None
    result: str | None
    rating: str | None
    rating_label: str | None
    replies: tuple[tuple[datetime, str], ...]
    photos: tuple[Photo, ...]
    #: The reporter's own answers to the sector's extra fields; the result's once answered.
    details: tuple[Detail, ...] = ()
    #: The agency handling the report (and its unit, when one was assigned), once forwarded.
    agency_name: str | None = None
    unit_name: str | None = None
    #: The result's files, once the reporter has the answer.
    result_files: tuple[ResultFile, ...] = ()

    @property
    def answered(self) -> bool:
        return self.state in ANSWERED

    @property
    def needs_info(self) -> bool:
        return self.state is State.NEEDS_INFO


def tracking(session: Session, snapshot: Snapshot, code: str, token: str) -> Tracking:
    """The reporter's view of their report, opened with the secret token they were given."""
    report = _tracked(session, code, token)
    events = session.scalars(
        select(Event).where(Event.report_id == report.id).order_by(Event.seq)
    ).all()
    # Only the workflow's steps, in the citizen's words: records such as a disclosure to an
    # authority (Đ13.7) are not the reporter's to see, nor the agency's internal steps (whom it
    # gave the report to, extensions asked or refused), which have no citizen wording.
    steps = tuple(
        Step(e.at, citizen, e.note if e.action in NOTES_FOR_REPORTER else None)
        for e in events
        if e.action in ACTIONS and (citizen := ACTIONS[e.action].citizen)
    )
    running = session.scalars(
        select(Clock.due_at)
        .where(Clock.report_id == report.id, Clock.stopped_at.is_(None), Clock.paused_at.is_(None))
        .order_by(Clock.due_at.desc())
    ).first()
    replies = session.execute(
        select(Reply.created_at, Reply.text).where(Reply.report_id == report.id).order_by(Reply.id)
    ).all()
    sector = snapshot.sectors.get(report.sector or "")
    area = snapshot.areas.get(report.area or "")
    agency = snapshot.agencies.get(report.agency or "")
    unit = snapshot.agencies.get(report.unit or "")
    state = State(report.state)
    return Tracking(
        code=report.code or code,
        state=state,
        state_label=STATE_LABELS_VI[state],
        version=report.version,
        content=report.content,
        sector_name=sector.name if sector else None,
        area_name=area.name if area else None,
        address=report.address,
        submitted_at=report.submitted_at,
        steps=steps,
        expected_by=running,
        result=report.published_text if state in ANSWERED else None,
        rating=report.rating,
        rating_label=RATINGS.get(report.rating or ""),
        replies=tuple((at, text) for at, text in replies),
        photos=_photos(session, [report.id]).get(report.id, ()),
        details=_details(snapshot, report, public_only=False, with_result=state in ANSWERED),
        agency_name=agency.name if agency else report.agency,
        unit_name=unit.name if unit else report.unit,
        result_files=_result_files(session, report.id) if state in ANSWERED else (),
    )


def _tracked(session: Session, code: str, token: str) -> Report:
    """The report ``code``, if ``token`` is its tracking token (404 / 403 otherwise)."""
    from engine.services.lifecycle import token_hash

    report = session.scalars(select(Report).where(Report.code == code)).one_or_none()
    if report is None:
        raise NotFound(f"Không có phản ánh mã {code}.", f"There is no report {code}.")
    if not secrets.compare_digest(token_hash(token), report.tracking_token_hash):
        raise Forbidden(
            "Đường dẫn theo dõi không đúng, đã bị sửa hoặc đã được cấp lại. Nếu mất đường dẫn, "
            "hãy tra cứu phản ánh bằng mã phản ánh và số điện thoại đã ghi khi gửi.",
            "The tracking link is not valid for this report (altered, or reissued since). If the "
            "link is lost, find the report by its code and the phone number given with it.",
        )
    return report
