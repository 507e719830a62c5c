"""Cases, use cases: open a case, append an event, read or preview its evaluation.

Services flush and never commit: the request's session commits once, so the event, its
`seq` and the case's projection land together or not at all.
"""

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.cases import chain, repository
from app.cases.repository import CaseState, CaseToWrite, StoredEvent
from app.cases.event_data import CaseEventCreate
from app.cases.intake import CaseCreate
from app.db.models import Case, CaseEvent
from app.evaluation import CaseInput, CompiledRuleset, Evaluation, EventInput
from app.evaluation import evaluate as _evaluate
from app.evaluation.model import PeerSnapshot
from app import audit
from app.auth.actor import Actor
from app.errors import Conflict, InvalidRequest, PreconditionFailed, PreconditionRequired, ProblemError
from app.metrics import count_event, timed_evaluation
from app.peers import service as peer_signals
from app.peers.service import PeerPolicy
from app.schemas import OffsetDatetime

_CURSOR_TIME: TypeAdapter[datetime] = TypeAdapter(OffsetDatetime)
from app.webhooks.outbox import notify_changes

# Every evaluation the use cases run is counted and timed; the evaluator itself stays pure.
evaluate = timed_evaluation(_evaluate)


def _utc(moment: datetime) -> datetime:
    # The database keeps UTC; converting on the way in makes the 201 body, later reads and every
    # evaluation show the same instant the same way, whatever offset the client sent.
    return moment.astimezone(timezone.utc)


def case_input(case: Case) -> CaseInput:
    return CaseInput(
        platform_name=case.platform_name, platform_kind=case.platform_kind,
        platform_licensed=case.platform_licensed, app_source=case.app_source,
        amount=Decimal(case.amount), currency=case.currency,
        withdrawal_requested_at=case.withdrawal_requested_at, province=case.province,
    )


def intake_input(case_in: CaseCreate) -> CaseInput:
    p = case_in.platform
    return CaseInput(
        platform_name=p.name, platform_kind=p.kind, platform_licensed=p.licensed,
        app_source=p.app_source, amount=case_in.amount, currency=case_in.currency,
        withdrawal_requested_at=_utc(case_in.withdrawal_requested_at), province=case_in.province,
    )


def event_inputs(events: Sequence[CaseEvent | StoredEvent]) -> list[EventInput]:
    return [EventInput(seq=e.seq, type=e.type, occurred_at=e.occurred_at, data=e.data) for e in events]


DEFAULT_WARNING_LEAD = timedelta(hours=24)


def store_evaluation(*, session: Session, case: Case, evaluation: Evaluation, now: datetime,
                     warning_lead: timedelta = DEFAULT_WARNING_LEAD, notify: bool = True) -> None:
    """Write the evaluation as the case's projection and enqueue what changed, together."""
    previous = (case.status, case.risk_level) if notify else None
    _project(case, evaluation)
    notify_changes(session=session, case=case, previous=previous, evaluation=evaluation, now=now,
                   warning_lead=warning_lead)


def _project(case: Case, evaluation: Evaluation) -> None:
    case.status = evaluation.status
    case.risk_level = evaluation.risk_level
    case.track = evaluation.track
    case.escalation_level = evaluation.escalation_level
    case.ruleset_version = evaluation.ruleset_version
    case.evaluated_at = evaluation.as_of
    case.next_transition_at = evaluation.next_transition_at
    case.evaluation = evaluation.model_dump(mode="json")


def open_case(*, session: Session, client_id: uuid.UUID, case_in: CaseCreate,
              ruleset: CompiledRuleset, now: datetime,
              warning_lead: timedelta = DEFAULT_WARNING_LEAD, actor: Actor | None = None,
              peers: PeerPolicy | None = None) -> Case:
    """Store a new case with its first evaluation."""
    p = case_in.platform
    case = Case(
        client_id=client_id, external_ref=case_in.external_ref,
        platform_name=p.name, platform_kind=p.kind, platform_licensed=p.licensed,
        app_source=p.app_source, amount=case_in.amount, currency=case_in.currency,
        withdrawal_requested_at=_utc(case_in.withdrawal_requested_at), province=case_in.province,
        locale=case_in.locale, intake=case_in.model_dump(mode="json"),
        created_at=now, updated_at=now, version=1, last_seq=0, notify_seq=0,
    )
    reading = peer_signals.take_snapshot(session=session, case=case, policy=peers, now=now)
    evaluation = evaluate(intake_input(case_in), [], now, ruleset, reading and reading.snapshot)
    _project(case, evaluation)
    session.add(case)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A case with external_ref {case_in.external_ref!r} already exists.",
                       field="external_ref") from exc
    peer_signals.record_contribution(session=session, case=case, reading=reading,
                                     evaluation=evaluation, now=now)
    # A new case has no previous status to change from; only deadlines can be announced.
    notify_changes(session=session, case=case, previous=None, evaluation=evaluation, now=now,
                   warning_lead=warning_lead)
    if actor is not None:
        audit.record(session, actor=actor, case_id=case.id, action="case.opened", now=now)
    return case


@dataclass
class Appended:
    """The stored event and the evaluation after it; unpacks as (case, event, evaluation)."""

    case: Case | CaseState
    event: StoredEvent
    evaluation: Evaluation
    replayed: bool = False  # the client's event_id was already stored: nothing new was written
    # The evaluation in its JSON form (as the projection stores it): the answer reads it, so the
    # model is dumped once per append.
    evaluation_json: dict[str, Any] | None = None

    def __iter__(self):
        return iter((self.case, self.event, self.evaluation))


class CaseFull(ProblemError):
    status, code, title = 409, "case-event-limit", "The case has as many events as it may hold"


def etag_of(case: Case) -> str:
    return f'"{case.id.hex}.{case.version}"'


def append_event(*, session: Session, target: CaseToWrite, event_in: CaseEventCreate, raw: dict[str, Any], ruleset: CompiledRuleset,
                 now: datetime, warning_lead: timedelta = DEFAULT_WARNING_LEAD,
                 actor: Actor | None = None, if_match: str | None = None,
                 max_events: int | None = None, peers: PeerPolicy | None = None) -> Appended:
    """Append one event under the case's lock, then re-evaluate and store the projection.

    One statement loads the case (locked) and its log as plain rows; the new event joins the log
    in memory. Core statements write the event, the audit entry and the case's projection (no ORM
    object on this path); a flush adds what the outbox and the peer signals queued.
    """
    case, log = repository.load_case_with_log(session, target)
    if event_in.event_id is not None:
        stored = next((e for e in log if e.event_id == event_in.event_id), None)
        if stored is not None:
            return _replay(case, stored, event_in)
    if if_match is not None and if_match.strip() not in ("*", etag_of(case)):
        raise PreconditionFailed("The case changed since you read it; read it again.",
                                 etag=etag_of(case))
    if max_events is not None and case.last_seq >= max_events:
        # Every append re-evaluates the whole log: an unbounded log makes every request dearer.
        raise CaseFull(f"This case already has {case.last_seq} events, the most one case may hold; "
                       "open a new case to go on.", limit=max_events)
    event = StoredEvent(
        id=uuid.uuid4(), case_id=case.id, seq=case.last_seq + 1, type=event_in.type,
        occurred_at=_utc(event_in.occurred_at), recorded_at=now,
        data=event_in.data.model_dump(mode="json", exclude_none=True),
        note=event_in.note, event_id=event_in.event_id, content_hash=None, prev_hash=None, raw=raw,
    )
    # The event the chain links to is the one numbered last_seq (none if it went missing).
    previous = log[-1] if log and log[-1].seq == case.last_seq else None
    chain.seal(event, previous=previous)
    repository.insert_event(session, event)
    case.last_seq = event.seq
    case.version += 1
    case.updated_at = now
    reading = peer_signals.take_snapshot(session=session, case=case, policy=peers, now=now)
    evaluation = evaluate(case_input(case), event_inputs([*log, event]), now, ruleset,
                          reading and reading.snapshot)
    store_evaluation(session=session, case=case, evaluation=evaluation, now=now,
                     warning_lead=warning_lead)
    peer_signals.record_contribution(session=session, case=case, reading=reading,
                                     evaluation=evaluation, now=now)
    if actor is not None:
        audit.record(session, actor=actor, case_id=case.id, action="event.appended", now=now,
                     seq=event.seq, type=event.type)
    repository.write_case(session, case)
    session.flush()  # what the outbox and the peer signals added
    count_event(event.type)
    return Appended(case, event, evaluation, evaluation_json=case.evaluation)


def _replay(case: CaseState, stored: StoredEvent, event_in: CaseEventCreate) -> Appended:
    """An offline queue sent the same event again: answer with what is stored."""
    if (stored.type, stored.data, stored.occurred_at, stored.note) != _content(event_in):
        raise Conflict("This event_id is already stored with different content.", field="event_id",
                       seq=stored.seq)
    evaluation = Evaluation.model_validate(case.evaluation)
    return Appended(case, stored, evaluation, replayed=True,
                    evaluation_json=evaluation.model_dump(mode="json"))


def update_case(*, session: Session, target: CaseToWrite, changes: dict[str, Any],
                if_match: str | None, actor: Actor, now: datetime) -> Case:
    """Change a case's own details in place; only against the version the caller last read."""
    case = repository.load_case(session, target)
    if if_match is None:
        raise PreconditionRequired("Send If-Match with the ETag you last read.", etag=etag_of(case))
    if if_match.strip() not in ("*", etag_of(case)):
        raise PreconditionFailed("The case changed since you read it; read it again.",
                                 etag=etag_of(case))
    for field, value in changes.items():
        setattr(case, field, value)
    case.version += 1
    case.updated_at = now
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("A case with this external_ref already exists.", field="external_ref") from exc
    audit.record(session, actor=actor, case_id=case.id, action="case.updated", now=now,
                 fields=sorted(changes))
    return case


def reevaluate(*, session: Session, case: Case, ruleset: CompiledRuleset, now: datetime,
               warning_lead: timedelta = DEFAULT_WARNING_LEAD,
               peers: PeerPolicy | None = None) -> Evaluation:
    """Evaluate a locked case again at `now` (time moved on) and store the result."""
    reading = peer_signals.take_snapshot(session=session, case=case, policy=peers, now=now)
    evaluation = evaluate(case_input(case), event_inputs(repository.list_events(session, case_id=case.id)),
                          now, ruleset, reading and reading.snapshot)
    store_evaluation(session=session, case=case, evaluation=evaluation, now=now,
                     warning_lead=warning_lead)
    peer_signals.record_contribution(session=session, case=case, reading=reading,
                                     evaluation=evaluation, now=now)
    session.flush()
    return evaluation


def current_evaluation(*, session: Session, case: Case, ruleset: CompiledRuleset, now: datetime,
                       as_of: datetime | None = None) -> dict[str, Any]:
    """The stored projection while it is still true, else a fresh evaluation (never stored here)."""
    stale = case.next_transition_at is not None and case.next_transition_at <= now
    moved = case.evaluation.get("ruleset_hash") != ruleset.ruleset.hash
    if as_of is None and not stale and not moved:
        return case.evaluation
    events = event_inputs(repository.list_events(session, case_id=case.id))
    return evaluate(case_input(case), events, as_of or now, ruleset,
                    _peers_used(case.evaluation)).model_dump(mode="json")


def _peers_used(evaluation: dict[str, Any]) -> PeerSnapshot | None:
    # A read evaluates again with the peer snapshot the stored evaluation used: no counter read,
    # and the same answer the case was last given, moved on in time only.
    peers = evaluation.get("peers")
    return PeerSnapshot.model_validate(peers) if peers else None


def upcoming_change(*, session: Session, case: Case, evaluation: dict[str, Any],
                    ruleset: CompiledRuleset) -> dict[str, Any] | None:
    """What the case will look like at its next transition if nothing else happens.

    Lets an app say "if nothing happens by Friday, complain to the regulator".
    """
    at = evaluation.get("next_transition_at")
    if at is None:
        return None
    events = event_inputs(repository.list_events(session, case_id=case.id))
    later = evaluate(case_input(case), events, datetime.fromisoformat(at), ruleset,
                     _peers_used(evaluation)).model_dump(mode="json")
    # New, or more urgent than now (a reminder that becomes "chase them today").
    known = {(a["action"], a["priority"]) for a in evaluation["next_actions"]}
    was_open = {d["kind"] for d in evaluation["deadlines"] if not d["lapsed"]}
    return {
        "at": at, "status": later["status"], "risk_level": later["risk_level"],
        "new_actions": [a for a in later["next_actions"] if (a["action"], a["priority"]) not in known],
        "deadlines_lapsing": [d["kind"] for d in later["deadlines"] if d["lapsed"] and d["kind"] in was_open],
    }


def _content(event_in: CaseEventCreate) -> tuple:
    """What must match for a second post with the same event_id to be the same event."""
    return (event_in.type, event_in.data.model_dump(mode="json", exclude_none=True),
            _utc(event_in.occurred_at), event_in.note)


def what_if(*, case_in: CaseCreate, events: list[CaseEventCreate], as_of: datetime,
            ruleset: CompiledRuleset) -> Evaluation:
    """Evaluate an intake and events without storing anything; events get seq 1..n in order.

    An event repeated with its event_id counts once, as it would when posted to a stored case;
    the same event_id with other content is refused the same way too.
    """
    first: dict[uuid.UUID, tuple[int, tuple]] = {}
    inputs: list[EventInput] = []
    for index, event_in in enumerate(events):
        content = _content(event_in)
        if event_in.event_id is not None:
            if event_in.event_id in first:
                seq, seen = first[event_in.event_id]
                if seen != content:
                    raise Conflict("This event_id is already in the list with different content.",
                                   field=f"events[{index}].event_id", seq=seq)
                continue
            first[event_in.event_id] = (len(inputs) + 1, content)
        inputs.append(EventInput(seq=len(inputs) + 1, type=event_in.type, occurred_at=content[2],
                                 data=content[1]))
    return evaluate(intake_input(case_in), inputs, as_of, ruleset)


def encode_cursor(case: Case) -> str:
    raw = json.dumps([case.created_at.isoformat(), str(case.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, case_id = json.loads(raw)
        # The same strict reading as every input time: a forged cursor cannot smuggle in a
        # naive time or year 9999 to compare against stored rows.
        return _CURSOR_TIME.validate_python(created_at), uuid.UUID(case_id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, ValidationError) as exc:
        raise InvalidRequest("The cursor is not one this API issued.", field="cursor") from exc
