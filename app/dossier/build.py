"""Dossier, assembly: turn a case, its events, evidence and checks into a Dossier (pure, no SQL)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from app.cases.schemas import EvaluationRead
from app.dossier import paragraphs
from app.dossier.model import (
    Contact,
    DeadlineEntry,
    Dossier,
    EvidenceEntry,
    Fact,
    Integrity,
    MoneyEntry,
    Promise,
    RedFlag,
    RegulatorEntry,
    Remedy,
    Respondent,
)
from app.dossier.narrative import DEMANDS, answer, demand, sentence, value
from app.dossier.texts import day, heading, label, money, text, when
from app.evaluation.catalogue import Catalogue
from app.evidence.schemas import IntegrityReport
from app.locales import Locale

RED_FLAG_KINDS = ("hard", "soft")  # the catalogue says which flags are red ones
UNKEPT = ("broken", "partly_paid")  # ledger states of a date that passed without the money


class EventLike(Protocol):
    seq: int
    type: str
    occurred_at: datetime
    data: Mapping[str, Any]
    note: str | None


@dataclass(frozen=True)
class DossierEvent:
    """An event as plain values (an EventLike without a database row): a shortened note, a scenario."""

    seq: int
    type: str
    occurred_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)
    note: str | None = None


class EvidenceLike(Protocol):
    id: Any
    sha256: str
    size: int
    media_type: str
    original_name: str | None
    event_seq: int


@dataclass(frozen=True)
class CaseFacts:
    """What the case row says, without the ORM."""

    id: Any
    external_ref: str | None
    platform_name: str
    platform_kind: str
    platform_licensed: bool | None
    app_source: str | None
    province: str | None
    amount: Decimal
    currency: str
    withdrawal_requested_at: datetime


def _licence(case: CaseFacts, events: Sequence[EventLike]) -> str:
    checks = [e.data for e in events if e.type == "license_checked"]
    if checks:
        last = checks[-1]
        return "impersonating" if last.get("impersonates_licensed_firm") else (
            "yes" if last.get("licensed") else "no")
    return {True: "claimed", False: "no", None: "unknown"}[case.platform_licensed]


def _contacts(events: Sequence[EventLike], loc: str, cur: str) -> list[Contact]:
    """Every exchange with the platform: time, channel, agent, what was said, what it answered."""
    dash = heading(loc, "empty_cell")
    rows = []
    for e in events:
        d = e.data
        told = sentence(e.type, d, loc, cur) + (f" {e.note}" if e.note else "")
        if e.type == "support_contacted":
            channel, agent = label(loc, "channel", d.get("channel")), d.get("agent_id")
            said, reply = e.note, answer(d, loc)
        elif e.type == "urgency_stated" or (
                e.type == "complaint_filed" and d.get("authority") in ("platform", "platform_superior")):
            channel, agent, said, reply = dash, None, told, dash  # what the user told the platform
        elif e.type in ("decision_received", "extension_notified"):
            channel, agent, said, reply = dash, None, None, told  # what the platform told the user
        else:
            continue
        rows.append(Contact(seq=e.seq, occurred_at=e.occurred_at, when=when(e.occurred_at, loc),
                            channel=channel, agent_id=agent, said=said, answer=reply))
    return rows


def _promises(evaluation: EvaluationRead, loc: str) -> list[Promise]:
    """The evaluation's promise ledger, in words: the dossier states it, never judges it again."""
    return [Promise(seq=p.seq, source=p.source, what=label(loc, "promise_source", p.source),
                    made_at=when(p.made_at, loc), due_at=p.due_at, due=when(p.due_at, loc),
                    in_writing=p.in_writing, status=p.state,
                    status_label=label(loc, "promise_status", p.state))
            for p in evaluation.promises]


def _evidence(events: Sequence[EventLike], files: Sequence[EvidenceLike], report: IntegrityReport,
              loc: str) -> list[EvidenceEntry]:
    by_seq = {f.event_seq: f for f in files}
    broken = {str(i.evidence_id): i.problem for i in report.issues if i.evidence_id is not None}
    rows = []
    for e in (e for e in events if e.type == "evidence_saved"):
        f = by_seq.get(e.seq)
        check = "not_uploaded" if f is None else broken.get(str(f.id), "ok")
        rows.append(EvidenceEntry(
            number=len(rows) + 1, seq=e.seq, kind=e.data.get("kind", "other"),
            kind_label=label(loc, "evidence_kind", e.data.get("kind")), captured_at=e.occurred_at,
            captured=when(e.occurred_at, loc), description=e.note,
            evidence_id=str(f.id) if f else e.data.get("evidence_id"),
            file_name=(f.original_name if f else None) or (None if f is None else heading(loc, "unknown")),
            media_type=f.media_type if f else None, size=f.size if f else None,
            sha256=f.sha256 if f else e.data.get("sha256"), check=check,
            check_label=heading(loc, "not_uploaded") if f is None else label(loc, "file_check", check)))
    return rows


def _integrity(report: IntegrityReport, loc: str) -> Integrity:
    issues = [label(loc, "issue", i.problem).format(seq=i.seq, sha=i.sha256 or "") for i in report.issues]
    summary = (heading(loc, "integrity_ok", events=report.events_checked, files=report.evidence_checked)
               if report.ok else heading(loc, "integrity_failed"))
    return Integrity(ok=report.ok, summary=summary, events_checked=report.events_checked,
                     evidence_checked=report.evidence_checked, head_hash=report.head_hash, issues=issues)


def _money(case: CaseFacts, events: Sequence[EventLike], loc: str) -> list[MoneyEntry]:
    cur = case.currency
    rows = [MoneyEntry(seq=None, when=when(case.withdrawal_requested_at, loc),
                       item=label(loc, "money", "withdrawal"), amount=money(case.amount, cur, loc),
                       detail=None)]
    groups = {"fee_demanded": ("fee", "fee_kind"), "payment_instruction_received": ("payment", "destination"),
              "withdrawal_attempted": ("attempt", "result"), "funds_received": ("received", None)}
    for e in events:
        if e.type not in groups:
            continue
        item, field = groups[e.type]
        kind = value(loc, field, e.data.get(field)) if field else ""
        rows.append(MoneyEntry(seq=e.seq, when=when(e.occurred_at, loc),
                               item=label(loc, "money", item).format(kind=kind),
                               amount=money(e.data.get("amount"), cur, loc), detail=e.note))
    return rows


def build_dossier(*, case: CaseFacts, events: Sequence[EventLike], files: Sequence[EvidenceLike],
                  report: IntegrityReport, evaluation: EvaluationRead, catalogue: Catalogue,
                  locale: Locale, now: datetime) -> Dossier:
    """The dossier in `locale`: a complaint on the dispute track, a police summary on the fraud one."""
    loc, cur = locale, case.currency
    # In the order things happened, as the evaluator folds them, whatever order they were posted in.
    events = sorted(events, key=lambda e: (e.occurred_at, e.seq))
    police = evaluation.track == "fraud"
    route = evaluation.regulator
    licence = _licence(case, events)
    amount, requested = money(case.amount, cur, loc), day(case.withdrawal_requested_at, loc)
    promises = _promises(evaluation, loc)
    evidence = _evidence(events, files, report, loc)
    # The excuses in the order they were first given, each once, from notices and from support.
    explanations = list(dict.fromkeys(
        value(loc, "notice_kind", e.data.get("notice_kind")) if e.type == "notice_posted"
        else label(loc, "explanation", e.data.get("explanation_kind"))
        for e in events
        if e.type == "notice_posted"
        or (e.type == "support_contacted" and e.data.get("explanation_kind") not in (None, "none"))))
    if police:
        demands = [demand(e.type, e.data, loc, cur) for e in events if e.type in DEMANDS]
        summary = paragraphs.police_summary(loc, platform=case.platform_name, amount=amount,
                                            requested=requested, demands=demands)
        request = paragraphs.police_request(loc)
    else:
        summary = paragraphs.complaint_summary(
            loc, platform=case.platform_name, amount=amount, requested=requested,
            days=max((now - case.withdrawal_requested_at).days, 0), explanations=explanations,
            promised=len(promises), broken=sum(p.status in UNKEPT for p in promises),
            evidence=len(evidence))
        # The request is addressed to the routed regulator; the police are asked elsewhere.
        addressee = route.name if route is not None and route.body != "police" else None
        request = paragraphs.complaint_request(loc, amount=amount, requested=requested, body=addressee)
    # Whether the statutory clocks bind the firm is the route's answer, stated here, not re-derived.
    deadline_note = None if route is not None and route.statutory_clocks else \
        paragraphs.no_statutory_clocks(loc, body=route.name if route else None,
                                       hotline=route.hotline_name if route else None)
    return Dossier(
        kind="police_report" if police else "complaint", locale=loc,
        title=heading(loc, "police_title" if police else "complaint_title"),
        generated_at=now, generated=when(now, loc), case_id=case.id, external_ref=case.external_ref,
        respondent=Respondent(name=case.platform_name, kind=case.platform_kind,
                              kind_label=label(loc, "platform_kind", case.platform_kind),
                              licence=licence, licence_label=label(loc, "licence", licence),
                              app_source=case.app_source, province=case.province,
                              app_source_label=case.app_source
                              and label(loc, "app_source", case.app_source)),
        regulator=route and RegulatorEntry(body=route.body, name=route.name, hotline=route.hotline,
                                           hotline_name=route.hotline_name,
                                           statutory_clocks=route.statutory_clocks,
                                           label=text(loc, "format", "regulator_label", name=route.name,
                                                      hotline=route.hotline_name)),
        amount=f"{case.amount:.2f}", currency=cur, amount_text=amount,
        withdrawal_requested_at=case.withdrawal_requested_at,
        requested=when(case.withdrawal_requested_at, loc),
        days_waiting=max((now - case.withdrawal_requested_at).days, 0),
        status=evaluation.status, status_label=_catalogue_label(catalogue.statuses, evaluation.status, loc),
        risk_level=evaluation.risk_level,
        risk_label=_catalogue_label(catalogue.risk_levels, evaluation.risk_level, loc),
        track=evaluation.track, summary=summary, request=request,
        facts=[Fact(seq=e.seq, occurred_at=e.occurred_at, when=when(e.occurred_at, loc),
                    text=sentence(e.type, e.data, loc, cur), note=e.note) for e in events],
        contacts=_contacts(events, loc, cur), promises=promises, evidence=evidence,
        integrity=_integrity(report, loc),
        deadlines=[DeadlineEntry(kind=d.kind, label=label(loc, "deadline", d.kind), due_at=d.due_at,
                                 due=when(d.due_at, loc), lapsed=d.lapsed, basis=d.because.reason,
                                 sources=list(d.because.sources)) for d in evaluation.deadlines],
        deadline_note=deadline_note,
        remedies=[Remedy(remedy=r.remedy, title=r.title, detail=r.detail, sources=r.sources)
                  for r in evaluation.remedies],
        red_flags=[RedFlag(id=f, title=catalogue.flags[f]["title"][loc],
                           detail=catalogue.flags[f]["detail"][loc])
                   for f in evaluation.flags
                   if f in catalogue.flags and catalogue.flags[f].get("kind") in RED_FLAG_KINDS],
        money=_money(case, events, loc) if police else [],
        account_hints=_account_hints(events, loc, cur) if police else [],
        notes=paragraphs.police_notes(loc) if police else [],
        declaration=paragraphs.declaration(loc, police=police),
    )


def _account_hints(events: Sequence[EventLike], loc: str, cur: str) -> list[str]:
    """Where the other side told the user to send money: the receiving accounts to look up."""
    return [text(loc, "format", "account_hint", seq=e.seq) + sentence(e.type, e.data, loc, cur) + (f" {e.note}" if e.note else "")
            for e in events if e.type == "payment_instruction_received"]


def _catalogue_label(entries: Mapping[str, Any], key: str, loc: str) -> str:
    """A status or risk level's label from the rules' catalogue; the id when it has none."""
    return entries.get(key, {}).get("label", {}).get(loc, key)
