"""The workflow of a field report, as one table of data (Đ6–Đ11).

Every other part — the use cases, the API, the desk's buttons, the tests, the diagram in the docs —
reads this table; no transition is written anywhere else. The table is checked when this module is
imported: a row that names an unknown state, role, clock or field fails at start-up, never in the
middle of a citizen's request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class State(StrEnum):
    RECEIVED = "received"
    NEEDS_INFO = "needs_info"
    REJECTED = "rejected"
    CLASSIFIED = "classified"
    FORWARDED = "forwarded"
    RETURNED = "returned"
    ESCALATED = "escalated"
    IN_PROGRESS = "in_progress"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    PUBLISHED = "published"
    ANSWERED_PRIVATELY = "answered_privately"
    RESTRICTED = "restricted"


class Role(StrEnum):
    REPORTER = "reporter"
    IOC_OPERATOR = "ioc_operator"
    OFFICER = "officer"
    LEADER = "leader"
    OPERATOR_ADMIN = "operator_admin"
    PROVINCE_VIEWER = "province_viewer"
    AUDITOR = "auditor"


class Clock(StrEnum):
    """One deadline clock per step of the regulation; durations come from ``sla.yaml``."""

    INTAKE = "intake"
    FORWARD = "forward"
    VERIFY = "verify"
    HANDLE = "handle"
    APPROVE = "approve"
    PUBLISH = "publish"


#: Input fields an action may take; a row's ``requires`` and ``accepts`` name only these.
FIELDS = frozenset(
    {
        "sector",
        "agency",
        "reason",
        "duplicate_of",
        "officer",
        "unit",
        "due",
        "result",
        "attachments",
        "text",
        "rating",
        "committee",
        # answers to the sector's extra fields of stage ``result`` (``sectors[].fields``)
        "extra",
    }
)


@dataclass(frozen=True)
class Transition:
    """One row: who may do ``action`` from which states, where it leads, what it does to clocks.

    ``target`` is ``None`` when the report stays in its state (``assign``, ``reply``…). ``outcomes``
    lists the states a rules decision may choose between (``publish``: the visibility rules).
    ``label_vi`` is the staff's name of the action (the desk's buttons), ``citizen`` the reporter's.
    """

    action: str
    sources: frozenset[State]
    target: State | None
    roles: frozenset[Role]
    article: str
    label_vi: str
    #: How the step reads for the reporter on the tracking page, in the citizen's words; ``None``
    #: for the agency's internal steps (who is given the report, extensions asked or refused).
    citizen: str | None = None
    note_required: bool = False
    requires: frozenset[str] = frozenset()
    accepts: frozenset[str] = frozenset()
    start: tuple[Clock, ...] = ()
    stop: tuple[Clock, ...] = ()
    pause: tuple[Clock, ...] = ()
    resume: tuple[Clock, ...] = ()
    outcomes: frozenset[State] = field(default_factory=frozenset)

    @property
    def creates(self) -> bool:
        """The row that brings a report into existence has no source state."""
        return not self.sources

    def targets(self) -> frozenset[State]:
        """Every state this action can lead to."""
        if self.outcomes:
            return self.outcomes
        return frozenset({self.target}) if self.target else self.sources


def _row(
    action: str,
    sources: Iterable[State],
    target: State | None,
    roles: Iterable[Role],
    article: str,
    label_vi: str,
    **options: object,
) -> Transition:
    for name in ("requires", "accepts", "outcomes"):
        if name in options:
            options[name] = frozenset(options[name])  # type: ignore[arg-type]
    return Transition(
        action, frozenset(sources), target, frozenset(roles), article, label_vi, **options
    )  # type: ignore[arg-type]


S, R, C = State, Role, Clock
IOC, OFFICER, LEADER = R.IOC_OPERATOR, R.OFFICER, R.LEADER

TABLE: tuple[Transition, ...] = (
    _row("submit", (), S.RECEIVED, (R.REPORTER,), "Đ4, Đ5", "Gửi phản ánh",
         citizen="Bạn đã gửi phản ánh",
         start=(C.INTAKE, C.FORWARD)),
    _row("request_info", (S.RECEIVED,), S.NEEDS_INFO, (IOC,), "Đ5, Đ6.1",
         "Yêu cầu bổ sung thông tin",
         citizen="Trung tâm đề nghị bổ sung thông tin", note_required=True, pause=(C.INTAKE, C.FORWARD)),
    _row("provide_info", (S.NEEDS_INFO,), S.RECEIVED, (R.REPORTER,), "Đ5.3",
         "Bổ sung thông tin",
         citizen="Bạn đã bổ sung thông tin", accepts={"text"}, resume=(C.INTAKE, C.FORWARD)),
    _row("reject", (S.RECEIVED, S.NEEDS_INFO), S.REJECTED, (IOC,), "Đ6.1",
         "Từ chối tiếp nhận",
         citizen="Phản ánh không được tiếp nhận", requires={"reason"}, accepts={"duplicate_of"},
         stop=(C.INTAKE, C.FORWARD)),
    _row("classify", (S.RECEIVED, S.RETURNED), S.CLASSIFIED, (IOC,), "Đ6.1",
         "Phân loại lĩnh vực",
         citizen="Trung tâm đã kiểm tra và phân loại phản ánh", requires={"sector"}, stop=(C.INTAKE,)),
    _row("forward", (S.CLASSIFIED,), S.FORWARDED, (IOC,), "Đ7",
         "Chuyển cơ quan xử lý",
         citizen="Phản ánh đã được chuyển đến cơ quan xử lý", accepts={"agency"}, stop=(C.FORWARD,), start=(C.VERIFY,)),
    _row("accept", (S.FORWARDED,), S.IN_PROGRESS, (OFFICER,), "Đ8.B1–B2",
         "Tiếp nhận xử lý",
         citizen="Cơ quan xử lý đã tiếp nhận, đang xử lý", stop=(C.VERIFY,), start=(C.HANDLE,)),
    _row("return_to_ioc", (S.FORWARDED,), S.RETURNED, (OFFICER,), "Đ8.B2",
         "Trả lại Trung tâm (không thuộc phạm vi)",
         citizen="Trung tâm đang xác định lại cơ quan xử lý", requires={"reason"}, stop=(C.VERIFY,),
         start=(C.FORWARD,)),
    _row("escalate", (S.RETURNED,), S.ESCALATED, (IOC,), "Đ3.8",
         "Báo cáo cơ quan có thẩm quyền xem xét",
         citizen="Đang chờ cấp có thẩm quyền chỉ định cơ quan xử lý", note_required=True, stop=(C.FORWARD,)),
    _row("designate", (S.ESCALATED,), S.FORWARDED, (R.OPERATOR_ADMIN,), "Đ3.8",
         "Chỉ định cơ quan xử lý",
         citizen="Đã chỉ định cơ quan xử lý", note_required=True, accepts={"agency", "committee"},
         start=(C.VERIFY,)),
    _row("assign", (S.FORWARDED, S.IN_PROGRESS), None, (LEADER,), "Đ14.3",
         "Giao cán bộ, đơn vị xử lý", accepts={"officer", "unit"}),
    _row("request_extension", (S.IN_PROGRESS,), None, (OFFICER,), "Đ8.B3",
         "Đề nghị gia hạn", requires={"reason", "due"}),
    _row("refuse_extension", (S.IN_PROGRESS,), None, (LEADER,), "Đ8.B3",
         "Không đồng ý gia hạn", requires={"reason"}),
    _row("grant_extension", (S.IN_PROGRESS,), None, (LEADER,), "Đ8.B3",
         "Đồng ý gia hạn",
         citizen="Thời hạn xử lý được gia hạn", requires={"reason", "due"}),
    _row("propose_result", (S.IN_PROGRESS,), S.PENDING_APPROVAL, (OFFICER,), "Đ8.B4",
         "Nhập kết quả, trình lãnh đạo",
         citizen="Đã có kết quả xử lý, chờ lãnh đạo cơ quan phê duyệt", requires={"result"}, accepts={"attachments", "extra"},
         pause=(C.HANDLE,), start=(C.APPROVE,)),
    _row("approve", (S.PENDING_APPROVAL,), S.APPROVED, (LEADER,), "Đ9.1",
         "Phê duyệt kết quả",
         citizen="Lãnh đạo cơ quan đã phê duyệt kết quả", stop=(C.APPROVE, C.HANDLE), start=(C.PUBLISH,)),
    _row("edit_and_approve", (S.PENDING_APPROVAL,), S.APPROVED, (LEADER,), "Đ9.1",
         "Sửa và phê duyệt kết quả",
         citizen="Lãnh đạo cơ quan đã phê duyệt kết quả", requires={"result"}, stop=(C.APPROVE, C.HANDLE),
         start=(C.PUBLISH,)),
    _row("return_to_officer", (S.PENDING_APPROVAL,), S.IN_PROGRESS, (LEADER,), "Đ9.1",
         "Trả lại cán bộ xử lý",
         citizen="Cơ quan xử lý đang hoàn thiện kết quả", note_required=True, stop=(C.APPROVE,), resume=(C.HANDLE,)),
    _row("publish", (S.APPROVED,), None, (OFFICER, LEADER), "Đ10",
         "Công khai / trả lời kết quả",
         citizen="Kết quả xử lý đã được trả lời", stop=(C.PUBLISH,),
         outcomes={S.PUBLISHED, S.ANSWERED_PRIVATELY, S.RESTRICTED}),
    _row("reply", (S.PUBLISHED, S.ANSWERED_PRIVATELY), None, (R.REPORTER,), "Đ11.1",
         "Phản hồi kết quả",
         citizen="Bạn đã gửi phản hồi về kết quả", requires={"text"}),
    _row("rate", (S.PUBLISHED, S.ANSWERED_PRIVATELY), None, (R.REPORTER,), "Đ11.2",
         "Đánh giá kết quả",
         citizen="Bạn đã đánh giá kết quả", requires={"rating"}),
    _row("reopen", (S.PUBLISHED, S.ANSWERED_PRIVATELY), S.FORWARDED, (IOC,), "Đ11.3",
         "Chuyển lại cơ quan xử lý làm rõ",
         citizen="Phản ánh được chuyển lại cơ quan xử lý để làm rõ", note_required=True, start=(C.VERIFY,)),
    _row("close_feedback", (S.PUBLISHED, S.ANSWERED_PRIVATELY), None, (IOC,), "Đ11.3",
         "Đã xử lý phản hồi, đánh giá",
         citizen="Phản hồi, đánh giá của bạn đã được Trung tâm IOC xem xét", note_required=True),
    _row("mark_secret_at_classification", (S.RECEIVED, S.CLASSIFIED, S.RETURNED), None, (IOC,),
         "Đ10.3", "Đánh dấu liên quan bí mật nhà nước", requires={"reason"}),
    _row("mark_secret_before_publication",
         (S.FORWARDED, S.IN_PROGRESS, S.PENDING_APPROVAL, S.APPROVED), None, (LEADER,), "Đ10.3",
         "Đánh dấu liên quan bí mật nhà nước", requires={"reason"}),
)  # fmt: skip

#: The actions after which the IOC has followed up every reply and rating given until then
#: (Đ11.3): sending the report back to the agency, or recording that the feedback was handled.
FEEDBACK_FOLLOW_UPS = frozenset({"reopen", "close_feedback"})
#: The actions that mark a report as touching state secrets (Đ10.3): the IOC's at
#: classification, the agency's leader's before publication.
STATE_SECRET_MARKS = frozenset({"mark_secret_at_classification", "mark_secret_before_publication"})

RATINGS: Mapping[str, str] = MappingProxyType(
    {"hai_long": "Hài lòng", "chap_nhan_duoc": "Chấp nhận được", "khong_hai_long": "Không hài lòng"}
)

#: How each state reads for people (the tracking page, the desk, summaries).
STATE_LABELS_VI: Mapping[State, str] = MappingProxyType(
    {
        State.RECEIVED: "Đã tiếp nhận, chờ phân loại",
        State.NEEDS_INFO: "Chờ bổ sung thông tin",
        State.REJECTED: "Từ chối tiếp nhận",
        State.CLASSIFIED: "Đã phân loại, chờ chuyển",
        State.FORWARDED: "Đã chuyển cơ quan xử lý",
        State.RETURNED: "Bị trả lại Trung tâm",
        State.ESCALATED: "Chờ chỉ định cơ quan xử lý",
        State.IN_PROGRESS: "Đang xử lý",
        State.PENDING_APPROVAL: "Chờ lãnh đạo phê duyệt",
        State.APPROVED: "Đã phê duyệt, chờ công khai",
        State.PUBLISHED: "Đã công khai kết quả",
        State.ANSWERED_PRIVATELY: "Đã trả lời riêng (bảo mật)",
        State.RESTRICTED: "Không công khai (bí mật nhà nước)",
    }
)

#: States in which nothing more happens to a report unless someone reopens it.
FINAL_STATES = frozenset({State.REJECTED, State.RESTRICTED})


class WorkflowTableError(Exception):
    """The table itself is wrong: raised at import, naming the row."""


def check(table: Iterable[Transition]) -> Mapping[str, Transition]:
    """Check every row and index the table by action; raise at the first inconsistent row."""
    by_action: dict[str, Transition] = {}
    for row in table:
        problems = []
        if row.action in by_action:
            problems.append("the action appears twice")
        if not row.roles:
            problems.append("no role may do it")
        unknown = (row.requires | row.accepts) - FIELDS
        if unknown:
            problems.append(f"unknown field(s) {sorted(unknown)}")
        if row.requires & row.accepts:
            problems.append("a field is both required and optional")
        if row.creates and (row.target is None or row.stop or row.pause or row.resume):
            problems.append("a creating row must lead to a state and only start clocks")
        if Role.REPORTER in row.roles and not row.citizen:
            problems.append("the reporter's own step has no citizen wording")
        if row.outcomes and row.target is not None:
            problems.append("a row with rule-decided outcomes has no fixed target")
        clashing = set(row.start) & (set(row.stop) | set(row.pause) | set(row.resume))
        if clashing:
            problems.append(f"clock(s) {sorted(clashing)} both started and stopped or paused")
        if problems:
            raise WorkflowTableError(f"Workflow row '{row.action}': {'; '.join(problems)}.")
        by_action[row.action] = row
    return MappingProxyType(by_action)


ACTIONS: Mapping[str, Transition] = check(TABLE)


def allowed(state: State | None, role: Role) -> list[Transition]:
    """The actions ``role`` may take on a report in ``state`` (``None``: no report yet)."""
    return [
        row
        for row in TABLE
        if role in row.roles and ((state is None and row.creates) or state in row.sources)
    ]


def reachable_states() -> frozenset[State]:
    """Every state some row leads to: a state no row reaches is a table error (checked in tests)."""
    return frozenset(s for row in TABLE for s in row.targets())
