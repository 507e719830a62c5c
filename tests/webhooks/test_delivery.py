"""Time and webhooks in-process: a controllable clock drives the sweeper and the deliveries.

The API, the sweeper and the delivery loop all read one fake clock, so a promise can lapse at
"3 a.m." in a test that takes a second. Deliveries go over real HTTP to a receiver on 127.0.0.1
that verifies every signature and answers from a script.
"""

import random
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.db.models import Case, OutboxMessage
from app.edge.deps import get_now
from app.settings import Settings
from app.webhooks.transport import webhook_client
from app.webhooks.urlguard import Policy
from app.worker.delivery import backoff, deliver_due, retry_after
from app.worker.sweeper import sweep_due_cases
from tests.conftest import Api
from tests.support.payloads import ago, event, intake, iso
from tests.support.receiver import Receiver, fail, gone, hang, running_receiver, too_many

STATUS, RISK, DEADLINE = "case.status_changed", "case.risk_changed", "case.deadline_approaching"
LEAD = timedelta(hours=24)  # the app's deadline_warning_hours
TIMEOUT = 0.5  # the sender's timeout in these tests, so a hanging receiver costs half a second
# What a notification may say about a case: ids, states and numbers, nothing about the person.
THIN_FIELDS = {"case_id", "external_ref", "status", "previous_status", "risk_level",
               "previous_risk_level", "escalation_level", "track", "ruleset_version", "case_seq",
               "deadline"}


class Clock:
    """A wall clock that only moves when the test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment

    def advance(self, **delta) -> datetime:
        return self.set(self.now + timedelta(**delta))


@pytest.fixture
def clock(app) -> Clock:
    """The fake clock, also the API's `now` for the duration of the test."""
    fake = Clock(datetime.now(timezone.utc).replace(microsecond=0))
    app.dependency_overrides[get_now] = fake
    yield fake
    app.dependency_overrides.pop(get_now, None)


class Driver:
    """What `stuckfunds worker` does in a round, at the fake clock's time."""

    def __init__(self, app, clock: Clock, settings: Settings, **client_options) -> None:
        self.app, self.clock, self.settings = app, clock, settings
        self.http = webhook_client(Policy.from_settings(settings), **client_options)

    def sweep(self) -> list[uuid.UUID]:
        swept = []
        while True:
            ids = sweep_due_cases(sessions=self.app.state.write_sessions, ruleset=self.app.state.ruleset,
                                  now=self.clock(), batch_size=self.settings.worker_batch_size,
                                  warning_lead=LEAD)
            swept += ids
            if len(ids) < self.settings.worker_batch_size:
                return swept

    def deliver(self) -> int:
        attempted = 0
        for _ in range(20):  # bounded: a Retry-After of 0 would make a delivery due again at once
            n = deliver_due(sessions=self.app.state.write_sessions, settings=self.settings,
                            now=self.clock(), batch_size=self.settings.worker_batch_size,
                            client=self.http, clock=self.clock)
            attempted += n
            if not n:
                break
        return attempted

    def tick(self) -> tuple[list[uuid.UUID], int]:
        return self.sweep(), self.deliver()


def driver_for(app, clock, client_options: dict | None = None, **overrides):
    settings = app.state.settings.model_copy(update={
        "webhook_timeout_seconds": TIMEOUT, "worker_batch_size": 200, **overrides})
    return Driver(app, clock, settings, **(client_options or {}))


@pytest.fixture
def driver(app, clock):
    d = driver_for(app, clock)
    yield d
    d.http.close()


@pytest.fixture
def receiver():
    with running_receiver() as r:
        yield r


@pytest.fixture
def hooks(api):
    """Subscribe the receiver; every subscription is deleted afterwards, so no later test sends to it."""
    made = []

    def subscribe(receiver: Receiver, events=None) -> dict:
        body = {"url": receiver.url} | ({"events": events} if events else {})
        response = api.post("/v1/webhooks", json=body)
        assert response.status_code == 201, response.text
        webhook = response.json()
        receiver.secret = webhook["secret"]
        made.append(webhook["id"])
        return webhook

    yield subscribe
    for webhook_id in made:
        api.http.delete(f"/v1/webhooks/{webhook_id}", headers=api.headers)


def open_case(api: Api, **overrides) -> dict:
    response = api.post("/v1/cases", json=intake(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


def post(api: Api, case_id: str, type_: str, data: dict | None = None) -> dict:
    body = event(type_, data, occurred_at=ago(minutes=1))  # in the real past: events cannot be ahead
    response = api.post(f"/v1/cases/{case_id}/events", json=body)
    assert response.status_code == 201, response.text
    return response.json()["evaluation"]


def promise(due_at: datetime) -> dict:
    return {"channel": "email", "explanation_kind": "channel_maintenance",
            "details_given": {"channel": True, "maintainer": True, "criteria": True, "duration": True},
            "promised_resolution_at": iso(due_at), "in_writing": True}


def stored(app, case_id: str) -> Case:
    with app.state.sessions() as session:
        return session.get(Case, uuid.UUID(case_id))


def outbox(app, case_id: str) -> list[OutboxMessage]:
    with app.state.sessions() as session:
        return list(session.scalars(select(OutboxMessage)
                                    .where(OutboxMessage.case_id == uuid.UUID(case_id))
                                    .order_by(OutboxMessage.case_seq)))


def for_case(messages: list[dict], case_id: str) -> list[dict]:
    return [m for m in messages if m["data"]["case_id"] == case_id]


def deliveries(api: Api, webhook_id: str) -> list[dict]:
    response = api.get(f"/v1/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.text
    return response.json()["items"]


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_lapsed_promise_moves_the_case_to_overdue_and_the_client_hears_it(app, api, clock, driver,
                                                                        receiver, hooks):
    hooks(receiver)
    case = open_case(api, external_ref=f"ref-{uuid.uuid4().hex[:8]}")
    due = clock.now + timedelta(hours=48)
    evaluation = post(api, case["id"], "support_contacted", promise(due))
    assert evaluation["status"] == "awaiting_platform"
    assert at(evaluation["next_transition_at"]) == due

    # The case shows its upcoming deadlines, and when it will change by time alone.
    shown = api.get(f"/v1/cases/{case['id']}").json()
    assert at(shown["next_transition_at"]) == due
    deadlines = {d["kind"]: d for d in shown["evaluation"]["deadlines"]}
    assert at(deadlines["platform_promise"]["due_at"]) == due
    assert deadlines["platform_promise"]["lapsed"] is False
    assert stored(app, case["id"]).next_wakeup_at == due - LEAD  # the warning comes first

    # Before the warning lead: nothing to do for this case.
    clock.advance(hours=1)
    swept, _ = driver.tick()
    assert uuid.UUID(case["id"]) not in swept

    # Within the warning lead: the deadline is announced, once; the status stays.
    clock.set(due - timedelta(hours=23))
    swept, _ = driver.tick()
    assert uuid.UUID(case["id"]) in swept
    assert receiver.wait_for(lambda r: for_case(r.of_type(DEADLINE), case["id"]), timeout=5)
    [warning] = for_case(receiver.of_type(DEADLINE), case["id"])
    assert warning["data"]["deadline"] == {"kind": "platform_promise", "due_at": due.isoformat()}
    assert warning["data"]["status"] == "awaiting_platform"
    assert stored(app, case["id"]).status == "awaiting_platform"
    assert [m["data"]["status"] for m in for_case(receiver.of_type(STATUS), case["id"])] == [
        "awaiting_platform"]  # only the change the event made: new -> awaiting_platform
    assert stored(app, case["id"]).next_wakeup_at == due

    # The promise lapses with nobody calling the API. Until the sweeper runs, only a read
    # computes "overdue" on the fly; the stored projection (and list filters) still say awaiting.
    clock.set(due + timedelta(minutes=1))
    assert api.get(f"/v1/cases/{case['id']}").json()["status"] == "overdue"
    assert stored(app, case["id"]).status == "awaiting_platform"

    swept, _ = driver.tick()
    assert uuid.UUID(case["id"]) in swept
    row = stored(app, case["id"])
    assert row.status == "overdue" and row.evaluated_at == due + timedelta(minutes=1)

    assert receiver.wait_for(lambda r: "overdue" in [m["data"]["status"] for m in r.of_type(STATUS)],
                             timeout=5)
    changed = for_case(receiver.of_type(STATUS), case["id"])[-1]
    assert changed["type"] == STATUS
    data = changed["data"]
    assert data["case_id"] == case["id"] and data["status"] == "overdue"
    assert data["previous_status"] == "awaiting_platform"
    [written] = [m for m in outbox(app, case["id"])
                 if m.kind == STATUS and m.payload["status"] == "overdue"]
    assert data["case_seq"] == written.case_seq
    assert changed["timestamp"] == written.created_at.isoformat()
    # Thin: ids and states only. No platform, no amount, no province, no free text.
    assert set(data) <= THIN_FIELDS
    raw = next(r.body.decode() for r in receiver.verified if r.payload == changed)
    for private in ("安心保险", "30000", "浙江", "insurer"):
        assert private not in raw

    # Later reads show the stored projection (its as_of is the sweep's moment, not the read's).
    clock.advance(minutes=5)
    shown = api.get(f"/v1/cases/{case['id']}").json()
    assert shown["status"] == "overdue"
    assert at(shown["evaluation"]["as_of"]) == due + timedelta(minutes=1)
    assert {d["kind"]: d["lapsed"] for d in shown["evaluation"]["deadlines"]}["platform_promise"] is True
    assert shown["next_transition_at"] is not None and at(shown["next_transition_at"]) > clock.now
    listed = api.get("/v1/cases", params={"status": "overdue"}).json()["items"]
    assert case["id"] in [c["id"] for c in listed]

    # Swept again later: no second notification for the same change.
    before = len(receiver.requests)
    driver.tick()
    assert len(receiver.requests) == before
    kinds = Counter(m.kind for m in outbox(app, case["id"]))
    assert kinds[STATUS] == 2 and kinds[DEADLINE] == 1


def test_status_changes_by_events_are_announced_numbered_per_case(app, api, clock, driver, receiver,
                                                                   hooks):
    hooks(receiver)
    case = open_case(api)
    steps = [("notice_posted", {"notice_kind": "channel_maintenance"}, "verifying"),
             ("support_contacted", {"channel": "phone"}, "negotiating"),
             ("support_contacted", promise(clock.now + timedelta(days=3)), "awaiting_platform"),
             ("funds_received", {"amount": "30000.00", "full": True}, "resolved")]
    previous = 0
    for type_, data, status in steps:
        clock.advance(minutes=1)
        assert post(api, case["id"], type_, data)["status"] == status
        # Written with the event, before any worker has run.
        rows = outbox(app, case["id"])
        assert len(rows) > previous and rows[-1].kind in (STATUS, RISK)
        assert any(r.kind == STATUS and r.payload["status"] == status for r in rows[previous:])
        previous = len(rows)
        driver.tick()

    assert receiver.wait_for(lambda r: len(for_case(list(r.messages.values()), case["id"])) == previous,
                             timeout=5)
    arrived = for_case(list(receiver.messages.values()), case["id"])
    assert [m["data"]["case_seq"] for m in arrived] == list(range(1, previous + 1))
    changes = [(m["data"]["previous_status"], m["data"]["status"])
               for m in arrived if m["type"] == STATUS]
    assert changes == [("new", "verifying"), ("verifying", "negotiating"),
                       ("negotiating", "awaiting_platform"), ("awaiting_platform", "resolved")]
    # One message per outbox row; webhook-id is the outbox row's id.
    ids = {r.webhook_id for r in receiver.verified if r.payload["data"]["case_id"] == case["id"]}
    assert ids == {f"msg_{m.id.hex}" for m in outbox(app, case["id"])}
    assert all(n == 1 for n in receiver.accepted.values())


def test_failures_are_retried_until_each_message_arrives_exactly_once(app, api, clock, driver, receiver,
                                                                     hooks):
    webhook = hooks(receiver, events=[STATUS])
    receiver.script(fail(500), hang(TIMEOUT + 1.0), too_many(120))
    case = open_case(api)
    post(api, case["id"], "notice_posted", {"notice_kind": "channel_maintenance"})
    path = f"/v1/webhooks/{webhook['id']}"

    def pending() -> dict:
        [delivery] = deliveries(api, webhook["id"])
        return delivery

    # 1: 500 -> retried after a backoff of about 5 s.
    assert driver.deliver() == 1
    first_wait = at(pending()["next_attempt_at"]) - clock.now
    assert timedelta(seconds=4) <= first_wait <= timedelta(seconds=6)
    assert driver.deliver() == 0  # not due yet

    # 2: the receiver hangs past the timeout -> retried after a longer backoff.
    clock.set(at(pending()["next_attempt_at"]))
    assert driver.deliver() == 1
    second_wait = at(pending()["next_attempt_at"]) - clock.now
    assert second_wait > first_wait
    assert timedelta(seconds=8) <= second_wait <= timedelta(seconds=12)

    # 3: 429 with Retry-After: 120 -> nothing before those two minutes are up.
    clock.set(at(pending()["next_attempt_at"]))
    assert driver.deliver() == 1
    assert at(pending()["next_attempt_at"]) >= clock.now + timedelta(seconds=120)
    clock.advance(seconds=119)
    assert driver.deliver() == 0

    # 4: 200.
    clock.advance(seconds=1)
    assert driver.deliver() == 1
    delivery = pending()
    assert delivery["status"] == "delivered" and delivery["next_attempt_at"] is None
    assert delivery["attempt_count"] == 4 and delivery["event"] == STATUS
    assert [a["status_code"] for a in delivery["attempts"]] == [500, None, 429, 200]
    assert "timeout" in delivery["attempts"][1]["error"].lower()

    # The receiver saw four requests for one message (the hung one may have been processed
    # too): after de-duplication by webhook-id, exactly one message.
    assert receiver.wait_for(lambda r: len(r.requests) == 4, timeout=5)
    assert {r.webhook_id for r in receiver.requests} == {delivery["webhook_id"]}
    assert all(r.verified for r in receiver.requests)
    assert [r.status for r in receiver.requests] == [500, 200, 429, 200]
    assert list(receiver.messages) == [delivery["webhook_id"]]

    # More changes go through at once now that the receiver is well again.
    clock.advance(minutes=1)
    post(api, case["id"], "support_contacted", {"channel": "phone"})
    clock.advance(minutes=1)
    post(api, case["id"], "support_contacted", promise(clock.now + timedelta(days=3)))
    assert driver.deliver() == 2
    sent = {f"msg_{m.id.hex}" for m in outbox(app, case["id"]) if m.kind == STATUS}
    assert len(sent) == 3
    assert receiver.wait_for(lambda r: set(r.messages) == sent, timeout=5)
    assert [m["data"]["status"] for m in receiver.messages.values()] == [
        "verifying", "negotiating", "awaiting_platform"]

    # Redeliver: the same webhook-id again, which the receiver recognises.
    response = api.post(f"{path}/deliveries/{delivery['id']}/redeliver")
    assert response.status_code == 202, response.text
    accepted = receiver.accepted[delivery["webhook_id"]]
    assert driver.deliver() == 1
    assert receiver.wait_for(lambda r: r.accepted[delivery["webhook_id"]] == accepted + 1, timeout=5)
    assert receiver.requests[-1].webhook_id == delivery["webhook_id"]
    assert set(receiver.messages) == sent
    again = next(d for d in deliveries(api, webhook["id"]) if d["id"] == delivery["id"])
    assert again["status"] == "delivered"
    assert [a["status_code"] for a in again["attempts"]] == [500, None, 429, 200, 200]


def test_410_disables_the_endpoint_and_nothing_more_is_sent(app, api, clock, driver, receiver, hooks):
    webhook = hooks(receiver)
    receiver.script(gone())
    case = open_case(api)
    post(api, case["id"], "notice_posted", {"notice_kind": "channel_maintenance"})  # status and risk
    assert len(outbox(app, case["id"])) == 2

    driver.deliver()
    assert [r.status for r in receiver.requests] == [410]
    shown = api.get(f"/v1/webhooks/{webhook['id']}").json()
    assert shown["disabled_at"] is not None and "410" in shown["disabled_reason"]
    assert at(shown["disabled_at"]) == clock.now
    gone_delivery, held = sorted(deliveries(api, webhook["id"]), key=lambda d: -len(d["attempts"]))
    assert gone_delivery["status"] == "failed"
    assert [a["status_code"] for a in gone_delivery["attempts"]] == [410]
    # The other message of the same batch is not sent: it waits for the endpoint to be enabled.
    assert held["status"] == "pending" and held["attempts"] == [] and held["attempt_count"] == 0

    # Later changes are not sent to a disabled endpoint, however long the worker runs.
    clock.advance(minutes=1)
    post(api, case["id"], "support_contacted", {"channel": "phone"})
    for _ in range(3):
        clock.advance(hours=1)
        driver.tick()
    assert len(receiver.requests) == 1


def test_persistent_failure_disables_the_endpoint(app, api, clock, receiver, hooks):
    driver = driver_for(app, clock, webhook_max_attempts=3)
    webhook = hooks(receiver, events=[STATUS])
    receiver.script(fail(500), fail(503), fail(500))
    case = open_case(api)
    post(api, case["id"], "notice_posted", {"notice_kind": "channel_maintenance"})
    try:
        for _ in range(3):
            assert driver.deliver() == 1
            [delivery] = deliveries(api, webhook["id"])
            if delivery["next_attempt_at"]:
                clock.set(at(delivery["next_attempt_at"]))
        assert delivery["status"] == "failed" and delivery["next_attempt_at"] is None
        assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 500]
        shown = api.get(f"/v1/webhooks/{webhook['id']}").json()
        assert shown["disabled_at"] is not None and "3" in shown["disabled_reason"]

        clock.advance(minutes=1)
        post(api, case["id"], "support_contacted", {"channel": "phone"})
        clock.advance(days=1)
        driver.tick()
        assert len(receiver.requests) == 3
    finally:
        driver.http.close()


def test_backoff_spreads_retries_over_about_three_days_with_jitter():
    settings = Settings()
    # Attempt n fails -> wait backoff(n) before attempt n + 1; the last attempt has no wait.
    waits = [backoff(n, settings) for n in range(1, settings.webhook_max_attempts)]
    total = sum(waits, timedelta())
    assert timedelta(days=2) <= total <= timedelta(days=3, hours=12), total
    assert waits[0] <= timedelta(seconds=6)
    cap = timedelta(seconds=settings.webhook_backoff_cap_seconds)
    assert max(waits) <= cap * 1.2
    base, cap_s = settings.webhook_backoff_base_seconds, settings.webhook_backoff_cap_seconds
    nominal = [min(cap_s, base * 2 ** (n - 1)) for n in range(1, settings.webhook_max_attempts)]
    for wait, expected in zip(waits, nominal):
        assert expected * 0.8 <= wait.total_seconds() <= expected * 1.2
    # Exponential until the cap.
    assert nominal[:5] == [5, 10, 20, 40, 80]
    # Jitter: the same attempt does not always wait the same time.
    samples = {backoff(4, settings, random.Random(seed)) for seed in range(20)}
    assert len(samples) > 10


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2025, 7, 4, 3, 0, tzinfo=timezone.utc)
    assert retry_after("120", now) == timedelta(seconds=120)
    assert retry_after("Fri, 04 Jul 2025 03:05:00 GMT", now) == timedelta(minutes=5)
    assert retry_after(None, now) is None and retry_after("soon", now) is None
    assert retry_after("999999999", now) == timedelta(days=1)  # capped
