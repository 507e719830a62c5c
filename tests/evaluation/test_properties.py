"""Evaluation: properties that hold for every event log, checked on random valid logs.

The logs are built from the request models themselves (app/cases/event_data*.py): every field's
choices are read off its `Literal` (strings follow their declared pattern and lengths), so a new
enum value is generated without touching this file, and every generated event and intake is
validated by the same models the API uses before it is handed to `evaluate`, in the form the
service stores (`model_dump(mode="json", exclude_none=True)`).
A data model whose field annotation the generator does not understand fails
`test_every_event_type_has_a_strategy`.
"""

import os
import types
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel, StringConstraints, TypeAdapter

from app.cases.event_data import EVENT_MODELS, EVENT_TYPES, CaseEventCreate
from app.cases.intake import CaseCreate, PlatformIn
from app.cases.service import intake_input
from app.evaluation import CaseInput, CompiledRuleset, Evaluation, EventInput, evaluate, load_ruleset
from app.settings import PROJECT_ROOT

# --- the contract's vocabularies, spelt out from DESIGN.md §2 rather than read from the code ----
LADDER_STATUSES = (
    "new", "verifying", "negotiating", "awaiting_platform", "overdue", "escalated_regulator",
    "mediation", "escalated_legal", "fraud_suspected", "reported_to_police", "resolved", "closed",
)
TERMINAL = ("resolved", "closed")
RISKS = ("low", "medium", "high", "critical")
TRACKS = ("dispute", "fraud")
HARD_FRAUD_FLAGS = ("R1", "R2", "R3", "R4", "R5", "R6", "R7")

# Modest by default so the file runs in seconds; raise it for a deeper search, e.g.
# STUCKFUNDS_PROPERTY_EXAMPLES=5000 .venv/bin/python -m pytest tests/evaluation
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("STUCKFUNDS_PROPERTY_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# One `data` model per event type, read off the union: which fields exist and which values they
# take are derived from the model, so a new event type needs nothing here.
DATA_MODELS: dict[str, type[BaseModel]] = {
    event_type: model.model_fields["data"].annotation for event_type, model in EVENT_MODELS.items()
}

# --- time ----------------------------------------------------------------------------------------
# A fixed, past origin: the evaluator never reads the clock, and the request models are given
# `now` through their validation context, so nothing here depends on when the suite runs.
ORIGIN = datetime(2024, 6, 1, tzinfo=timezone.utc)
ZONES = (timezone.utc, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5)))
DAY = 86_400
YEAR = 365 * DAY
FUTURE_OF_AS_OF = 30 * DAY  # events may lie after as_of: a preview of an earlier moment


@dataclass(frozen=True)
class Rel:
    """A moment relative to the as_of drawn for the log; strategies are built once, times later."""

    seconds: int
    zone: tzinfo

    def at(self, base: datetime) -> datetime:
        return (base + timedelta(seconds=self.seconds)).astimezone(self.zone)


def moments(low: int, high: int) -> st.SearchStrategy[Rel]:
    """as_of+[low, high] seconds, often on a whole day or exactly at as_of, in a random zone."""
    seconds = st.one_of(
        st.integers(low, high),
        st.integers(low // DAY, high // DAY).map(lambda d: d * DAY),  # day-counter boundaries
        st.just(0) if low <= 0 <= high else st.nothing(),  # exactly at as_of
    )
    return st.builds(Rel, seconds, st.sampled_from(ZONES))


def resolve(value: Any, as_of: datetime) -> Any:
    """Replace every Rel in a drawn payload by its ISO 8601 text, as a client would send it."""
    if isinstance(value, Rel):
        return value.at(as_of).isoformat()
    if isinstance(value, dict):
        return {k: resolve(v, as_of) for k, v in value.items()}
    return value


# --- field strategies derived from the annotations -----------------------------------------------
AMOUNTS = st.integers(100, 10**9).map(lambda cents: str(Decimal(cents) / 100))  # 1.00 .. 10^7
LABEL_ALPHABET = st.sampled_from("abcXYZ019-_通道维护风控")
LABELS = st.text(alphabet=LABEL_ALPHABET, min_size=1, max_size=12)
# Promised, announced and published dates: before and after as_of, within four months.
DATES = moments(-120 * DAY, 120 * DAY)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _string_strategy(constraints: list[StringConstraints]) -> st.SearchStrategy[str]:
    """Short labels, or text matching the field's pattern (e.g. a SHA-256), within its lengths."""
    low = max([1, *(c.min_length or 0 for c in constraints)])
    high = min([12, *(c.max_length for c in constraints if c.max_length)])
    patterns = [c.pattern for c in constraints if c.pattern]
    if patterns:
        return st.from_regex(patterns[0], fullmatch=True).filter(lambda v: low <= len(v))
    return st.text(alphabet=LABEL_ALPHABET, min_size=low, max_size=max(low, high))


def value_strategy(tp: Any) -> st.SearchStrategy[Any]:
    """Valid values for one annotation; an annotation it does not know raises, so it is noticed."""
    origin = get_origin(tp)
    if origin is Annotated:
        base, *metadata = get_args(tp)
        if base is str:
            return _string_strategy([m for m in metadata if isinstance(m, StringConstraints)])
        return value_strategy(base)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        inner = st.one_of([value_strategy(a) for a in options])
        return st.one_of(st.none(), inner) if len(options) < len(get_args(tp)) else inner
    if origin is Literal:
        return st.sampled_from(get_args(tp))  # a new enum value is generated with no edit here
    if tp is bool:
        return st.booleans()
    if tp is Decimal:
        return AMOUNTS
    if tp is AwareDatetime or (isinstance(tp, type) and issubclass(tp, datetime)):
        return DATES
    if tp is str:
        return LABELS
    if _is_model(tp):
        return model_strategy(tp)
    raise NotImplementedError(f"no strategy for the annotation {tp!r}; teach value_strategy")


def model_strategy(model: type[BaseModel], leave_out: tuple[str, ...] = ()) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts for `model`: required fields always, optional ones present, null or left out."""
    required, optional = {}, {}
    for name, field in model.model_fields.items():
        if name in leave_out:
            continue
        annotation = field.annotation
        if field.metadata:  # e.g. Money: pydantic moved its Annotated metadata onto the field
            annotation = Annotated[(annotation, *field.metadata)]
        (required if field.is_required() else optional)[name] = value_strategy(annotation)
    return st.fixed_dictionaries(required, optional=optional)


def event_payload(event_type: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "type": st.just(event_type),
            "occurred_at": moments(-YEAR, FUTURE_OF_AS_OF),
            "data": model_strategy(DATA_MODELS[event_type]),
        },
        optional={"note": LABELS},
    )


# Built once; a type of EVENT_TYPES missing from DATA_MODELS is reported by the first test below.
EVENT_PAYLOADS = {t: event_payload(t) for t in EVENT_TYPES if t in DATA_MODELS}
INTAKE_PAYLOADS = st.fixed_dictionaries(
    {
        # kind, licensed true/false/null, app_source; the app id and domain only find peer
        # signals (tests/peers/), which the evaluator never reads.
        "platform": model_strategy(PlatformIn, leave_out=("app_id", "domain")),
        "amount": AMOUNTS,
        "withdrawal_requested_at": moments(-400 * DAY, 10 * DAY),
    },
    optional={"province": LABELS, "currency": st.sampled_from(["CNY", "USD"])},
)

# --- event logs ----------------------------------------------------------------------------------
EVENT_ADAPTER = TypeAdapter(CaseEventCreate)
VALIDATION_CONTEXT = {"now": ORIGIN + timedelta(days=3 * 365)}


def to_input(seq: int, payload: dict[str, Any], as_of: datetime) -> EventInput:
    """Validate like the API does and keep what the service stores."""
    event = EVENT_ADAPTER.validate_python(resolve(payload, as_of), context=VALIDATION_CONTEXT)
    return EventInput(seq=seq, type=event.type, occurred_at=event.occurred_at,
                      data=event.data.model_dump(mode="json", exclude_none=True))


def to_case(payload: dict[str, Any], as_of: datetime) -> CaseInput:
    return intake_input(CaseCreate.model_validate(resolve(payload, as_of), context=VALIDATION_CONTEXT))


@st.composite
def case_logs(draw, min_events: int = 0, max_events: int = 30):
    """(case, events with seq 1..n in posting order, as_of); times are not in seq order."""
    as_of = draw(moments(0, YEAR)).at(ORIGIN)
    case = to_case(draw(INTAKE_PAYLOADS), as_of)
    # A palette of a few types per log, so that logs without any red-flag event are common and
    # the dispute ladder (promises, overdue, complaints, mediation) is walked, not only the gate.
    palette = sorted(draw(st.sets(st.sampled_from(EVENT_TYPES), min_size=1, max_size=8)))
    count = draw(st.integers(min_events, max_events))
    types_ = draw(st.lists(st.sampled_from(palette), min_size=count, max_size=count))
    events = [to_input(seq, draw(EVENT_PAYLOADS[t]), as_of) for seq, t in enumerate(types_, start=1)]
    return case, events, as_of


@pytest.fixture(scope="module")
def ruleset() -> CompiledRuleset:
    return CompiledRuleset(load_ruleset(PROJECT_ROOT / "rules"))


def _occurred(events: list[EventInput], as_of: datetime) -> list[EventInput]:
    return [e for e in events if e.occurred_at <= as_of]


# --- the strategy covers the vocabulary ----------------------------------------------------------


def test_every_event_type_has_a_strategy():
    for event_type in EVENT_TYPES:
        model = DATA_MODELS[event_type]
        assert isinstance(model, type) and issubclass(model, BaseModel), event_type
        model_strategy(model)  # every field's annotation is understood


@pytest.mark.parametrize("event_type", EVENT_TYPES)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_generated_events_are_valid(event_type, data):
    # to_input validates with the API's own union; a generator bug fails here, by type.
    event = to_input(1, data.draw(EVENT_PAYLOADS[event_type]), ORIGIN)
    assert event.type == event_type


# --- properties ----------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(log=case_logs())
def test_no_event_log_makes_evaluate_raise(ruleset, log):
    case, events, as_of = log
    assert isinstance(evaluate(case, events, as_of, ruleset), Evaluation)


@PROPERTY_SETTINGS
@given(log=case_logs())
def test_outputs_stay_within_the_vocabulary(ruleset, log):
    case, events, as_of = log
    ev = evaluate(case, events, as_of, ruleset)
    assert ev.status in LADDER_STATUSES
    assert ev.risk_level in RISKS
    assert ev.track in TRACKS
    assert ev.escalation_level == ruleset.ruleset.ladder[ev.status]
    assert ev.as_of == as_of


@PROPERTY_SETTINGS
@given(log=case_logs(), data=st.data())
def test_evaluation_is_deterministic_and_independent_of_list_order(ruleset, log, data):
    case, events, as_of = log
    first = evaluate(case, events, as_of, ruleset).model_dump_json()
    assert evaluate(case, events, as_of, ruleset).model_dump_json() == first
    shuffled = data.draw(st.permutations(events), label="shuffled")
    assert evaluate(case, shuffled, as_of, ruleset).model_dump_json() == first


@PROPERTY_SETTINGS
@given(log=case_logs())
def test_next_transition_is_in_the_future(ruleset, log):
    case, events, as_of = log
    ev = evaluate(case, events, as_of, ruleset)
    assert ev.next_transition_at is None or ev.next_transition_at > as_of


@PROPERTY_SETTINGS
@given(log=case_logs())
def test_hard_flags_put_the_case_on_the_fraud_track(ruleset, log):
    case, events, as_of = log
    ev = evaluate(case, events, as_of, ruleset)
    if not set(HARD_FRAUD_FLAGS) & set(ev.flags):
        return
    assert ev.track == "fraud"
    assert ev.risk_level == "critical"
    if ev.status in TERMINAL:
        return
    reported = any(e.type == "police_report_filed" for e in _occurred(events, as_of))
    if not reported:
        assert ev.status == "fraud_suspected"
    # A case reopened by a red flag after it ended asks for a report of the new attempt, even if
    # the first scam was reported: "report to the police" leads exactly when nothing covers it.
    expected = (["fraud.report_police"] if ev.status == "fraud_suspected" else []) + ["fraud.stop_payments"]
    assert [a.action for a in ev.next_actions[: len(expected)]] == expected


@PROPERTY_SETTINGS
@given(log=case_logs())
def test_no_dispute_action_on_the_fraud_track(ruleset, log):
    case, events, as_of = log
    ev = evaluate(case, events, as_of, ruleset)
    if ev.track != "fraud":
        return
    catalogue = ruleset.ruleset.catalogue.actions
    dispute_actions = [a.action for a in ev.next_actions if catalogue[a.action].track == "dispute"]
    assert dispute_actions == []


@PROPERTY_SETTINGS
@given(log=case_logs())
def test_every_action_and_deadline_is_explained_by_a_rule_and_past_events(ruleset, log):
    case, events, as_of = log
    ev = evaluate(case, events, as_of, ruleset)
    rule_ids = {rule.id for rule in ruleset.ruleset.rules}
    logged = {e.seq for e in events}
    happened = {e.seq for e in _occurred(events, as_of)}
    for item in [*ev.next_actions, *ev.deadlines]:
        because = item.because
        assert because.rule in rule_ids
        assert set(because.events) <= logged, (item, logged)
        # Events after as_of are not part of the evaluation, so they cannot be a reason either.
        assert set(because.events) <= happened, (item, happened)
        assert because.events == sorted(set(because.events))


@PROPERTY_SETTINGS
@given(log=case_logs(min_events=1), before=st.integers(1, 30 * DAY))
def test_events_after_as_of_are_ignored(ruleset, log, before):
    case, events, _as_of = log
    as_of = min(e.occurred_at for e in events) - timedelta(seconds=before)
    with_future = evaluate(case, events, as_of, ruleset).model_dump_json()
    assert with_future == evaluate(case, [], as_of, ruleset).model_dump_json()


# The properties above draw amounts from 1 to 10^7; the intake accepts up to 15 integer digits
# (Money: max_digits=17, decimal_places=2). The top of the range once reached durable-rules as
# the float 1e16, written "1e+16", which its JSON parser refuses: every amount must survive.
@PROPERTY_SETTINGS
@example(amount=Decimal("999999999999999.99"))
@given(amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999999999.99"),
                          places=2, allow_nan=False, allow_infinity=False))
def test_any_amount_the_intake_accepts_can_be_evaluated(ruleset, amount):
    intake = {"platform": {"name": "p", "kind": "bank"}, "amount": str(amount),
              "withdrawal_requested_at": ORIGIN.isoformat()}
    case = intake_input(CaseCreate.model_validate(intake, context=VALIDATION_CONTEXT))
    assert isinstance(evaluate(case, [], ORIGIN, ruleset), Evaluation)


# --- after a hard red flag (issue 10, class 1) ---------------------------------------------------
# Events that raise a hard flag of R1–R7 whatever else the log holds: flags never go away again.
HARD_FLAG_EVENTS = st.one_of(
    event_payload("fee_demanded"),
    event_payload("payment_instruction_received"),
    event_payload("credentials_requested"),
    event_payload("recovery_offer_received").map(lambda p: {**p, "data": {**p["data"], "fee_requested": True}}),
    event_payload("refund_notice_received").map(
        lambda p: {**p, "data": {**p["data"], "asks_group_or_fee": True}}),
    event_payload("platform_trait_observed").map(
        lambda p: {**p, "data": {"trait": "installed_from_link"}}),
)
# R8 as well: near a licensed insurer it leaves the dispute going, and the warnings still lead.
ANY_HARD_FLAG_EVENTS = st.one_of(
    HARD_FLAG_EVENTS,
    event_payload("agent_solicitation").map(lambda p: {**p, "data": {**p["data"], "fee_requested": True}}),
)


def _is_fraud_action(ruleset: CompiledRuleset, action: str) -> bool:
    return action.startswith("fraud.") or ruleset.ruleset.catalogue.actions[action].track == "fraud"


@PROPERTY_SETTINGS
@given(log=case_logs(), flag=ANY_HARD_FLAG_EVENTS, at=moments(-YEAR, 0))
def test_after_any_hard_flag_fraud_actions_lead_and_the_recovery_warning_stays(ruleset, log, flag, at):
    case, events, as_of = log
    flagged = {**flag, "occurred_at": at}
    events = [*events, to_input(len(events) + 1, flagged, as_of)]  # whatever events, before or after it
    ev = evaluate(case, events, as_of, ruleset)
    assert set(ruleset.ruleset.hard_flags) & set(ev.flags)
    actions = [a.action for a in ev.next_actions]
    assert "fraud.ignore_recovery_offers" in actions
    kinds = [_is_fraud_action(ruleset, a) for a in actions]
    assert kinds == sorted(kinds, reverse=True), actions  # every fraud action before any other


@PROPERTY_SETTINGS
@given(log=case_logs(), flag=HARD_FLAG_EVENTS,
       ending=st.sampled_from(["case_closed", "funds_received"]), data=st.data())
def test_a_hard_flag_after_the_case_ended_reopens_it(ruleset, log, flag, ending, data):
    case, events, as_of = log
    past = _occurred(events, as_of)
    start = max([e.occurred_at for e in past], default=as_of - timedelta(days=2))
    ended_at = start + timedelta(seconds=data.draw(st.integers(1, DAY), label="ended after"))
    if ended_at >= as_of:
        return  # no room before as_of for an ending and a later flag
    flagged_at = ended_at + (as_of - ended_at) * data.draw(st.floats(0.01, 1.0), label="flag at")
    end_data = ({"reason": "abandoned"} if ending == "case_closed"
                else {"amount": str(case.amount), "full": True})
    end = to_input(len(events) + 1, {"type": ending, "occurred_at": ended_at.isoformat(), "data": end_data}, as_of)
    late = to_input(len(events) + 2, {**flag, "occurred_at": flagged_at.isoformat()}, as_of)
    ev = evaluate(case, [*events, end, late], as_of, ruleset)
    assert ev.status in ("fraud_suspected", "reported_to_police")
    assert ev.track == "fraud"
    assert ev.next_actions[0].action in ("fraud.report_police", "fraud.stop_payments")


# --- advice that fits the stage (issue 10, class 6) -----------------------------------------------


@PROPERTY_SETTINGS
@given(log=case_logs())
def test_no_first_steps_once_a_complaint_was_filed_or_a_decision_came_back(ruleset, log):
    case, events, as_of = log
    past = {e.type for e in _occurred(events, as_of)}
    if not past & {"complaint_filed", "complaint_forwarded", "decision_received"}:
        return
    ev = evaluate(case, events, as_of, ruleset)
    assert [a.action for a in ev.next_actions if a.guide_step == 1] == []
    assert "action.communicate.ask_details.first_contact" not in ev.rules_fired


@PROPERTY_SETTINGS
@given(log=case_logs())
def test_the_regulator_route_is_the_police_exactly_on_the_fraud_track_or_for_betting(ruleset, log):
    case, events, as_of = log
    ev = evaluate(case, events, as_of, ruleset)
    betting = case.platform_kind == "gaming" or "S6" in ev.flags
    assert (ev.regulator is not None and ev.regulator.body == "police") == (ev.track == "fraud" or betting)
    if ev.regulator is not None and ev.regulator.statutory_clocks:
        assert ev.regulator.body in ("nfra", "police")
    if any(d.kind in ("firm_decision", "regulator_forward", "superior_review", "superior_answer")
           for d in ev.deadlines):
        assert ev.regulator is not None and ev.regulator.statutory_clocks
