"""API fuzzing: schemathesis against the committed contract, on the ASGI app in-process.

The requests are generated from `openapi/openapi.json` (the contract clients rely on, not the
app's own live document) and sent to the app in this process with a real API key, on an SQLite
file and on a PostgreSQL database of their own (fuzzed data, webhooks included, never reaches
the rest of the suite). Every response is checked by every schemathesis check but two:

- `positive_data_acceptance`: "valid by the schema" is not "valid": a case id that does not
  exist, a cursor this API never issued, a time in the future or a webhook URL on a private
  network are refused on purpose, and a JSON Schema cannot say so;
- `max_response_time`: there is no latency target here (bench/load.py measures latency).

and 413 counts as a rejection of malformed input: a body over its cap is refused unread.

So: no 5xx, every status code and content type documented, every body conforming to its schema,
malformed input refused, the Allow header of a 405 right, authentication never ignored. Then the
stateful run chains operations through the links schemathesis infers from the contract (open a
case → read it, post events to it, list them, patch it...).
"""

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from schemathesis.checks import max_response_time
from sqlalchemy.engine import make_url

from app.main import create_app
from app.settings import PROJECT_ROOT, Settings
from tests.conftest import TEST_SECRET_KEY, _libpq, new_api_key, pg_admin_url

CONTRACT = PROJECT_ROOT / "openapi" / "openapi.json"
EXCLUDED = [positive_data_acceptance, max_response_time]
schema = schemathesis.openapi.from_path(CONTRACT)
# The real key goes in every request; generated Authorization values would only test the 401
# (which the `ignored_auth` check does anyway, by sending each request once without a key).
schema.config.generation.update(with_security_parameters=False)
# An over-long body (thousands of generated events for /v1/evaluate) is refused by its size
# before anything parses it: 413 is a rejection too (app/bodylimit.py).
schema.config.checks.negative_data_rejection.expected_statuses.append("413")

# Small enough for CI: about a minute for both backends, stateful run included.
PER_OPERATION = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate],
                         suppress_health_check=list(HealthCheck))
STATEFUL = settings(max_examples=20, stateful_step_count=8, deadline=None, derandomize=True,
                    # Generation only: the API is a live system, a replay would not see the same state.
                    phases=[Phase.generate],
                    database=None, suppress_health_check=list(HealthCheck))


def _settings(database_url: str, folder: Path) -> Settings:
    # Limits no fuzzer reaches (a 429 is correct behaviour, but not what is being tested), and
    # webhooks refused for private addresses, so nothing is ever delivered from here.
    return Settings(database_url=database_url, embedded_worker=False, secret_key=TEST_SECRET_KEY,
                    rate_limit_api_key="100000000/hour", rate_limit_case_token="100000000/hour",
                    evidence_dir=folder / "evidence")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzz_app(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    if request.param == "sqlite":
        application = create_app(_settings(f"sqlite:///{folder / 'fuzz.db'}", folder))
        yield application
        application.state.engine.dispose()
        return
    request.getfixturevalue("pg_url")  # skips (or fails in CI) when PostgreSQL is not there
    admin = make_url(pg_admin_url())
    name = f"stuckfunds_fuzz_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    from app.db.migrate import upgrade_to_head

    url = admin.set(database=name).render_as_string(hide_password=False)
    upgrade_to_head(url)
    application = create_app(_settings(url, folder))
    yield application
    application.state.engine.dispose()
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def auth(fuzz_app) -> dict[str, str]:
    return {"Authorization": f"Bearer {new_api_key(fuzz_app, 'fuzzer')}"}


@schema.parametrize()
@PER_OPERATION
def test_every_operation_answers_as_the_contract_says(case, fuzz_app, auth):
    # The checks' own probes (a request without credentials, an unsupported method) go through
    # the schema's transport, so the schema must know the app as well as this call.
    case.operation.schema.app = fuzz_app
    case.call_and_validate(app=fuzz_app, headers=auth, excluded_checks=EXCLUDED)


RECENTLY = (datetime.now(timezone.utc) - timedelta(days=3)).isoformat()
CASE = "/v1/cases/{case_id}"
# What a client does with a case, as OpenAPI links: open it, then post events to it, read it,
# its timeline and each event, its evidence, dossier and chain. Schemathesis infers other links
# from the contract's names, but not these (the contract itself carries none).
LIFECYCLE = {
    ("/v1/cases", "post", "201"): {"case_id": "$response.body#/id"},
    (CASE + "/events", "post", "201"): {"case_id": "$request.path.case_id"},
    (CASE, "patch", "200"): {"case_id": "$response.body#/id"},
}
FOLLOW_UPS = [(CASE + "/events", "post"), (CASE, "get"), (CASE, "patch"), (CASE + "/events", "get"),
              (CASE + "/verify", "get"), (CASE + "/dossier", "get"), (CASE + "/evidence", "get"),
              (CASE + "/tokens", "post")]


def _with_lifecycle_links(document: dict) -> dict:
    for (path, method, status), parameters in LIFECYCLE.items():
        links = document["paths"][path][method]["responses"][status].setdefault("links", {})
        for target, target_method in FOLLOW_UPS:
            if target_method in document["paths"].get(target, {}):
                ref = "#/paths/" + target.replace("~", "~0").replace("/", "~1") + "/" + target_method
                links[f"{target_method}-{target}"] = {
                    "operationRef": ref, "parameters": {f"path.{k}": v for k, v in parameters.items()}}
        if (path, method) == (CASE + "/events", "post"):
            links["get-one-event"] = {
                "operationRef": "#/paths/~1v1~1cases~1{case_id}~1events~1{seq}/get",
                "parameters": {"path.case_id": "$request.path.case_id",
                               "path.seq": "$response.body#/event/seq"}}
    return document


def _plausible(context, body):
    """Where the contract is looser than the server, make a valid-by-schema body valid in fact.

    The contract types an amount as any string and a time as any date-time, so almost every
    generated intake is refused (an amount "abc", a withdrawal in the year 9999) and a chain
    would never get past opening its case. Amounts become 1234.50 and times a recent past.
    """
    if isinstance(body, dict):
        return {key: ("1234.50" if key == "amount"
                      else RECENTLY if (key.endswith("_at") or key == "as_of") and isinstance(value, str)
                      else _plausible(context, value))
                for key, value in body.items()}
    if isinstance(body, list):
        return [_plausible(context, item) for item in body]
    return body



def test_chained_operations_answer_as_the_contract_says(fuzz_app, auth):
    stateful = schemathesis.openapi.from_dict(_with_lifecycle_links(json.loads(CONTRACT.read_text())))
    # The case lifecycle only: webhooks and the rest get their share in the test above.
    stateful = stateful.include(path_regex=r"^/v1/cases")
    stateful.app = fuzz_app
    # Valid requests only: a chain starts from a case that was really opened.
    stateful.config.generation.update(modes=[GenerationMode.POSITIVE], with_security_parameters=False)
    stateful.hook("map_body")(_plausible)

    class Workflow(stateful.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": auth}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, additional_checks=additional_checks,
                                   excluded_checks=EXCLUDED, headers=auth)

    Workflow.run(settings=STATEFUL)


# --- what the fuzzer found, pinned ---------------------------------------------------------------


def test_a_405_lists_every_method_the_path_serves(api):
    # Starlette named only the first route matching the path: `Allow: GET` for GET and PATCH.
    response = api.http.request("PUT", f"/v1/cases/{uuid.uuid4()}", headers=api.headers)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PATCH"
    assert api.http.request("PUT", "/v1/webhooks", headers=api.headers).headers["allow"] == "GET, POST"


def test_a_body_that_is_not_utf8_is_a_422_problem_not_an_undocumented_400(api):
    case_id = api.post("/v1/cases", json={
        "platform": {"name": "平台", "kind": "other"}, "amount": "100",
        "withdrawal_requested_at": "2025-01-01T00:00:00+08:00"}).json()["id"]
    response = api.http.patch(f"/v1/cases/{case_id}", content=b"\xffrE7", headers={
        **api.headers, "Content-Type": "application/json", "If-Match": "*"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["code"] == "json_invalid"


def test_what_if_as_of_must_be_a_time_with_an_offset_not_a_number(api):
    response = api.post("/v1/evaluate", json={"as_of": 0, "case": {
        "platform": {"name": "平台", "kind": "other"}, "amount": "100",
        "withdrawal_requested_at": "2025-01-01T00:00:00+08:00"}})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "as_of"
