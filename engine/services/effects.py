"""What each action of the workflow table does to a report beyond its state and clocks.

One function per action, registered in ``EFFECTS``; the registry is checked against the table when
this module is imported, so an action without an effect fails at start-up. Each function may
refuse (raise a :mod:`engine.services.errors` error, and nothing is written) and returns the state
the report moves to and the data its event records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import sector_fields, templates
from engine.config.regulation import RESULT_TEMPLATE
from engine.services import assignment, feedback, search
from engine.services.errors import InvalidInput
from engine.sla import clocks
from engine.store.models import Attachment, Event, Extension, Rating, Reply, Report, Reporter
from engine.uploads import StoredFile, size_text
from engine.workflow import ACTIONS, RATINGS, Clock, State, Transition

if TYPE_CHECKING:
    from engine.services.lifecycle import Actor, Lifecycle, NewReport

Inputs = dict[str, Any]
Result = tuple[State, dict[str, Any]]


@dataclass(frozen=True)
class Act:
    """One action being done: who, on which report, with which note and inputs, and when."""

    life: Lifecycle
    session: Session
    actor: Actor
    row: Transition
    report: Report
    note: str | None
    inputs: Inputs
    at: datetime


Effect = Callable[[Act], Result]

VISIBILITY_STATES = {
    "public": State.PUBLISHED,
    "private": State.ANSWERED_PRIVATELY,
    "restricted": State.RESTRICTED,
}


def check_new_report(
    life: Lifecycle, new: NewReport, tolerate: frozenset[str] = frozenset()
) -> list[str]:
    """Đ5.1–5.3 through the completeness rules, plus the limits of each field.

    Problems with a field in ``tolerate`` (the e-mail channel tolerates a missing name or phone)
    are returned as Vietnamese sentences instead of refusing the report.
    """
    fact = {
        "name": new.name,
        "phone": new.phone,
        "email": new.email,
        "content": new.content,
        "area": new.area,
        "address": new.address,
        "lat": new.latitude,
        "lon": new.longitude,
    }
    problems = life.rules.check_completeness(fact)
    refused = [p for p in problems if p.value["field"] not in tolerate]
    if refused:
        raise InvalidInput(
            "; ".join(p.value["message_vi"] for p in refused),
            "; ".join(p.value["message_en"] for p in refused),
            field=refused[0].value["field"],
        )
    portal = life.snapshot.portal
    if len(new.content) > portal.content_max_chars:
        raise InvalidInput(
            f"Nội dung phản ánh dài quá {portal.content_max_chars} ký tự.",
            f"The content is longer than {portal.content_max_chars} characters.",
            field="content",
        )
    if (new.latitude is None) != (new.longitude is None):
        raise InvalidInput(
            "Cần cả vĩ độ và kinh độ.", "Give both latitude and longitude.", field="latitude"
        )
    if (
        new.latitude is not None
        and portal.bounds is not None
        and not portal.bounds.contains(new.latitude, new.longitude)  # type: ignore[arg-type]
    ):
        raise InvalidInput(
            f"Vị trí ({new.latitude}, {new.longitude}) nằm ngoài địa bàn tỉnh {life.snapshot.province}.",
            f"The place ({new.latitude}, {new.longitude}) is outside the province.",
            field="latitude",
        )
    if new.area is not None and new.area not in life.snapshot.areas:
        raise InvalidInput(
            f"Địa bàn '{new.area}' không tồn tại.", f"Unknown area '{new.area}'.", field="area"
        )
    if new.sector is not None and new.sector not in life.snapshot.sectors:
        raise InvalidInput(
            f"Lĩnh vực '{new.sector}' không tồn tại.", f"Unknown sector '{new.sector}'.", "sector"
        )
    return [p.value["message_vi"] for p in problems if p.value["field"] in tolerate]


def index_text(report: Report) -> None:
    """Keep the searched words in step with the content and the address (the database's text
    index follows them in the same transaction: :mod:`engine.store.search`)."""
    report.search_text = search.words(report.content)
    report.search_place = search.words(report.address)


def suggested_sector(life: Lifecycle, text: str) -> str | None:
    suggestions = life.rules.suggest_sectors(text)
    return suggestions[0].value["sector"] if suggestions else None


def _stay(report: Report) -> State:
    return State(report.state)


# -- intake (Đ5–Đ7) -------------------------------------------------------------------------------


def request_info(act: Act) -> Result:
    return act.row.target, {"missing": act.note}


def provide_info(act: Act) -> Result:
    if "text" in act.inputs:
        stamp = act.at.astimezone(act.life.zone).strftime("%d/%m/%Y %H:%M")
        act.report.content = (
            f"{act.report.content}\n\n[Bổ sung {stamp}] {str(act.inputs['text']).strip()}"
        )
        index_text(act.report)
    return act.row.target, {"text": act.inputs.get("text")}


def reject(act: Act) -> Result:
    data: dict[str, Any] = {"reason": act.inputs["reason"]}
    if "duplicate_of" in act.inputs:
        original = act.session.scalars(
            select(Report).where(Report.code == act.inputs["duplicate_of"])
        ).one_or_none()
        if original is None or original.id == act.report.id:
            raise InvalidInput(
                f"Không có phản ánh gốc mã {act.inputs['duplicate_of']} để đánh dấu trùng.",
                f"There is no original report {act.inputs['duplicate_of']} to mark a duplicate of.",
                field="duplicate_of",
            )
        act.report.duplicate_of_id = original.id
        data["duplicate_of"] = original.code
    return act.row.target, data


def classify(act: Act) -> Result:
    sector = act.inputs["sector"]
    if sector not in act.life.snapshot.sectors:
        raise InvalidInput(
            f"Lĩnh vực '{sector}' không tồn tại.", f"Unknown sector '{sector}'.", field="sector"
        )
    act.report.sector = sector
    data: dict[str, Any] = {"sector": sector, "suggested_sector": act.report.suggested_sector}
    decision = act.life.rules.route(sector, act.report.area)
    if decision is not None:
        data |= {"suggested_agency": decision.value["agency"], "rule": decision.rule}
    return act.row.target, data


def forward(act: Act) -> Result:
    decision = (
        act.life.rules.route(act.report.sector, act.report.area) if act.report.sector else None
    )
    chosen = decision.value["agency"] if decision else None
    agency = act.inputs.get("agency") or chosen
    if agency is None:
        raise InvalidInput(
            "Quy tắc không chọn được cơ quan xử lý (thiếu địa bàn?); hãy chọn cơ quan.",
            "The rules chose no agency (is the area missing?); name the agency.",
            field="agency",
        )
    _require_agency(act.life, agency)
    if agency != chosen and not act.note:
        names = act.life.snapshot.agencies
        wanted = names[agency].name
        ruled = names[chosen].name if chosen in names else "cơ quan theo quy tắc"
        raise InvalidInput(
            f"Chuyển đến {wanted} thay vì {ruled} cần ghi rõ lý do.",
            f"Forwarding to {agency} instead of {chosen or 'the rules choice'} needs a note.",
            field="note",
        )
    act.report.agency, act.report.unit, act.report.officer = agency, None, None
    act.report.officer_account = None
    act.report.routing_rule = decision.rule if decision and agency == chosen else "manual"
    act.report.config_version_id = act.life.config_version_id
    return act.row.target, {
        "agency": agency,
        "rule": act.report.routing_rule,
        "rules_choice": chosen,
    }


def _require_agency(life: Lifecycle, agency: str) -> None:
    if agency not in life.snapshot.agencies:
        raise InvalidInput(
            f"Cơ quan '{agency}' không tồn tại.", f"Unknown agency '{agency}'.", field="agency"
        )


# -- the agency's four steps (Đ8) and the leader (Đ9) --------------------------------------------


def accept(act: Act) -> Result:
    if act.report.officer is None:  # nobody was given it: the officer who accepts holds it
        act.report.officer, act.report.officer_account = act.actor.name, act.actor.account
    return act.row.target, {"officer": act.report.officer}


def return_to_ioc(act: Act) -> Result:
    return act.row.target, {"reason": act.inputs["reason"], "agency": act.report.agency}


def escalate(act: Act) -> Result:
    returned_by = act.session.scalars(
        select(Event.data).where(Event.report_id == act.report.id, Event.action == "return_to_ioc")
    ).all()
    return act.row.target, {"returned_by": sorted({d.get("agency") for d in returned_by if d})}


def designate(act: Act) -> Result:
    agency = act.inputs.get("agency")
    if agency is None:
        raise InvalidInput(
            "Cần chỉ định cơ quan xử lý.", "Name the agency that must handle it.", field="agency"
        )
    _require_agency(act.life, agency)
    act.report.agency, act.report.unit, act.report.officer = agency, None, None
    act.report.officer_account = None
    act.report.routing_rule = "designated"
    return act.row.target, {"agency": agency, "committee": bool(act.inputs.get("committee"))}


def assign(act: Act) -> Result:
    """Đ14.3: the leader gives the report to a sub-unit of their unit or to one of its officers
    (:func:`engine.services.assignment.choose` refuses anything else)."""
    choice = assignment.choose(
        act.session,
        act.life.snapshot,
        act.actor.agency,
        act.report.agency,
        unit=act.inputs.get("unit"),
        officer=act.inputs.get("officer"),
    )
    report = act.report
    report.unit = choice.unit
    report.officer = choice.officer.name if choice.officer else None
    report.officer_account = choice.officer.account if choice.officer else None
    if choice.officer is None:
        return _stay(report), {"unit": choice.unit}
    return _stay(report), {
        "unit": choice.unit,
        "officer": choice.officer.name,
        "officer_account": choice.officer.account,
    }


def _due(inputs: Inputs) -> datetime:
    value = inputs["due"]
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(
            "Thời hạn mới phải là thời điểm ISO 8601 có múi giờ, ví dụ 2026-05-08T17:00+07:00.",
            "The new due time must be an ISO 8601 instant with an offset.",
            field="due",
        )
    return value


def _handle_clock(life: Lifecycle, report: Report) -> Any:
    clock = life.running_clock(report, Clock.HANDLE)
    if clock is None:
        raise InvalidInput(
            "Phản ánh không có thời hạn xử lý đang chạy.", "No handling clock is running.", "due"
        )
    return clock


def request_extension(act: Act) -> Result:
    due, clock = _due(act.inputs), _handle_clock(act.life, act.report)
    if due <= clock.due_at:
        raise InvalidInput(
            "Thời hạn đề nghị phải sau thời hạn hiện tại.",
            "The requested due time must be after the current one.",
            field="due",
        )
    act.session.add(
        Extension(
            report=act.report,
            requested_by=act.actor.name,
            requested_at=act.at,
            requested_due=due,
            request_reason=act.inputs["reason"],
        )
    )
    return _stay(act.report), {"due": due.isoformat(), "reason": act.inputs["reason"]}


def grant_extension(act: Act) -> Result:
    due, clock = _due(act.inputs), _handle_clock(act.life, act.report)
    try:
        clocks.extend(clock, due, act.at, act.life.calendar)
    except clocks.ClockError as exc:
        raise InvalidInput(
            "Thời hạn gia hạn phải sau thời hạn hiện tại.", str(exc), field="due"
        ) from None
    extension = pending_extension(act.report) or Extension(report=act.report)
    extension.granted_by, extension.granted_at = act.actor.name, act.at
    extension.granted_due, extension.grant_reason = due, act.inputs["reason"]
    act.session.add(extension)
    return _stay(act.report), {"due": due.isoformat(), "reason": act.inputs["reason"]}


def pending_extension(report: Report) -> Extension | None:
    """The officer's latest request for more time that the leader has neither granted nor
    refused (Đ8.B3)."""
    return next(
        (
            e
            for e in reversed(report.extensions)
            if e.requested_at is not None and e.granted_at is None and e.refused_at is None
        ),
        None,
    )


def refuse_extension(act: Act) -> Result:
    """Đ8.B3: the leader does not agree to more time; the handling clock keeps its due time."""
    pending = pending_extension(act.report)
    if pending is None:
        raise InvalidInput(
            "Không có đề nghị gia hạn nào đang chờ lãnh đạo cho ý kiến. Chưa có gì được ghi.",
            "There is no extension request waiting for an answer.",
            field="reason",
        )
    pending.refused_by, pending.refused_at = act.actor.name, act.at
    pending.refusal_reason = act.inputs["reason"]
    clock = act.life.running_clock(act.report, Clock.HANDLE)
    return _stay(act.report), {
        "reason": act.inputs["reason"],
        "requested_due": pending.requested_due.isoformat() if pending.requested_due else None,
        "due_kept": clock.due_at.isoformat() if clock else None,
    }


def propose_result(act: Act) -> Result:
    """Đ8.B4: the officer's result, with the sector's extra fields of stage ``result``.

    The extra fields are checked like every channel's (:func:`engine.sector_fields.validated`); a
    required one left empty refuses the proposal. A new proposal replaces the earlier answers.

    ``attachments`` are the result's files, already checked, cleaned and stored
    (:func:`engine.uploads.accept` with :func:`engine.uploads.result_limits_of`): each becomes an
    attachment of stage ``result`` in this transaction, and the event records what each was. They
    are added to those of an earlier proposal (returned by the leader): the files stay with the
    report's result. Plain names (the API's references to documents kept elsewhere) are recorded
    as they were sent.
    """
    sector = act.life.snapshot.sectors.get(act.report.sector or "")
    extra = sector_fields.validated(sector, act.inputs.get("extra"), "result")
    act.report.proposed_result = str(act.inputs["result"]).strip()
    act.report.result_extra = extra or None
    sent = list(act.inputs.get("attachments") or ())
    files = [f for f in sent if isinstance(f, StoredFile)]
    named = [str(f) for f in sent if not isinstance(f, StoredFile)]
    for stored in files:
        act.report.attachments.append(stored.attachment("result", act.at))
    recorded = [
        {"filename": f.filename, "kind": f.kind, "size": f.size, "sha256": f.sha256} for f in files
    ]
    return act.row.target, {
        "result": act.report.proposed_result,
        "attachments": named or None,
        "files": recorded or None,
        "extra": extra or None,
    }


def approve(act: Act) -> Result:
    act.report.approved_result = act.report.proposed_result
    return act.row.target, {}


def edit_and_approve(act: Act) -> Result:
    act.report.approved_result = str(act.inputs["result"]).strip()
    return act.row.target, {
        "result": act.report.approved_result,
        "proposed": act.report.proposed_result,
    }


def return_to_officer(act: Act) -> Result:
    return act.row.target, {}


# -- publication and the citizen's answer (Đ10–Đ11) ----------------------------------------------


def published_result(
    life: Lifecycle, session: Session, report: Report
) -> tuple[str, str, str | None]:
    """The visibility the rules decide (Đ10.2–10.3) and the Phụ lục 2 text, ``None`` when restricted.

    ``publish`` writes it; the desk shows it as a preview before publishing.
    """
    decision = life.rules.visibility(report.confidential, report.state_secret)
    level = decision.value["level"]
    if level == "restricted":
        return level, decision.rule, None
    agency = life.snapshot.agencies.get(report.agency or "")
    reporter = session.get(Reporter, report.id)
    context = {
        "co_quan_xu_ly": agency.name if agency else (report.agency or ""),
        "xung_ho": "Ông/Bà",
        "ten_nguoi_phan_anh": None if report.confidential or reporter is None else reporter.name,
        "noi_dung_tra_loi": report.approved_result or "",
        "tep_dinh_kem": result_file_names(session, report),
    }
    source = life.snapshot.templates[RESULT_TEMPLATE].source
    return level, decision.rule, templates.render(source, context)


FILE_KINDS_VI = {"photo": "ảnh", "document": "văn bản PDF"}


def result_file_names(session: Session, report: Report) -> list[str]:
    """The result's files as Phụ lục 2 names them: ``bien-ban.pdf (văn bản PDF, 120 KB)``."""
    files = session.execute(
        select(Attachment.filename, Attachment.kind, Attachment.size)
        .where(Attachment.report_id == report.id, Attachment.stage == "result")
        .order_by(Attachment.id)
    ).all()
    return [
        f"{name} ({FILE_KINDS_VI.get(kind, kind)}, {size_text(size)})" for name, kind, size in files
    ]


def publish(act: Act) -> Result:
    level, rule, text = published_result(act.life, act.session, act.report)
    act.report.published_text = text
    act.report.published_at = act.at
    # The answer only: the Phụ lục 2 text around it repeats the content and names the reporter.
    act.report.search_result = search.words(act.report.approved_result)
    return VISIBILITY_STATES[level], {"visibility": level, "rule": rule}


def reply(act: Act) -> Result:
    act.session.add(
        Reply(report=act.report, text=str(act.inputs["text"]).strip(), created_at=act.at)
    )
    act.report.feedback_to_follow = True
    return _stay(act.report), {"text": str(act.inputs["text"]).strip()}


def rate(act: Act) -> Result:
    value = act.inputs["rating"]
    if value not in RATINGS:
        choices = ", ".join(f"{k} ({v})" for k, v in RATINGS.items())
        raise InvalidInput(
            f"Đánh giá '{value}' không hợp lệ; chọn: {choices}.",
            f"Rating '{value}' is not one of: {', '.join(RATINGS)}.",
            field="rating",
        )
    previous = act.report.rating
    replies, _ = feedback.pending(act.session, [act.report.id]).get(act.report.id, (0, False))
    act.report.rating = value
    act.report.feedback_to_follow = value == feedback.DISSATISFIED or replies > 0
    act.session.add(Rating(report=act.report, value=value, created_at=act.at))
    return _stay(act.report), {"rating": value, "previous": previous}


def reopen(act: Act) -> Result:
    act.report.published_text = None
    act.report.search_result = ""
    act.report.feedback_to_follow = False  # a follow-up covers everything given until now
    return act.row.target, {"agency": act.report.agency}


def close_feedback(act: Act) -> Result:
    """Đ11.3: the IOC records how the replies and the rating to follow were handled (the note).

    Everything given until now leaves the replies queue; a later reply or rating is to follow
    again. With nothing to follow there is nothing to record, and nothing is written.
    """
    replies, unhappy = feedback.pending(act.session, [act.report.id]).get(act.report.id, (0, False))
    if not replies and not unhappy:
        raise InvalidInput(
            f"Phản ánh {act.report.code} không có phản hồi hay đánh giá «Không hài lòng» nào "
            "đang chờ xử lý; chưa có gì được ghi.",
            f"Report {act.report.code} has no reply or dissatisfied rating to follow.",
        )
    act.report.feedback_to_follow = False
    return _stay(act.report), {"replies": replies, "rating": act.report.rating if unhappy else None}


def _mark_state_secret(act: Act) -> Result:
    """Đ10.3: the report touches state secrets; the visibility rules then restrict it.

    The mark is recorded with its reason and the rules' decision (``restricted``): publishing it
    will neither publish the result nor send it (:func:`published_result`), and no public output
    lists it.
    """
    if act.report.state_secret:
        raise InvalidInput(
            f"Phản ánh {act.report.code} đã được đánh dấu liên quan bí mật nhà nước.",
            f"Report {act.report.code} is already marked as touching state secrets.",
            field="reason",
        )
    act.report.state_secret = True
    decision = act.life.rules.visibility(act.report.confidential, True)
    return _stay(act.report), {
        "reason": act.inputs["reason"],
        "visibility": decision.value["level"],
        "rule": decision.rule,
    }


mark_secret_at_classification = _mark_state_secret
mark_secret_before_publication = _mark_state_secret


EFFECTS: dict[str, Effect] = {
    name: globals()[name] for name, row in ACTIONS.items() if not row.creates
}


def apply(act: Act) -> Result:
    return EFFECTS[act.row.action](act)


# -- who hears about it ---------------------------------------------------------------------------

NOTICES = {
    "request_info": "reporter.needs_info",
    "forward": "agency.forwarded",
    "designate": "agency.forwarded",
    "reopen": "agency.forwarded",
    "publish": "reporter.result",
    "reply": "ioc.reply",
}


def notify_after(
    life: Lifecycle,
    session: Session,
    actor: Actor,
    row: Transition,
    report: Report,
    event: Event,
    data: dict[str, Any],
) -> None:
    kind = NOTICES.get(row.action)
    if kind is None:
        return
    payload: dict[str, Any] = {"agency": report.agency}
    if kind.startswith("reporter."):
        reporter = session.get(Reporter, report.id)
        if reporter is None or not reporter.email:
            return
        if kind == "reporter.result" and report.state == State.RESTRICTED:
            return
        payload = {"to": reporter.email}
    life.notify(session, report, kind, event, payload)
