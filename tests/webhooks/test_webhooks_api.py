"""Webhook subscriptions over HTTP: a secret shown once, others' webhooks 404, unsafe URLs 422."""

import base64
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db.models import WebhookEndpoint
from app.main import create_app
from app.settings import Settings
from tests.conftest import TEST_SECRET_KEY, Api, new_api_key

PROBLEM = "application/problem+json"
KINDS = ["case.status_changed", "case.risk_changed", "case.deadline_approaching"]
# Nothing listens there (port 9 is "discard"), so a stray delivery fails fast instead of hanging.
RECEIVER = "http://127.0.0.1:9/hooks"


def subscribe(api: Api, url: str = RECEIVER, **body):
    return api.post("/v1/webhooks", json={"url": url, **body})


def delete(api: Api, path: str):
    return api.http.delete(path, headers=api.headers)


def endpoint_row(app, webhook_id: str) -> dict:
    with app.state.sessions() as session:
        row = session.execute(select(WebhookEndpoint.__table__)
                              .where(WebhookEndpoint.id == uuid.UUID(webhook_id))).mappings().one()
        return dict(row)


def assert_names_field(response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    named = {problem.get("field")} | {e["field"].split(".")[0] for e in problem.get("errors") or []}
    assert field in named, problem
    assert field in problem["detail"]


def test_subscribe_shows_the_secret_once_and_stores_it_encrypted(app, api):
    response = subscribe(api, events=["case.status_changed"])
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"/v1/webhooks/{created['id']}"
    assert created["url"] == RECEIVER and created["events"] == ["case.status_changed"]
    assert created["disabled_at"] is None and created["disabled_reason"] is None
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32

    shown = api.get(f"/v1/webhooks/{created['id']}")
    assert shown.status_code == 200
    assert "secret" not in shown.json() and secret not in shown.text
    listed = api.get("/v1/webhooks")
    assert listed.status_code == 200 and secret not in listed.text
    assert [w["id"] for w in listed.json()["items"]] == [created["id"]]
    assert all("secret" not in w for w in listed.json()["items"])

    row = endpoint_row(app, created["id"])
    for column, value in row.items():
        assert secret not in str(value), f"the plaintext secret is stored in webhook_endpoint.{column}"
        assert secret.removeprefix("whsec_") not in str(value), column
    assert row["secret_encrypted"]


def test_each_subscription_has_its_own_secret_and_all_kinds_by_default(api):
    first, second = subscribe(api).json(), subscribe(api).json()
    assert first["secret"] != second["secret"]
    assert sorted(first["events"]) == sorted(KINDS)


def test_delete_stops_the_subscription(api):
    webhook = subscribe(api).json()
    assert delete(api, f"/v1/webhooks/{webhook['id']}").status_code == 204
    assert api.get(f"/v1/webhooks/{webhook['id']}").status_code == 404
    assert api.get(f"/v1/webhooks/{webhook['id']}/deliveries").status_code == 404
    assert api.get("/v1/webhooks").json()["items"] == []
    assert delete(api, f"/v1/webhooks/{webhook['id']}").status_code == 404


def test_another_clients_webhook_is_404(api, other_api):
    webhook = subscribe(api).json()
    path = f"/v1/webhooks/{webhook['id']}"
    assert other_api.get(path).status_code == 404
    assert other_api.get(f"{path}/deliveries").status_code == 404
    redeliver = other_api.post(f"{path}/deliveries/{webhook['id']}/redeliver")
    assert redeliver.status_code == 404
    assert delete(other_api, path).status_code == 404
    assert other_api.get("/v1/webhooks").json()["items"] == []
    assert api.get(path).status_code == 200  # untouched by the other client's attempts


def test_unknown_delivery_is_404(api):
    webhook = subscribe(api).json()
    response = api.post(f"/v1/webhooks/{webhook['id']}/deliveries/{webhook['id']}/redeliver")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)


def test_webhooks_need_an_api_key(http):
    assert http.get("/v1/webhooks").status_code == 401
    assert http.post("/v1/webhooks", json={"url": RECEIVER}).status_code == 401


@pytest.mark.parametrize("url", [
    "ftp://example.com/hooks",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "http:///no-host",
    "not a url at all",
    "https://user:password@example.com/hooks",
])
def test_url_that_is_not_http_is_422_naming_url(api, url):
    response = subscribe(api, url=url)
    assert_names_field(response, "url")
    assert api.get("/v1/webhooks").json()["items"] == []


@pytest.mark.parametrize("events", [["case.created"], ["case.status_changed", "case.closed"], [],
                                    "case.status_changed"])
def test_events_outside_the_three_kinds_are_422(api, events):
    assert_names_field(subscribe(api, events=events), "events")


def test_unknown_field_is_422(api):
    assert_names_field(subscribe(api, secret="whsec_mine"), "secret")


@pytest.fixture(scope="module")
def guarded_api(database_url) -> Api:
    """The app as deployed: private receiver addresses refused (the shared test app allows them)."""
    guarded = create_app(Settings(database_url=database_url, embedded_worker=False,
                                  secret_key=TEST_SECRET_KEY))
    assert guarded.state.settings.allow_private_webhook_urls is False
    with TestClient(guarded) as client:
        yield Api(client, new_api_key(guarded, "guarded-client"))
    guarded.state.engine.dispose()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hooks",
    "http://localhost/hooks",
    "http://127.1/hooks",
    "http://2130706433/hooks",  # 127.0.0.1 as one number
    "http://0.0.0.0/hooks",
    "http://[::1]/hooks",
    "http://[::ffff:127.0.0.1]/hooks",
    "http://10.1.2.3/hooks",
    "http://172.16.0.9/hooks",
    "https://192.168.1.20/hooks",
    "http://100.64.0.1/hooks",  # carrier-grade NAT
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata, link-local
    "http://[fe80::1]/hooks",
    "http://[fd00::1]/hooks",
    # IPv6 forms that carry an IPv4 address: the IPv4 address is what is checked.
    "http://[64:ff9b::7f00:1]/hooks",  # NAT64 well-known prefix -> 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/hooks",  # NAT64 -> 169.254.169.254
    "http://[64:ff9b:1::a00:1]/hooks",  # NAT64 local-use /96 -> 10.0.0.1
    "http://[64:ff9b:1:7f00:0:100::]/hooks",  # NAT64 local-use /48 -> 127.0.0.1
    "http://[2002:7f00:1::]/hooks",  # 6to4 -> 127.0.0.1
    "http://[2002:c0a8:114::1]/hooks",  # 6to4 -> 192.168.1.20
    "http://[::127.0.0.1]/hooks",  # IPv4-compatible
    "http://[::ffff:0:7f00:1]/hooks",  # IPv4-translated
    "http://[::ffff:10.0.0.1]/hooks",  # IPv4-mapped
])
def test_private_loopback_and_link_local_urls_are_422_unless_allowed(guarded_api, api, url):
    assert_names_field(subscribe(guarded_api, url=url), "url")
    assert guarded_api.get("/v1/webhooks").json()["items"] == []
    # The shared test app turns the setting on, as an on-premises deployment may.
    assert subscribe(api, url=url).status_code == 201


def test_public_address_is_accepted_when_private_ones_are_refused(guarded_api):
    # A literal address: resolving it needs no DNS, so the test does not depend on the network.
    response = subscribe(guarded_api, url="https://93.184.215.14/hooks")
    assert response.status_code == 201, response.text
    assert delete(guarded_api, f"/v1/webhooks/{response.json()['id']}").status_code == 204


def test_a_public_ipv4_inside_nat64_is_accepted(guarded_api):
    response = subscribe(guarded_api, url="https://[64:ff9b::5db8:d70e]/hooks")  # 93.184.215.14
    assert response.status_code == 201, response.text
    assert delete(guarded_api, f"/v1/webhooks/{response.json()['id']}").status_code == 204


@pytest.mark.parametrize("url", ["https://93.184.215.14:8443/hooks", "http://93.184.215.14:22/",
                                 "http://93.184.215.14:6379/"])
def test_ports_other_than_80_and_443_are_422_unless_configured(guarded_api, database_url, url):
    response = subscribe(guarded_api, url=url)
    assert_names_field(response, "url")
    assert "port" in response.json()["detail"]
    port = int(url.split(":")[2].split("/")[0])
    opened = create_app(Settings(database_url=database_url, embedded_worker=False,
                                 secret_key=TEST_SECRET_KEY, webhook_allowed_ports=[443, port]))
    try:
        with TestClient(opened) as client:
            assert subscribe(Api(client, new_api_key(opened, "ports")), url=url).status_code == 201
    finally:
        opened.state.engine.dispose()


def test_a_port_beyond_65535_is_422_naming_url(guarded_api, api):
    for caller in (guarded_api, api):
        response = subscribe(caller, url="http://93.184.215.14:99999/hooks")
        assert_names_field(response, "url")
