"""Events, guide step 5 and the end of a case (complaints, decisions, mediation, lawyers, courts,
the police, closing): each type's model beside its fold (see steps.py for how a type is registered).
"""

from typing import Any, ClassVar, Literal

from pydantic import Field, StrictBool

from app.evaluation.folds.common import EventBase, EventData, Label, ReferenceData, Text
from app.evaluation.folds.registry import Fold, dt, fact, fold
from app.evaluation.model import EventInput
from app.schemas import OffsetDatetime

# `platform_superior`: the firm's superior, asked in writing to review a disputed decision (B1.5).
ComplaintAuthority = Literal[
    "platform", "platform_superior", "nfra_branch", "hotline_12378", "insurance_association",
    "consumer_12315", "other"
]


_REGULATOR = {"nfra_branch", "hotline_12378"}


class ComplaintFiledData(EventData):
    example: ClassVar[dict[str, Any]] = {"authority": "hotline_12378"}
    authority: ComplaintAuthority
    reference: Label | None = None


class ComplaintFiledEvent(EventBase):
    type: Literal["complaint_filed"]
    data: ComplaintFiledData


fact("complaint_count", int, "complaints filed, to any authority")
fact("complaint_platform_filed", bool, "a formal complaint went to the firm")
fact("complaint_regulator_filed", bool, "a complaint went to the regulator or 12378")
fact("complaint_association_filed", bool, "a complaint went to the industry association")
fact("complaint_12315_filed", bool, "a complaint went to 12315")
fact("superior_review_requested", bool, "the decision was taken to the firm's superior")


@fold(ComplaintFiledEvent)
def _complaint_filed(f: Fold, e: EventInput) -> None:
    authority = e.data["authority"]
    f.add("complaint_count", e.seq)
    if authority == "platform":
        f.set("complaint_platform_filed", True, e.seq)
        f.mark("platform_complaint_at", e.occurred_at, e.seq)
    elif authority in _REGULATOR:
        f.set("complaint_regulator_filed", True, e.seq)
        f.mark("regulator_complaint_at", e.occurred_at, e.seq)
    elif authority == "platform_superior":
        f.set("superior_review_requested", True, e.seq)
        f.mark("superior_review_at", e.occurred_at, e.seq)
    elif authority == "insurance_association":
        f.set("complaint_association_filed", True, e.seq)
    elif authority == "consumer_12315":
        f.set("complaint_12315_filed", True, e.seq)


class ComplaintForwardedData(EventData):
    example: ClassVar[dict[str, Any]] = {"authority": "nfra_branch"}
    authority: ComplaintAuthority
    reference: Label | None = None


class ComplaintForwardedEvent(EventBase):
    type: Literal["complaint_forwarded"]
    data: ComplaintForwardedData


fact("complaint_forwarded", bool, "the regulator forwarded the complaint to the firm")


@fold(ComplaintForwardedEvent)
def _complaint_forwarded(f: Fold, e: EventInput) -> None:
    f.set("complaint_forwarded", True, e.seq)
    # Forwarding hands the complaint to the firm: its decision clock starts here.
    f.mark("platform_complaint_at", e.occurred_at, e.seq)


class ExtensionNotifiedData(EventData):
    example: ClassVar[dict[str, Any]] = {"new_deadline_at": "2099-01-01T00:00:00Z"}
    # The extended deadline is by nature ahead of the notice that announces it.
    new_deadline_at: OffsetDatetime


class ExtensionNotifiedEvent(EventBase):
    type: Literal["extension_notified"]
    data: ExtensionNotifiedData


fact("extension_notified", bool, "the firm announced an extension with a new date")


@fold(ExtensionNotifiedEvent)
def _extension_notified(f: Fold, e: EventInput) -> None:
    f.set("extension_notified", True, e.seq)
    f.mark("extension_due_at", dt(e.data["new_deadline_at"]), e.seq)


class DecisionReceivedData(EventData):
    example: ClassVar[dict[str, Any]] = {"outcome": "rejected"}
    outcome: Literal["upheld", "partially_upheld", "rejected"]
    reasons_given: StrictBool | None = None
    remedies_listed: StrictBool | None = None
    # The firm's decision and its superior's answer run on different clocks.
    authority: ComplaintAuthority | None = None


class DecisionReceivedEvent(EventBase):
    type: Literal["decision_received"]
    data: DecisionReceivedData


fact("decision_outcome", str, "the firm's decision: none, upheld, partially_upheld or rejected", default="none")
fact("superior_outcome", str, "the superior's answer: none, upheld, partially_upheld or rejected", default="none")
fact("decision_incomplete", bool, "the decision lacks reasons or remedies")


@fold(DecisionReceivedEvent)
def _decision_received(f: Fold, e: EventInput) -> None:
    d, s = e.data, e.seq
    if d.get("authority") == "platform_superior":
        f.set("superior_outcome", d["outcome"], s)
        return
    f.set("decision_outcome", d["outcome"], s)
    f.set("decision_incomplete", d.get("reasons_given") is False or d.get("remedies_listed") is False, s)
    f.times["decision_at"] = e.occurred_at
    f.prov["days_since_decision"] = {s}


class MediationStartedData(ReferenceData):
    pass


class MediationStartedEvent(EventBase):
    type: Literal["mediation_started"]
    data: MediationStartedData = Field(default_factory=MediationStartedData)


fact("mediation_active", bool, "industry mediation is under way")


@fold(MediationStartedEvent)
def _mediation_started(f: Fold, e: EventInput) -> None:
    f.set("mediation_active", True, e.seq)
    f.mediation_start = e.occurred_at


class MediationEndedData(EventData):
    example: ClassVar[dict[str, Any]] = {"settled": False}
    settled: StrictBool
    reference: Label | None = None


class MediationEndedEvent(EventBase):
    type: Literal["mediation_ended"]
    data: MediationEndedData


fact("mediation_failed", bool, "mediation ended without settlement")
fact("mediation_settled", bool, "mediation ended with a settlement")


@fold(MediationEndedEvent)
def _mediation_ended(f: Fold, e: EventInput) -> None:
    f.set("mediation_active", False, e.seq)
    f.set("mediation_settled" if e.data["settled"] else "mediation_failed", True, e.seq)
    if f.mediation_start is not None:
        f.pauses.append((f.mediation_start, e.occurred_at))
        f.mediation_start = None


class LawyerConsultedData(ReferenceData):
    pass


class LawyerConsultedEvent(EventBase):
    type: Literal["lawyer_consulted"]
    data: LawyerConsultedData = Field(default_factory=LawyerConsultedData)


fact("lawyer_consulted", bool, "a lawyer was consulted")


@fold(LawyerConsultedEvent)
def _lawyer_consulted(f: Fold, e: EventInput) -> None:
    f.set("lawyer_consulted", True, e.seq)


class LawsuitFiledData(ReferenceData):
    pass


class LawsuitFiledEvent(EventBase):
    type: Literal["lawsuit_filed"]
    data: LawsuitFiledData = Field(default_factory=LawsuitFiledData)


fact("lawsuit_filed", bool, "a suit was filed")


@fold(LawsuitFiledEvent)
def _lawsuit_filed(f: Fold, e: EventInput) -> None:
    f.set("lawsuit_filed", True, e.seq)


# The fraud track's own escalation: reporting is the fact, the report number is a bonus.
class PoliceReportFiledData(ReferenceData):
    pass


class PoliceReportFiledEvent(EventBase):
    type: Literal["police_report_filed"]
    data: PoliceReportFiledData = Field(default_factory=PoliceReportFiledData)


fact("police_report_filed", bool, "the police have a report")


@fold(PoliceReportFiledEvent)
def _police_report_filed(f: Fold, e: EventInput) -> None:
    f.set("police_report_filed", True, e.seq)
    f.police_reports.append((e.occurred_at, e.seq))


class CaseClosedData(EventData):
    example: ClassVar[dict[str, Any]] = {"reason": "withdrawn"}
    reason: Literal["withdrawn", "abandoned", "duplicate", "other"]


class CaseClosedEvent(EventBase):
    type: Literal["case_closed"]
    data: CaseClosedData


fact("case_closed", bool, "the user closed the case")


@fold(CaseClosedEvent)
def _case_closed(f: Fold, e: EventInput) -> None:
    f.set("case_closed", True, e.seq)
    f.closed_at = e.occurred_at if f.closed_at is None else f.closed_at
    f.settled.append((e.occurred_at, e.seq))


class NoteAddedData(EventData):
    example: ClassVar[dict[str, Any]] = {"text": "客服工号0371，问到具体日期就挂断了。"}
    text: Text


class NoteAddedEvent(EventBase):
    type: Literal["note_added"]
    data: NoteAddedData


@fold(NoteAddedEvent)
def _note_added(f: Fold, e: EventInput) -> None:
    """A note is for people: it changes no fact (it still counts in `event_count`)."""
