"""Observability: GET /metrics in Prometheus format, and JSON access logs that name the case.

Counters are process-wide and the test databases are shared by the session, so every check
compares a scrape taken before the action with one taken after it.
"""

import json
import logging
import os
import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from app.db.models import Case
from app.logs import JsonFormatter, scrub
from app.worker.delivery import deliver_due
from app.worker.sweeper import sweep_due_cases
from tests.conftest import TEST_SECRET_KEY
from tests.support.payloads import ago, event, intake
from tests.support.receiver import fail, running_receiver
from tests.support.server import create_api_key, free_port, running_server

EVENTS_ROUTE = "/v1/cases/{case_id}/events"
EXPECTED_FAMILIES = {
    "stuckfunds_http_request_duration_seconds": "histogram", "stuckfunds_events": "counter",
    "stuckfunds_evaluations": "counter", "stuckfunds_evaluation_duration_seconds": "histogram",
    "stuckfunds_webhook_attempts": "counter", "stuckfunds_cases": "gauge",
    "stuckfunds_sweeper_lag_seconds": "gauge", "stuckfunds_sweeper_due_cases": "gauge",
    "stuckfunds_database_up": "gauge",
}


def scrape(http) -> dict[tuple[str, tuple], float]:
    """GET /metrics (no credentials) → {(sample name, sorted labels): value}."""
    response = http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


def parse(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def open_case(api, **overrides) -> str:
    response = api.post("/v1/cases", json=intake(**overrides))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_metrics_is_public_prometheus_text_with_every_family(http):
    samples = scrape(http)
    families = {f.name: f.type for f in text_string_to_metric_families(http.get("/metrics").text)}
    assert families | EXPECTED_FAMILIES == families, "missing or mistyped families"
    assert value(samples, "stuckfunds_database_up") == 1
    # Every status of the ladder is present, zero or not, so dashboards never miss a series.
    statuses = {dict(labels)["status"] for name, labels in samples if name == "stuckfunds_cases"}
    assert {"new", "verifying", "overdue", "fraud_suspected", "resolved", "closed"} <= statuses


def test_request_latency_is_labelled_by_route_template_never_the_raw_path(api, http):
    case_id = open_case(api)
    before = scrape(http)
    for text in ("一", "二"):
        assert api.post(f"/v1/cases/{case_id}/events",
                        json=event("note_added", {"text": text})).status_code == 201
    assert api.get(f"/v1/cases/{uuid.uuid4()}").status_code == 404
    http.get(f"/no/such/{uuid.uuid4()}")
    http.request("BREW", "/healthz")  # a method nobody serves: one "other" label, not a new one
    after = scrape(http)
    count = "stuckfunds_http_request_duration_seconds_count"
    assert value(after, count, method="POST", route=EVENTS_ROUTE, status_class="2xx") \
        - value(before, count, method="POST", route=EVENTS_ROUTE, status_class="2xx") == 2
    assert value(after, count, method="GET", route="/v1/cases/{case_id}", status_class="4xx") \
        - value(before, count, method="GET", route="/v1/cases/{case_id}", status_class="4xx") == 1
    assert value(after, count, method="GET", route="unmatched", status_class="4xx") \
        - value(before, count, method="GET", route="unmatched", status_class="4xx") == 1
    assert value(after, count, method="other", route="/healthz", status_class="4xx") \
        - value(before, count, method="other", route="/healthz", status_class="4xx") == 1
    assert case_id not in http.get("/metrics").text, "a raw path leaked into a label"
    assert 'method="BREW"' not in http.get("/metrics").text
    # Histogram buckets: the POSTs fell somewhere at or below +Inf, and the buckets are cumulative.
    buckets = sorted((float(dict(labels)["le"]), v) for (name, labels), v in after.items()
                     if name.endswith("_bucket") and dict(labels).get("route") == EVENTS_ROUTE
                     and dict(labels).get("method") == "POST" and dict(labels)["status_class"] == "2xx")
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)


def test_events_are_counted_by_type_and_evaluations_are_timed(api, http):
    case_id = open_case(api)
    before = scrape(http)
    api.post(f"/v1/cases/{case_id}/events", json=event("note_added", {"text": "记一笔"}))
    api.post(f"/v1/cases/{case_id}/events", json=event("urgency_stated", {"reason": "medical"}))
    api.post(f"/v1/cases/{case_id}/events", json=event("urgency_stated", {"reason": "debt"}))
    refused = api.post(f"/v1/cases/{case_id}/events", json=event("no_such_type"))
    assert refused.status_code == 422
    after = scrape(http)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("stuckfunds_events_total", type="note_added") == 1
    assert delta("stuckfunds_events_total", type="urgency_stated") == 2
    assert delta("stuckfunds_events_total", type="no_such_type") == 0
    assert delta("stuckfunds_evaluations_total", outcome="ok") >= 3  # one per stored event at least
    assert delta("stuckfunds_evaluation_duration_seconds_count") == \
        delta("stuckfunds_evaluations_total", outcome="ok")
    assert delta("stuckfunds_evaluation_duration_seconds_sum") > 0


def test_cases_by_status_are_counted_in_the_database_at_scrape_time(api, http):
    before = scrape(http)
    case_id = open_case(api)
    middle = scrape(http)
    opened_as = [dict(labels)["status"] for (name, labels), v in middle.items()
                 if name == "stuckfunds_cases" and v - before.get((name, labels), 0) == 1]
    assert len(opened_as) == 1, opened_as
    api.post(f"/v1/cases/{case_id}/events", json=event("fee_demanded", {"fee_kind": "unfreeze"}))
    after = scrape(http)
    assert value(after, "stuckfunds_cases", status="fraud_suspected") \
        - value(middle, "stuckfunds_cases", status="fraud_suspected") == 1
    assert value(after, "stuckfunds_cases", status=opened_as[0]) \
        - value(middle, "stuckfunds_cases", status=opened_as[0]) == -1


def test_sweeper_lag_is_the_age_of_the_oldest_due_wake_up(app, api, http):
    case_id = open_case(api)
    with app.state.write_sessions.begin() as session:
        session.execute(update(Case).where(Case.id == uuid.UUID(case_id))
                        .values(next_wakeup_at=datetime.now(timezone.utc) - timedelta(hours=2)))
    behind = scrape(http)
    assert value(behind, "stuckfunds_sweeper_lag_seconds") >= 2 * 3600
    assert value(behind, "stuckfunds_sweeper_due_cases") >= 1
    while sweep_due_cases(sessions=app.state.write_sessions, ruleset=app.state.ruleset,
                          now=datetime.now(timezone.utc), batch_size=500,
                          warning_lead=timedelta(hours=24)):
        pass
    caught_up = scrape(http)
    assert value(caught_up, "stuckfunds_sweeper_lag_seconds") < 60


def test_webhook_attempts_are_counted_by_result(app, api, http):
    settings = app.state.settings.model_copy(update={"webhook_timeout_seconds": 2})
    made = []
    with running_receiver() as receiver, httpx.Client() as client:
        receiver.script(fail(500))
        for url in (receiver.url, f"http://127.0.0.1:{free_port()}/nobody-listens"):
            response = api.post("/v1/webhooks", json={"url": url})
            assert response.status_code == 201, response.text
            made.append(response.json())
        receiver.secret = made[0]["secret"]
        before = scrape(http)
        case_id = open_case(api)
        api.post(f"/v1/cases/{case_id}/events", json=event("fee_demanded", {"fee_kind": "tax"}))
        now = datetime.now(timezone.utc)
        for moment in (now, now + timedelta(hours=1)):  # the 500 is retried later, then 200
            deliver_due(sessions=app.state.write_sessions, settings=settings, now=moment,
                        batch_size=200, client=client)
        after = scrape(http)
    for webhook in made:
        api.http.delete(f"/v1/webhooks/{webhook['id']}", headers=api.headers)
    for result in ("delivered", "http_error", "network_error"):
        assert value(after, "stuckfunds_webhook_attempts_total", result=result) \
            - value(before, "stuckfunds_webhook_attempts_total", result=result) >= 1, result


def test_database_outage_shows_in_the_scrape_not_as_a_failed_scrape(tmp_path):
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.settings import Settings

    path = tmp_path / "gone.db"
    application = create_app(Settings(database_url=f"sqlite:///{path}", embedded_worker=False,
                                      secret_key=TEST_SECRET_KEY))
    application.state.engine.dispose()
    path.unlink()
    path.mkdir()  # a folder where the database file was: nothing can open it
    with TestClient(application) as client:
        samples = scrape(client)
    assert value(samples, "stuckfunds_database_up") == 0


def test_access_log_is_json_with_request_and_case_ids(api, caplog):
    case_id = open_case(api)
    with caplog.at_level(logging.INFO, logger="stuckfunds.access"):
        response = api.post(f"/v1/cases/{case_id}/events", json=event("note_added", {"text": "好"}),
                            headers={"X-Request-ID": "req-abcdef12"})
    assert response.status_code == 201
    [record] = [r for r in caplog.records if getattr(r, "request_id", None) == "req-abcdef12"]
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "request" and line["status"] == 201
    assert line["request_id"] == "req-abcdef12" == response.headers["x-request-id"]
    assert line["case_id"] == case_id
    assert line["client_id"] and line["duration_ms"] >= 0


def test_ids_in_log_lines_are_never_taken_for_phone_numbers():
    # Found by a flaky worker test: the last group of a UUID ("e16698175687") holds a run of
    # digits shaped like a mobile number, and the scrubber used to cut it out of the id.
    case_id, request_id = "02c55c3f-fe94-4de8-ba64-e16698175687", "a13812345678123456781234567890ab"
    line = scrub(json.dumps({"case_id": case_id, "request_id": request_id,
                             "note": "客服电话13812345678，身份证110101199003077777"}, ensure_ascii=False))
    assert case_id in line and request_id in line
    assert "13812345678，" not in line and "[phone]" in line and "[id-number]" in line
    assert scrub("Bearer a13812345678123456781234567890ab") == "Bearer [redacted]"



def test_a_personal_number_in_a_path_is_scrubbed_from_the_access_line(api, caplog):
    # The path and the request id are the client's own text: the access line scrubs them too.
    with caplog.at_level(logging.INFO, logger="stuckfunds.access"):
        api.get("/v1/cases/13812345678", headers={"X-Request-ID": "110101199003077777"})
    [record] = [r for r in caplog.records if getattr(r, "path", "").startswith("/v1/cases/1")]
    line = JsonFormatter().format(record)
    assert "13812345678" not in line and "110101199003077777" not in line
    assert json.loads(line)["path"] == "/v1/cases/[phone]" and json.loads(line)["request_id"] == "[id-number]"


def test_the_scrubber_skips_no_pattern_that_could_match():
    # scrub() tries a pattern only where its match could be; each shape here must still be caught.
    assert scrub("BEARER abc.def-ghi") == "BEARER [redacted]"
    assert scrub('{"k": "whsec_abcdefgh12"}') == '{"k": "whsec_[redacted]"}'
    assert scrub("id １１０１０１１９９００３０７７７７７") == "id [id-number]"  # full-width digits are digits too
    assert scrub("tel +86 13812345678.") == "tel [phone]."
    plain = json.dumps({"path": "/v1/cases/0123456789", "status": 200, "duration_ms": 12345.6})
    assert scrub(plain) == plain

@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_are_summed_in_one_scrape(pg_url, tmp_path):
    """Requests land on either worker; any scrape reports both workers' counts together."""
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    key = create_api_key(pg_url, "metrics-two-workers")
    headers = {"Authorization": f"Bearer {key}"}
    env = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "STUCKFUNDS_SECRET_KEY": TEST_SECRET_KEY}
    with running_server(["--database-url", pg_url, "--workers", "2"], env=env) as server:
        case_id = httpx.post(f"{server.url}/v1/cases", json=intake(), headers=headers,
                             timeout=30).json()["id"]
        sent = 0
        # A fresh connection per request: the kernel spreads them over the two workers.
        while len(_counting_pids(metrics_dir)) < 2 or sent < 20:
            assert sent < 400, f"only {_counting_pids(metrics_dir)} ever counted a request"
            response = httpx.post(f"{server.url}/v1/cases/{case_id}/events", headers=headers,
                                  json=event("note_added", {"text": f"#{sent}"}, occurred_at=ago(minutes=1)),
                                  timeout=30)
            assert response.status_code == 201, response.text
            sent += 1
        # Whichever worker answers the scrape, it reports the sum over both.
        for _ in range(6):
            samples = parse(httpx.get(f"{server.url}/metrics", timeout=30).text)
            assert value(samples, "stuckfunds_http_request_duration_seconds_count", method="POST",
                         route=EVENTS_ROUTE, status_class="2xx") == sent
            assert value(samples, "stuckfunds_events_total", type="note_added") == sent
            assert value(samples, "stuckfunds_cases", status="verifying") \
                + value(samples, "stuckfunds_cases", status="new") >= 1
    assert len(_counting_pids(metrics_dir)) == 2


def _counting_pids(folder: Path) -> set[str]:
    return {m.group(1) for f in os.listdir(folder) if (m := re.match(r"counter_(\d+)\.db$", f))}
