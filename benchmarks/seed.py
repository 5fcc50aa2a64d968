"""Fill a migrated PostgreSQL database with N realistic reports in bulk, for the scale benchmarks.

``phananh demo`` drives every report through the use cases and grows as N^1.16 (2,000 reports in
167 s); this writes the same rows directly with ``COPY``: reports and their reporters (some
confidential, a few state-secret), the clocks of each step (running, paused, stopped on time,
late, late within a granted extension), the events with a valid hash chain (``phananh audit
verify`` passes), extensions, replies, ratings and the outbox's notices (sent, and a backlog of
the last day and a half), over the two years before ``end``.

Each report's story is planned in memory as the demo plans it (the same shares of stories,
sectors, handling outcomes and ratings, the demo's texts and people), with the configuration's
own routing rules, step deadlines and working calendar, and the real clock arithmetic of
:mod:`engine.sla.clocks`. A story is cut at ``end``: recent reports are still being handled. The
reports of the last weeks include a few held in each state of the workflow, so that every state
occurs at any size.

Reports are made in chunks of :data:`CHUNK` consecutive ids, each from its own random generator
and over its own slice of the two years, so the result depends only on ``seed``, ``reports`` and
``end`` — not on how many processes ran (``jobs``). Usage::

    python benchmarks/seed.py --url postgresql+psycopg://postgres@127.0.0.1/bench --reports 100000

The database must be migrated (``phananh db upgrade``) and hold no report yet. To write into a
schema of its own, pass ``schema`` (``--schema``); it must exist and be migrated.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import update  # noqa: E402
from sqlalchemy.dialects import postgresql  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from engine import audit, demo, templates  # noqa: E402
from engine.config.loader import DEFAULT_DIRECTORY, load  # noqa: E402
from engine.config.regulation import RESULT_TEMPLATE  # noqa: E402
from engine.services import feedback  # noqa: E402
from engine.services.effects import NOTICES, VISIBILITY_STATES  # noqa: E402
from engine.services.lifecycle import CODE_PREFIX, REPORTER_IN_RECORD, Actor, Lifecycle  # noqa: E402
from engine.services.search import words  # noqa: E402
from engine.sla import clocks  # noqa: E402
from engine.store.models import Report  # noqa: E402
from engine.workflow import ACTIONS, Role, State  # noqa: E402
from engine.workflow import Clock as Step  # noqa: E402

#: Reports per chunk: one random generator, one slice of time, one COPY per table.
CHUNK = 5_000
PERIOD = timedelta(days=730)
#: Notices created this long before ``end`` are still waiting for the worker (the backlog).
BACKLOG = timedelta(hours=36)
#: Of the reporters, those who give an e-mail address (and so get the reporter.* notices).
EMAIL_SHARE = 0.45
CONFIDENTIAL_SHARE = 0.10
STATE_SECRET_SHARE = 0.02
#: How many reports of the last weeks are held in each state (so every state occurs).
HELD_PER_STATE = 3
#: For a held report: the story that passes through the state, and its flags.
HOLDS: dict[State, tuple[str, bool, bool]] = {
    State.RECEIVED: ("handled", False, False),
    State.NEEDS_INFO: ("needs_info", False, False),
    State.REJECTED: ("out_of_scope", False, False),
    State.CLASSIFIED: ("handled", False, False),
    State.FORWARDED: ("handled", False, False),
    State.RETURNED: ("returned", False, False),
    State.ESCALATED: ("escalated", False, False),
    State.IN_PROGRESS: ("handled", False, False),
    State.PENDING_APPROVAL: ("handled", False, False),
    State.APPROVED: ("handled", False, False),
    State.PUBLISHED: ("handled", False, False),
    State.ANSWERED_PRIVATELY: ("handled", True, False),
    State.RESTRICTED: ("handled", False, True),
}
TABLES: dict[str, tuple[str, ...]] = {
    "reports": (
        "id", "code", "tracking_token_hash", "state", "channel", "content", "sector",
        "suggested_sector", "area", "address", "latitude", "longitude", "confidential",
        "state_secret", "duplicate_of_id", "agency", "routing_rule", "officer", "unit",
        "proposed_result", "approved_result", "published_text", "rating", "last_event_hash",
        "search_text", "search_place", "search_result", "submitted_at", "published_at", "updated_at", "version",
    ),
    "reporters": ("report_id", "name", "phone", "email", "address"),
    "clocks": (
        "id", "report_id", "step", "base_minutes", "budget_minutes", "used_minutes",
        "started_at", "running_since", "paused_at", "base_due_at", "due_at", "pauses",
        "extended", "stopped_at", "late", "late_after_extension",
    ),
    "events": (
        "id", "report_id", "seq", "at", "actor", "role", "action", "from_state", "to_state",
        "note", "data", "prev_hash", "hash",
    ),
    "extensions": (
        "id", "report_id", "requested_by", "requested_at", "requested_due", "request_reason",
        "granted_by", "granted_at", "granted_due", "grant_reason",
    ),
    "replies": ("id", "report_id", "text", "created_at", "handled"),
    "ratings": ("id", "report_id", "value", "created_at"),
    "outbox": (
        "id", "created_at", "kind", "report_id", "dedup_key", "payload", "attempts",
        "next_attempt_at", "sent_at", "parked",
    ),
}  # fmt: skip
#: Ids per report kept free in each table, so chunks never collide (more than any story uses).
ID_ROOM = {"clocks": 16, "events": 40, "extensions": 2, "replies": 2, "ratings": 2, "outbox": 12}


class SeedError(Exception):
    """The database can't be seeded as asked (not migrated, or not empty)."""


# =================================================================================================
# The world a story is written in: configuration, calendar, rules, texts
# =================================================================================================


class World:
    """What every story reads, built once per process: the configuration and cached decisions."""

    def __init__(self, seed: int, end: datetime, config_dir: str | os.PathLike[str]) -> None:
        self.snapshot = load(config_dir)
        self.life = Lifecycle(None, self.snapshot)  # type: ignore[arg-type]  # no writes here
        self.calendar = self.life.calendar
        self.zone = ZoneInfo(self.snapshot.calendar.timezone)
        self.end = end
        self.seed = seed
        self.day = self.calendar.day_minutes
        self.areas = list(self.snapshot.areas.values())
        self._routes: dict[tuple[str, str], tuple[str, str]] = {}
        self._minutes: dict[tuple[str, str | None, str | None], int] = {}
        self._visibility = {
            (c, s): self.life.rules.visibility(c, s) for c in (False, True) for s in (False, True)
        }
        self._staff: dict[str, tuple[tuple[Actor, ...], Actor]] = {}
        self._result_frames: dict[tuple[str, bool], str] = {}
        self.variants = self._variants(random.Random(f"{seed}:texts"))

    def route(self, sector: str, area: str) -> tuple[str, str]:
        """(agency, rule) the routing rules choose for ``sector`` in ``area``."""
        key = (sector, area)
        if key not in self._routes:
            decision = self.life.rules.route(sector, area)
            if decision is None:
                raise SeedError(f"the routing rules send {sector} in {area} nowhere")
            self._routes[key] = (str(decision.value["agency"]), decision.rule)
        return self._routes[key]

    def minutes(self, step: str, agency: str | None, sector: str | None) -> int:
        key = (step, agency, sector)
        if key not in self._minutes:
            self._minutes[key] = self.life.step_minutes(Step(step), agency, sector=sector)
        return self._minutes[key]

    def visibility(self, confidential: bool, state_secret: bool) -> tuple[str, str]:
        decision = self._visibility[(confidential, state_secret)]
        return str(decision.value["level"]), decision.rule

    def staff_of(self, agency: str) -> tuple[tuple[Actor, ...], Actor]:
        if agency not in self._staff:
            if agency in demo.AGENCY_STAFF:
                names, leader = demo.AGENCY_STAFF[agency]
            else:
                local = random.Random(f"{self.seed}:{agency}")
                names, leader = (demo._person(local), demo._person(local)), demo._person(local)
            officers = tuple(Actor(n, Role.OFFICER, agency=agency) for n in names)
            self._staff[agency] = officers, Actor(leader, Role.LEADER, agency=agency)
        return self._staff[agency]

    def agency_name(self, code: str) -> str:
        agency = self.snapshot.agencies.get(code)
        return agency.name if agency else code

    def published_text(self, agency: str, name: str | None, result: str) -> str:
        """The Phụ lục 2 text ``publish`` renders, from one rendering per agency and flag."""
        key = (agency, name is None)
        if key not in self._result_frames:
            context = {
                "co_quan_xu_ly": self.agency_name(agency),
                "xung_ho": "Ông/Bà",
                "ten_nguoi_phan_anh": None if name is None else "\x01NAME\x01",
                "noi_dung_tra_loi": "\x01RESULT\x01",
                "tep_dinh_kem": [],
            }
            source = self.snapshot.templates[RESULT_TEMPLATE].source
            self._result_frames[key] = templates.render(source, context)
        text = self._result_frames[key].replace("\x01RESULT\x01", result)
        return text if name is None else text.replace("\x01NAME\x01", name)

    def _variants(self, rng: random.Random) -> dict[str, list[Variant]]:
        """A pool of filled-in reports per sector (and of refusals): the texts are the demo's."""
        planner = demo.Planner(self.life, 0, self.seed, self.end)
        planner.rng = rng
        pool: dict[str, list[Variant]] = {}
        for sector, kinds in demo.TEMPLATES.items():
            found = pool.setdefault(sector, [])
            for _ in range(60 * len(kinds)):
                template = rng.choice(kinds)
                area, spot = planner._area(template)
                fillers = planner._fillers(area, spot)
                found.append(Variant(sector, area.code, template.content.format(**fillers),
                                     template.result, fillers))  # fmt: skip
        refusals = pool.setdefault("", [])
        for _ in range(120):
            content, reason = rng.choice(demo.OUT_OF_SCOPE)
            area, _ = planner._area(None)
            fillers = planner._fillers(area, None)
            refusals.append(Variant(None, area.code, content.format(**fillers), reason, fillers))
        for variants in pool.values():
            for v in variants:
                v.search_text = words(v.content)
                v.suggested = (
                    v.sector if rng.random() < 0.7 else planner.sectors.draw()
                )  # keyword suggestions are right most of the time
                lat0, lat1, lon0, lon1 = demo.BOXES[demo._region(v.area)]
                v.point = (round(rng.uniform(lat0, lat1), 6), round(rng.uniform(lon0, lon1), 6))
        return pool


@dataclass
class Variant:
    """One filled-in report text: its sector (``None``: not a field report), area and words."""

    sector: str | None
    area: str
    content: str
    #: The result template (``str.format`` over ``fillers`` and ``ngay_xl``), or the refusal.
    result: str
    fillers: dict[str, str]
    search_text: str = ""
    suggested: str | None = None
    point: tuple[float, float] = (0.0, 0.0)


# =================================================================================================
# One report's story, written straight into rows
# =================================================================================================


class Cut(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The story goes past ``end`` (or reaches the state it is held in): nothing more happens."""


class ClockRow:
    """A clock as :mod:`engine.sla.clocks` sees it (same attributes), without the ORM's cost."""

    __slots__ = (
        "id", "step", "base_minutes", "budget_minutes", "used_minutes", "started_at",
        "running_since", "paused_at", "base_due_at", "due_at", "pauses", "extended",
        "stopped_at", "late", "late_after_extension",
    )  # fmt: skip

    def __init__(self, clock_id: int, step: str, minutes: int, at: datetime, due: datetime):
        self.id, self.step = clock_id, step
        self.base_minutes = self.budget_minutes = minutes
        self.used_minutes = 0
        self.started_at = self.running_since = at
        self.paused_at = None
        self.base_due_at = self.due_at = due
        self.pauses: list[dict[str, str]] = []
        self.extended = False
        self.stopped_at = self.late = self.late_after_extension = None


class EventRow:
    """An event as :func:`engine.audit.content_of` reads it."""

    __slots__ = (
        "id", "report_id", "seq", "at", "actor", "role", "action", "from_state", "to_state",
        "note", "data", "prev_hash", "hash",
    )  # fmt: skip


@dataclass
class Rows:
    """The rows of one chunk, per table, and the next free id of each table."""

    tables: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {name: [] for name in TABLES}
    )
    next_id: dict[str, int] = field(default_factory=dict)

    def take(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value


class Story:
    """One report: applies each step to the report's state, clocks, events and outbox rows."""

    def __init__(self, world: World, rows: Rows, report_id: int, at: datetime, hold: State | None):
        self.world, self.rows, self.id, self.at = world, rows, report_id, at
        self.hold = hold
        self.state = State.RECEIVED
        self.fields: dict[str, Any] = {}
        self.clocks: list[ClockRow] = []
        self.events: list[EventRow] = []
        self.code = f"{CODE_PREFIX}-{at.astimezone(world.zone).year}-{report_id:06d}"
        self.email: str | None = None
        self.reporter = ""

    # -- time ---------------------------------------------------------------------------------

    def staff(self, minutes: int) -> datetime:
        """``minutes`` of working time after the previous step."""
        self.at = self.world.calendar.add(self.at, max(minutes, 1))
        return self.at

    def later(self, hours: float) -> datetime:
        """The reporter answers ``hours`` later, rarely in the small hours."""
        self.at = self.at + timedelta(minutes=max(int(hours * 60), 1))
        local = self.at.astimezone(self.world.zone)
        if local.hour < 6 and (self.id * 7919) % 10 < 8:
            self.at = local.replace(hour=6 + self.id % 4).astimezone(UTC)
        return self.at

    # -- steps --------------------------------------------------------------------------------

    def step(
        self,
        actor: Actor,
        action: str,
        note: str | None = None,
        data: dict[str, Any] | None = None,
        target: State | None = None,
        sets: dict[str, Any] | None = None,
    ) -> None:
        """Do ``action`` at ``self.at``, as the use case would; :class:`Cut` past ``end``.

        ``sets``: the report's fields the action's effect changes (before its clocks move, as
        the use case does: a forwarded report's verify clock is the new agency's).
        """
        if self.at > self.world.end:
            raise Cut
        row = ACTIONS[action]
        before = self.state
        after = target or row.target or before
        self.fields.update(sets or {})
        self._move_clocks(row, after)
        self.state = after
        self._event(actor, action, before, after, note, data or {})
        if self.hold is not None and after is self.hold:
            raise Cut

    def submit(self, name: str) -> None:
        self.reporter = name
        self._move_clocks(ACTIONS["submit"], State.RECEIVED)
        self._event(Actor(name, Role.REPORTER), "submit", None, State.RECEIVED, None, {})

    def _move_clocks(self, row: Any, after: State) -> None:
        at, calendar = self.at, self.world.calendar
        running = {c.step: c for c in self.clocks if c.stopped_at is None}
        for step in row.stop:
            if step in running:
                clocks.stop(running[step], at, calendar)  # type: ignore[arg-type]
        for step in row.pause:
            if step in running and running[step].paused_at is None:
                clocks.pause(running[step], at, calendar)  # type: ignore[arg-type]
        for step in row.resume:
            if step in running and running[step].paused_at is not None:
                clocks.resume(running[step], at, calendar)  # type: ignore[arg-type]
        for step in row.start:
            minutes = self.world.minutes(step, self.fields.get("agency"), self.fields.get("sector"))
            clock = ClockRow(self.rows.take("clocks"), step, minutes, at, calendar.add(at, minutes))
            self.clocks.append(clock)

    def _event(
        self,
        actor: Actor,
        action: str,
        before: State | None,
        after: State,
        note: str | None,
        data: dict[str, Any],
    ) -> None:
        event = EventRow()
        event.id, event.report_id = self.rows.take("events"), self.id
        event.at = self.at
        event.actor = REPORTER_IN_RECORD if actor.role is Role.REPORTER else actor.name
        event.role, event.action = str(actor.role), action
        event.from_state = None if before is None else str(before)
        event.to_state, event.note = str(after), note
        event.seq = len(self.events) + 1
        event.prev_hash = self.events[-1].hash if self.events else audit.GENESIS
        event.data, event.hash = _sealed(event, data)
        self.events.append(event)
        kind = "reporter.received" if action == "submit" else NOTICES.get(action)
        if kind is None:
            return
        if kind.startswith("reporter."):
            if not self.email or after is State.RESTRICTED:
                return
            payload: dict[str, Any] = {"to": self.email}
        else:
            payload = {"agency": self.fields.get("agency")}
        sent = event.at < self.world.end - BACKLOG
        self.rows.tables["outbox"].append(
            (
                self.rows.take("outbox"), event.at, kind, self.id,
                f"{kind}:{self.code}:{event.seq}",
                _json({"code": self.code, "action": action, **payload}),
                1 if sent else 0, None, event.at + timedelta(seconds=40) if sent else None, False,
            )
        )  # fmt: skip

    # -- rows ---------------------------------------------------------------------------------

    def write(self, variant: Variant, reporter: tuple[str, str, str | None, str | None]) -> None:
        rows, f, last = self.rows.tables, self.fields, self.events[-1]
        published = f.get("published_at")
        rows["reports"].append(
            (
                self.id, self.code, hashlib.sha256(f"seed:{self.id}".encode()).hexdigest(),
                str(self.state), f["channel"], f["content"], f.get("sector"),
                variant.suggested, variant.area, variant.fillers["address"], *f["point"],
                f["confidential"], f["state_secret"], f.get("duplicate_of"), f.get("agency"),
                f.get("routing_rule"), f.get("officer"), None, f.get("proposed_result"),
                f.get("approved_result"), f.get("published_text"), f.get("rating"), last.hash,
                f["search_text"], words(variant.fillers["address"]),
                words(f.get("approved_result")) if f.get("published_text") else "",
                self.events[0].at, published, last.at, len(self.events) + 1,
            )
        )  # fmt: skip
        rows["reporters"].append((self.id, *reporter))
        for c in self.clocks:
            rows["clocks"].append(
                (
                    c.id, self.id, c.step, c.base_minutes, c.budget_minutes, c.used_minutes,
                    c.started_at, c.running_since, c.paused_at, c.base_due_at, c.due_at,
                    _json(c.pauses) if c.pauses else "[]", c.extended, c.stopped_at, c.late, c.late_after_extension,
                )
            )  # fmt: skip
        for e in self.events:
            rows["events"].append(
                (
                    e.id, e.report_id, e.seq, e.at, e.actor, e.role, e.action, e.from_state,
                    e.to_state, e.note, e.data, e.prev_hash, e.hash,
                )
            )  # fmt: skip


#: The encoder of :func:`engine.audit.digest` (sorted keys, no spaces, UTF-8 as is).
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


def _json(value: Any) -> str:
    return _CANONICAL(value)


def _string(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _sealed(event: EventRow, data: dict[str, Any]) -> tuple[str, str]:
    """The event's data as stored (canonical JSON) and its hash, as :func:`engine.audit.seal`
    computes it: the canonical JSON of :func:`engine.audit.content_of`, put together from its
    parts with the same encoder (keys in sorted order) instead of encoding a dict per event.
    The chain is checked against :func:`engine.audit.verify` by the seed's test."""
    stored = _CANONICAL(data)
    enc = _string
    canonical = (
        f'{{"action":{enc(event.action)},"actor":{enc(event.actor)},'
        f'"at":"{event.at.astimezone(UTC).isoformat(timespec="microseconds")}",'
        f'"data":{stored},'
        f'"from_state":{enc(event.from_state)},"note":{enc(event.note)},'
        f'"report_id":{event.report_id},"role":{enc(event.role)},"seq":{event.seq},'
        f'"to_state":{enc(event.to_state)}}}'
    )
    digest = hashlib.sha256(f"{event.prev_hash}\n{canonical}".encode()).hexdigest()
    return stored, digest


# =================================================================================================
# The stories (the demo's shares)
# =================================================================================================


class Writer:
    """Writes the stories of one chunk of reports from one random generator."""

    def __init__(self, world: World, chunk: int, first_id: int, count: int, start: datetime):
        self.world, self.chunk, self.first_id, self.count = world, chunk, first_id, count
        self.rng = random.Random(f"{world.seed}:{chunk}")
        self.start = start
        self.stories = demo._Deck(self.rng, demo.STORIES)
        self.sectors = demo._Deck(self.rng, tuple(demo.SECTOR_WEIGHTS.items()))
        self.handling = demo._Deck(self.rng, demo.HANDLING)
        self.ratings = demo._Deck(self.rng, demo.RATING_WEIGHTS)
        self.rows = Rows(next_id={t: first_id * room for t, room in ID_ROOM.items()})
        self.originals: list[tuple[int, str, Variant]] = []

    def times(self, span: timedelta) -> list[datetime]:
        """Times people send reports in this chunk's slice: days and evenings, fewer at weekends."""
        rng, zone = self.rng, self.world.zone
        seconds = max(int(span.total_seconds()), 60)
        found: list[datetime] = []
        while len(found) < self.count:
            at = self.start + timedelta(seconds=rng.randrange(seconds))
            local = at.astimezone(zone)
            weight = demo._hour_weight(local.hour) * (0.6 if local.weekday() >= 5 else 1.0)
            if rng.random() < weight:
                found.append(at.replace(microsecond=0))
        return sorted(found)

    def write(self, span: timedelta, holds: dict[int, State]) -> Rows:
        for offset, at in enumerate(self.times(span)):
            report_id = self.first_id + offset
            self.report(report_id, at, holds.get(report_id))
        return self.rows

    def report(self, report_id: int, at: datetime, hold: State | None) -> None:
        rng, world = self.rng, self.world
        kind, confidential, secret = self.stories.draw(), False, False
        if hold is not None:
            kind, confidential, secret = HOLDS[hold]
        else:
            confidential = rng.random() < CONFIDENTIAL_SHARE
            secret = rng.random() < STATE_SECRET_SHARE
        story = Story(world, self.rows, report_id, at, hold)
        duplicate = None
        if kind == "duplicate" and self.originals:
            duplicate = rng.choice(self.originals[-12:])
            variant = duplicate[2]
        else:
            kind = "handled" if kind == "duplicate" else kind
            pool = world.variants["" if kind == "out_of_scope" else self.sectors.draw()]
            variant = rng.choice(pool)
        name = demo._person(rng)
        channel = rng.choices(("web", "mobile", "email"), (50, 40, 10))[0]
        wants_mail = channel == "email" or rng.random() < EMAIL_SHARE
        story.email = demo._email(rng, name) if wants_mail else None
        lives = f"{variant.fillers['ap']}, {variant.fillers['xa']}" if rng.random() < 0.5 else None
        reporter = (name, demo._phone(rng), story.email, lives)
        content, search_text = variant.content, variant.search_text
        if duplicate is not None:
            content = rng.choice(demo.DUPLICATE_OPENERS) + content
            search_text = words(content)
        pinned = channel == "mobile" or rng.random() < 0.15
        story.fields.update(
            channel=channel,
            content=content,
            search_text=search_text,
            suggested=variant.suggested,
            point=variant.point if pinned else (None, None),
            confidential=confidential and not secret,
            state_secret=secret,
        )
        story.submit(name)
        if hold is not State.RECEIVED:
            with contextlib.suppress(Cut):
                self.tell(story, kind, variant, duplicate)
        story.write(variant, reporter)
        if kind == "handled" and variant.sector is not None:
            self.originals.append((report_id, story.code, variant))

    # -- stories ------------------------------------------------------------------------------

    def ioc(self) -> Actor:
        return Actor(self.rng.choice(demo.IOC_OPERATORS), Role.IOC_OPERATOR)

    def tell(
        self, story: Story, kind: str, variant: Variant, duplicate: tuple[int, str, Variant] | None
    ) -> None:
        rng, ioc = self.rng, self.ioc()
        if duplicate is not None:
            story.staff(self.intake_minutes())
            reason = demo.DUPLICATE_REASON.format(goc=duplicate[1])
            data = {"reason": reason, "duplicate_of": duplicate[1]}
            story.step(ioc, "reject", data=data, sets={"duplicate_of": duplicate[0]})
            return
        if variant.sector is None:
            story.staff(self.intake_minutes())
            story.step(ioc, "reject", data={"reason": variant.result})
            return
        if kind in ("needs_info", "abandoned"):
            note = rng.choice(demo.REQUEST_INFO_NOTES)
            story.staff(rng.randint(10, 60))
            story.step(ioc, "request_info", note, {"missing": note})
            if kind == "abandoned":
                story.staff(5 * self.world.day + rng.randint(30, 600))
                story.step(ioc, "reject", data={"reason": demo.ABANDONED_REASON})
                return
            text = rng.choice(demo.PROVIDE_INFO_TEXTS).format(**variant.fillers)
            story.later(rng.uniform(1.5, 30))
            if story.at <= self.world.end:
                stamp = story.at.astimezone(self.world.zone).strftime("%d/%m/%Y %H:%M")
                added = f"\n\n[Bổ sung {stamp}] {text}"
                story.fields["content"] += added
                story.fields["search_text"] += f" {words(added)}"
            reporter = Actor(story.reporter, Role.REPORTER)
            story.step(reporter, "provide_info", data={"text": text})
        agency = self.intake(story, ioc, kind, variant)
        self.handle(story, variant, agency)

    def intake_minutes(self, hurry: bool = False) -> int:
        if self.rng.random() < 0.08:
            return self.rng.randint(130, 420)
        return self.rng.randint(5, 40) if hurry else self.rng.randint(8, 85)

    def intake(self, story: Story, ioc: Actor, kind: str, variant: Variant) -> str:
        rng, sector, area = self.rng, variant.sector, variant.area
        assert sector is not None
        if kind == "returned":
            wrong = demo.CONFUSED_WITH[sector]
            self.classify_and_forward(story, ioc, wrong, area, divert=False)
            self.return_to_ioc(story, wrong)
            return self.classify_and_forward(story, ioc, sector, area, divert=False)
        if kind == "escalated":
            other = demo.CONFUSED_WITH[sector]
            first = self.classify_and_forward(story, ioc, sector, area, divert=False)
            self.return_to_ioc(story, sector)
            second = self.classify_and_forward(story, ioc, other, area, divert=False)
            self.return_to_ioc(story, other)
            names = {"first": self.world.agency_name(first),
                     "second": self.world.agency_name(second)}  # fmt: skip
            note = demo.ESCALATE_NOTE.format(**names)
            story.staff(rng.randint(20, 100))
            story.step(ioc, "escalate", note, {"returned_by": sorted({first, second})})
            story.staff(rng.randint(self.world.day, 3 * self.world.day))
            admin = Actor(demo.OPERATOR_ADMIN, Role.OPERATOR_ADMIN)
            committee = rng.random() < 0.5
            story.step(admin, "designate", demo.DESIGNATE_NOTE.format(**names),
                       {"agency": first, "committee": committee},
                       sets={"agency": first, "routing_rule": "designated", "officer": None})  # fmt: skip
            return first
        return self.classify_and_forward(story, ioc, sector, area, hurry=kind == "needs_info")

    def classify_and_forward(
        self,
        story: Story,
        ioc: Actor,
        sector: str,
        area: str,
        *,
        divert: bool = True,
        hurry: bool = False,
    ) -> str:
        rng, world = self.rng, self.world
        story.staff(self.intake_minutes(hurry))
        agency, rule = world.route(sector, area)
        story.step(ioc, "classify", data={
            "sector": sector, "suggested_sector": story.fields["suggested"],
            "suggested_agency": agency, "rule": rule,
        }, sets={"sector": sector})  # fmt: skip
        chosen, note = agency, None
        if divert and sector in demo.OTHER_AGENCY and rng.random() < 0.12:
            other, why = demo.OTHER_AGENCY[sector]
            candidate = other or f"UBND-{area}"
            if candidate in world.snapshot.agencies and candidate != agency:
                chosen, note = candidate, why
        story.staff(rng.randint(3, 30))
        routing = rule if chosen == agency else "manual"
        data = {"agency": chosen, "rule": routing, "rules_choice": agency}
        sets = {"agency": chosen, "routing_rule": routing, "officer": None}
        story.step(ioc, "forward", note, data, sets=sets)
        return chosen

    def return_to_ioc(self, story: Story, sector: str) -> None:
        agency = story.fields["agency"]
        officer = self.rng.choice(self.world.staff_of(agency)[0])
        reason = demo.RETURN_REASON.format(
            sector=self.world.snapshot.sectors[sector].name, agency=self.world.agency_name(agency)
        )
        story.staff(self.verify_minutes(agency, sector))
        story.step(officer, "return_to_ioc", data={"reason": reason, "agency": agency})

    def verify_minutes(self, agency: str, sector: str | None) -> int:
        limit = self.world.minutes("verify", agency, sector)
        if self.rng.random() < 0.07:
            return self.rng.randint(limit + 30, max(2 * limit, limit + 30))
        return self.rng.randint(min(30, limit // 2), max(limit - 60, limit // 2))

    def approve_minutes(self) -> int:
        if self.rng.random() < 0.06:
            return self.rng.randint(self.world.day + 30, 2 * self.world.day + 240)
        return self.rng.randint(30, self.world.day - 60)

    def handle(self, story: Story, variant: Variant, agency: str, again: bool = False) -> None:
        """The agency's steps (Đ8), the leader's approval (Đ9), publication (Đ10), feedback."""
        rng, world, f = self.rng, self.world, story.fields
        officers, leader = world.staff_of(agency)
        officer = rng.choice(officers)
        sector = f["sector"]
        verify = self.verify_minutes(agency, sector)
        if not again and rng.random() < 0.5:
            share = rng.randint(10, max(verify // 2, 11))
            story.staff(share)
            sets = {"officer": officer.name}
            story.step(leader, "assign", data={"officer": officer.name}, sets=sets)
            verify -= share
        story.staff(verify)
        named = f.get("officer") or officer.name
        story.step(officer, "accept", data={"officer": named}, sets={"officer": named})
        accepted = story.at
        limit = world.minutes("handle", agency, sector)
        outcome = "on_time" if again else self.handling.draw()
        if outcome == "extended":
            base_due = world.calendar.add(accepted, limit)
            extra = rng.randint(2, 5) * world.day
            due = world.calendar.add(base_due, extra)
            due_text = due.isoformat()
            reason = rng.choice(demo.EXTENSION_REASONS)
            story.staff(int(limit * rng.uniform(0.55, 0.9)))
            asked_at = story.at
            story.step(officer, "request_extension", data={"due": due_text, "reason": reason})
            granted = demo.GRANT_REASON.format(han=f"{due.astimezone(world.zone):%d/%m/%Y}")
            story.staff(rng.randint(20, 240))
            extension = [
                self.rows.take("extensions"), story.id, officer.name, asked_at, due, reason,
                None, None, None, None,
            ]  # fmt: skip
            try:
                if story.at > world.end:
                    raise Cut
                handle = next(c for c in story.clocks if c.step == "handle" and not c.stopped_at)
                clocks.extend(handle, due, story.at, world.calendar)  # type: ignore[arg-type]
                extension[6:] = [leader.name, story.at, due, granted]
                story.step(leader, "grant_extension", data={"due": due_text, "reason": granted})
            finally:
                self.rows.tables["extensions"].append(tuple(extension))
            working = limit + int(extra * rng.uniform(0.15, 0.85))
        elif outcome == "late":
            working = limit + rng.randint(60, 2 * world.day)
        else:
            working = int(limit * rng.uniform(0.12, 0.95))
        propose_at = world.calendar.add(accepted, working)
        story.staff(max(world.calendar.elapsed(story.at, propose_at), 1))
        ngay = f"{story.at.astimezone(world.zone):%d/%m/%Y}"
        template = demo.SECOND_RESULT if again else variant.result
        result = template.format(**variant.fillers, ngay_xl=ngay)
        self.propose(story, officer, result)
        if rng.random() < 0.08:
            note = rng.choice(demo.RETURN_TO_OFFICER_NOTES)
            story.staff(self.approve_minutes())
            story.step(leader, "return_to_officer", note)
            result = demo.REVISED_RESULT.format(result=result)
            story.staff(rng.randint(60, world.day))
            self.propose(story, officer, result)
        story.staff(self.approve_minutes())
        if rng.random() < 0.15:
            edited = demo.EDITED_RESULT.format(result=result)
            data = {"result": edited, "proposed": result}
            story.step(leader, "edit_and_approve", data=data, sets={"approved_result": edited})
        else:
            story.step(leader, "approve", sets={"approved_result": result})
        story.staff(rng.randint(250, 600) if rng.random() < 0.05 else rng.randint(10, 200))
        level, rule = world.visibility(f["confidential"], f["state_secret"])
        text = None
        if level != "restricted":
            name = None if f["confidential"] else story.reporter
            text = world.published_text(agency, name, f["approved_result"])
        story.step(rng.choice((officer, leader)), "publish",
                   data={"visibility": level, "rule": rule}, target=VISIBILITY_STATES[level],
                   sets={"published_at": story.at, "published_text": text})  # fmt: skip
        self.feedback(story, variant, agency, again)

    def propose(self, story: Story, officer: Actor, result: str) -> None:
        story.step(officer, "propose_result",
                   data={"result": result, "attachments": None, "extra": None},
                   sets={"proposed_result": result})  # fmt: skip

    def feedback(self, story: Story, variant: Variant, agency: str, again: bool) -> None:
        rng, f = self.rng, story.fields
        if f["state_secret"] or rng.random() > demo.RATED_SHARE:
            return
        again_weights = (("hai_long", 60), ("chap_nhan_duoc", 30), ("khong_hai_long", 10))
        rating = demo._weighted(rng, again_weights) if again else self.ratings.draw()
        reporter = Actor(story.reporter, Role.REPORTER)
        story.later(rng.uniform(2, 72))
        if story.at > self.world.end:
            raise Cut
        self.rows.tables["ratings"].append((self.rows.take("ratings"), story.id, rating, story.at))
        data = {"rating": rating, "previous": f.get("rating")}
        story.step(reporter, "rate", data=data, sets={"rating": rating})
        chance = {"khong_hai_long": 0.6, "chap_nhan_duoc": 0.15}.get(rating, 0.0)
        if again or rng.random() >= chance:
            return
        text = rng.choice(demo.REPLIES[rating])
        story.later(rng.uniform(0.1, 24))
        if story.at > self.world.end:
            raise Cut
        self.rows.tables["replies"].append(
            (self.rows.take("replies"), story.id, text, story.at, False)
        )
        story.step(reporter, "reply", data={"text": text})
        if rating == "khong_hai_long" and rng.random() < 0.5:
            story.staff(rng.randint(30, self.world.day))
            story.step(self.ioc(), "reopen", demo.REOPEN_NOTE, {"agency": agency},
                       sets={"published_text": None})  # fmt: skip
            self.handle(story, variant, agency, again=True)


# =================================================================================================
# Writing to the database
# =================================================================================================


def _connect(url: str, schema: str | None) -> psycopg.Connection[Any]:
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise SeedError(f"The seed writes PostgreSQL only, not '{parsed.drivername}'.")
    options = dict(parsed.query)
    conninfo = parsed.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    kwargs: dict[str, Any] = {}
    if schema:
        kwargs["options"] = f"-csearch_path={schema}"
    elif "options" in options:
        kwargs["options"] = options["options"]
    return psycopg.connect(conninfo, **kwargs)


def _copy(conn: psycopg.Connection[Any], rows: Rows) -> None:
    with conn.cursor() as cur:
        for table, columns in TABLES.items():
            records = rows.tables[table]
            if not records:
                continue
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for record in records:
                    copy.write_row(record)


@dataclass(frozen=True)
class Job:
    url: str
    schema: str | None
    seed: int
    end: datetime
    config_dir: str
    chunk: int
    first_id: int
    count: int
    start: datetime
    span: timedelta
    holds: dict[int, State]


_WORLD: World | None = None


def _run(job: Job) -> dict[str, int]:
    """Write one chunk (in a worker process): plan its stories, COPY them in one transaction."""
    global _WORLD
    if _WORLD is None or (_WORLD.seed, _WORLD.end) != (job.seed, job.end):
        _WORLD = World(job.seed, job.end, job.config_dir)
    rows = Writer(_WORLD, job.chunk, job.first_id, job.count, job.start).write(job.span, job.holds)
    with _connect(job.url, job.schema) as conn:
        _copy(conn, rows)
    return {table: len(records) for table, records in rows.tables.items()}


def _jobs(
    url: str, schema: str | None, reports: int, seed: int, end: datetime, config_dir: str
) -> Iterator[Job]:
    chunks = max(1, -(-reports // CHUNK))
    start = end - PERIOD
    span = PERIOD / chunks
    held_from = end - timedelta(days=30)
    for chunk in range(chunks):
        first = chunk * CHUNK + 1
        count = min(CHUNK, reports - chunk * CHUNK)
        holds: dict[int, State] = {}
        if chunk == chunks - 1:
            # Hold a few reports of the last weeks in each state: their ids are placed among the
            # chunk's by the fraction of the slice that lies before ``held_from``.
            before = max(0.0, min(1.0, (held_from - (start + chunk * span)) / span))
            states = [s for s in HOLDS for _ in range(HELD_PER_STATE)]
            base = max(first, min(first + int(before * count), first + count - len(states)))
            for offset, state in enumerate(states):
                report_id = base + offset * max(1, (first + count - base) // (2 * len(states)))
                if report_id < first + count:
                    holds[report_id] = state
        yield Job(url, schema, seed, end, config_dir, chunk, first, count,
                  start + chunk * span, span, holds)  # fmt: skip


def seed(
    url: str,
    reports: int,
    *,
    seed: int = 1,
    end: datetime | None = None,
    schema: str | None = None,
    jobs: int | None = None,
    config_dir: str | os.PathLike[str] = DEFAULT_DIRECTORY,
) -> None:
    """Fill the migrated, empty database at ``url`` with ``reports`` reports sent over the two
    years before ``end`` (default: now), and everything that goes with them.

    ``schema``: write there (the search path of every connection). ``jobs``: processes that plan
    and copy chunks side by side (default: 2, or 1 on a single core); the rows do not depend on
    it. Indexes are dropped while copying and rebuilt afterwards, then the tables are analysed.
    """
    if reports < 1:
        raise SeedError(f"The number of reports must be at least 1, not {reports}.")
    end = (end or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    with _connect(url, schema) as conn:
        _check_empty(conn)
        indexes = _drop_indexes(conn)
    work = list(_jobs(url, schema, reports, seed, end, str(config_dir)))
    workers = jobs or min(2, os.cpu_count() or 1)
    try:
        if workers <= 1:
            for job in work:
                _run(job)
        else:
            with ProcessPoolExecutor(workers) as pool:
                list(pool.map(_run, work))
    finally:
        with _connect(url, schema) as conn:
            _restore_indexes(conn, indexes)
    with _connect(url, schema) as conn:
        _finish(conn)


def _check_empty(conn: psycopg.Connection[Any]) -> None:
    try:
        found = conn.execute("SELECT EXISTS (SELECT 1 FROM reports)").fetchone()
    except psycopg.errors.UndefinedTable:
        raise SeedError(
            "The database has no reports table: migrate it first (phananh db upgrade)."
        ) from None
    if found and found[0]:
        raise SeedError("The database already holds reports; the seed needs an empty one.")


#: Tables whose secondary indexes are dropped during the copy (primary keys stay).
INDEXED = tuple(TABLES)


def _drop_indexes(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    """Drop the secondary indexes and unique constraints of the seeded tables; return how to
    make them again (name, definition). Copying into bare tables is several times faster."""
    found = conn.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid), c.conname, pg_get_constraintdef(c.oid), t.relname
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.contype = 'u'
        WHERE t.relnamespace = current_schema()::regnamespace AND NOT x.indisprimary
          AND t.relname = ANY(%s)
        """,
        (list(INDEXED),),
    ).fetchall()
    again: list[tuple[str, str]] = []
    for index, definition, constraint, constraint_def, table in found:
        if constraint:
            conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{constraint}"')
            again.append((constraint, f'ALTER TABLE "{table}" ADD CONSTRAINT "{constraint}" '
                                      f"{constraint_def}"))  # fmt: skip
        else:
            conn.execute(f'DROP INDEX "{index}"')
            again.append((index, definition))
    conn.commit()
    return again


def _restore_indexes(conn: psycopg.Connection[Any], indexes: Sequence[tuple[str, str]]) -> None:
    for _name, definition in indexes:
        conn.execute(definition)
    conn.commit()


#: The replies queue's mark (``reports.feedback_to_follow``), set from its definition over the
#: replies, ratings and follow-ups written, as the use cases' effects would have kept it.
FEEDBACK_TO_FOLLOW = str(
    update(Report)
    .where(feedback.to_follow())
    .values(feedback_to_follow=True)
    .compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
)


def _finish(conn: psycopg.Connection[Any]) -> None:
    """Mark the reports with feedback to follow; move each id sequence past the rows written;
    vacuum and analyse the tables.

    ``ANALYZE`` first: without statistics of the rows just copied, PostgreSQL plans the mark's
    correlated ``EXISTS`` over a million reports as if the tables were empty, and it ran for
    over an hour. ``VACUUM`` after: rows just bulk-written (and updated by the mark) are not yet
    marked all-visible, so an index-only scan would still visit the heap for each of them. A
    database that has lived for months has been vacuumed by autovacuum; the benchmark should read
    the same plans it would.
    """
    conn.autocommit = True
    for table in TABLES:
        conn.execute(f"ANALYZE {table}")
    conn.execute(FEEDBACK_TO_FOLLOW)
    for table in TABLES:
        if "id" in TABLES[table]:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
    for table in TABLES:
        conn.execute(f"VACUUM (ANALYZE) {table}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="postgresql+psycopg://user@host/db, migrated")
    parser.add_argument("--reports", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--schema", help="write into this (migrated) schema")
    parser.add_argument("--jobs", type=int, help="processes side by side (default 2)")
    parser.add_argument("--end", help="ISO 8601 instant the two years end at (default now)")
    args = parser.parse_args(argv)
    end = datetime.fromisoformat(args.end) if args.end else None
    began = time.perf_counter()
    try:
        seed(args.url, args.reports, seed=args.seed, end=end, schema=args.schema, jobs=args.jobs)
    except SeedError as exc:
        print(f"seed: {exc}", file=sys.stderr)
        return 1
    print(f"{args.reports} reports in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
