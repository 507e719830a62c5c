"""Deliveries under attack: a poisoned URL stalls nobody, and a rebinding name reaches nothing.

The worker resolves a receiver's name once and connects to the address it checked. These tests
give it a resolver of their own (the stand-in for a hostile DNS server: it answers each lookup
as the test says) and receivers on loopback addresses; nothing leaves 127.0.0.0/8.
"""

import ipaddress
import socket
import ssl
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import trustme
from sqlalchemy import select

from app.auth.service import create_client
from app.db.models import WebhookDelivery, WebhookEndpoint
from app.keyring import encrypt
from app.webhooks.secrets import new_signing_secret
from tests.conftest import Api
from tests.support.receiver import running_receiver
from tests.webhooks.test_delivery import (  # noqa: F401 (fixtures)
    STATUS, clock, deliveries, driver, driver_for, hooks, open_case, post, promise, receiver,
)

POISONED = "http://93.184.216.34/\u0001x"  # passed the old guard; httpx refuses to send it


class Resolver:
    """A name server the test controls: `answers` are given in turn, the last one repeatedly."""

    def __init__(self, name: str, *answers: str) -> None:
        self.name, self.answers, self.asked = name, list(answers), 0

    def __call__(self, host, port, *args, **kwargs):
        if host != self.name:
            return socket.getaddrinfo(host, port, *args, **kwargs)
        answer = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        if isinstance(answer, BaseException):
            raise answer
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port))]


def partner(app, http) -> tuple[Api, uuid.UUID]:
    with app.state.write_sessions.begin() as session:
        issued = create_client(session=session, name="guard-test", now=datetime.now(timezone.utc))
    return Api(http, issued.key), issued.client_id


def legacy_endpoint(app, client_id: uuid.UUID, url: str) -> uuid.UUID:
    """A subscription stored before its URL would be refused (the API no longer takes it)."""
    with app.state.write_sessions.begin() as session:
        endpoint = WebhookEndpoint(client_id=client_id, url=url, event_types=[STATUS],
                                   secret_encrypted=encrypt(app.state.settings, new_signing_secret()),
                                   created_at=datetime.now(timezone.utc))
        session.add(endpoint)
        session.flush()
        return endpoint.id


def delivery_rows(app, endpoint_id) -> list[WebhookDelivery]:
    with app.state.sessions() as session:
        return list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)))


def test_a_poisoned_url_is_its_own_failed_attempt_and_others_are_delivered(app, http, api, clock, driver,
                                                                           receiver, hooks):
    attacker, attacker_id = partner(app, http)
    poisoned = legacy_endpoint(app, attacker_id, POISONED)
    try:
        # The attacker's notification is older, so it leads the batch.
        post(attacker, open_case(attacker)["id"], "support_contacted", promise(clock.now + timedelta(days=2)))
        clock.advance(seconds=1)
        hooks(receiver, events=[STATUS])
        victim_case = open_case(api)["id"]
        post(api, victim_case, "support_contacted", promise(clock.now + timedelta(days=2)))

        clock.advance(seconds=1)
        assert driver.deliver() >= 2
        assert receiver.wait_for(lambda r: [m for m in r.of_type(STATUS) if m["data"]["case_id"] == victim_case])

        [stuck] = delivery_rows(app, poisoned)
        assert stuck.status == "pending" and stuck.lease_until is None
        assert stuck.attempt_count == 1 and "not a valid URL" in stuck.last_error
        assert stuck.next_attempt_at > clock.now  # backed off like any failure, not leased forever
    finally:
        with app.state.write_sessions.begin() as session:
            session.get(WebhookEndpoint, poisoned).deleted_at = datetime.now(timezone.utc)


def test_the_api_refuses_the_poisoned_url_and_an_impossible_port(api):
    # The shared test app lets private addresses through: parsing alone refuses these.
    for url, says in ((POISONED, "not a valid URL"), ("http://93.184.216.34:99999/x", "99999")):
        response = api.post("/v1/webhooks", json={"url": url})
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "url" and says in response.json()["detail"]


def test_jobs_left_when_a_batch_is_cut_off_are_released_at_once(app, http, clock, receiver):
    stopper = Resolver("stop.test", KeyboardInterrupt())  # the worker is told to stop mid-call
    cut = driver_for(app, clock, client_options={"resolve": stopper})
    api, client_id = partner(app, http)
    first = legacy_endpoint(app, client_id, f"http://stop.test:{receiver.port}/hooks")
    later = legacy_endpoint(app, client_id, receiver.url)
    try:
        post(api, open_case(api)["id"], "support_contacted", promise(clock.now + timedelta(days=2)))
        clock.advance(seconds=1)
        with pytest.raises(KeyboardInterrupt):
            cut.deliver()
        [left] = delivery_rows(app, later)
        assert left.lease_until is None and left.attempt_count == 0 and left.status == "pending"
        assert receiver.requests == []
    finally:
        cut.http.close()
        with app.state.write_sessions.begin() as session:
            for endpoint_id in (first, later):
                session.get(WebhookEndpoint, endpoint_id).deleted_at = datetime.now(timezone.utc)


def guarded(app, clock, port: int, **client_options):
    """A worker with the guard on, as deployed, that may reach 127.0.0.2 (the "public" receiver)."""
    return driver_for(app, clock, client_options=client_options, allow_private_webhook_urls=False,
                      webhook_allowed_ports=[port], webhook_allowed_networks=[ipaddress.ip_network("127.0.0.2/32")])


@pytest.fixture
def public_and_internal():
    """A receiver on 127.0.0.2 (allowed) and an internal service on 127.0.0.1, same port."""
    with running_receiver(bind="127.0.0.2", url_host="rebind.test") as public:
        with running_receiver(bind="127.0.0.1", port=public.port) as internal:
            yield public, internal


def test_a_rebinding_name_is_connected_to_the_address_that_was_checked(app, api, clock, hooks,
                                                                        public_and_internal):
    public, internal = public_and_internal
    resolver = Resolver("rebind.test", "127.0.0.2", "127.0.0.1")  # harmless first, then internal
    worker = guarded(app, clock, public.port, resolve=resolver)
    try:
        webhook = hooks(public, events=[STATUS])
        internal.secret = public.secret
        case_id = open_case(api)["id"]
        post(api, case_id, "support_contacted", promise(clock.now + timedelta(days=2)))
        clock.advance(seconds=1)
        worker.deliver()
        assert public.wait_for(lambda r: r.of_type(STATUS))
        assert internal.requests == []
        assert resolver.asked == 1  # one lookup per connection: the checked answer is used
        [request] = public.verified
        assert request.headers["host"] == f"rebind.test:{public.port}"

        # The same name answering an internal address first is refused, and nothing is sent.
        refused = Resolver("rebind.test", "127.0.0.1")
        worker.http.close()
        worker = guarded(app, clock, public.port, resolve=refused)
        post(api, open_case(api)["id"], "support_contacted", promise(clock.now + timedelta(days=2)))
        clock.advance(seconds=1)
        worker.deliver()
        assert internal.requests == [] and len(public.requests) == 1
        newest = deliveries(api, webhook["id"])[0]
        assert newest["status"] == "pending"
        assert "non-public address (127.0.0.1)" in newest["attempts"][-1]["error"]
    finally:
        worker.http.close()


def test_https_keeps_the_name_for_sni_and_the_certificate_while_connecting_to_the_checked_address(
        app, api, clock, hooks):
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("hooks.example").configure_cert(server_context)
    names_seen = []
    server_context.sni_callback = lambda _sock, name, _ctx: names_seen.append(name)
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)

    with running_receiver(bind="127.0.0.2", url_host="hooks.example", ssl_context=server_context) as secure:
        worker = guarded(app, clock, secure.port, resolve=Resolver("hooks.example", "127.0.0.2"),
                         verify=client_context)
        try:
            webhook = hooks(secure, events=[STATUS])
            post(api, open_case(api)["id"], "support_contacted", promise(clock.now + timedelta(days=2)))
            clock.advance(seconds=1)
            worker.deliver()
            assert secure.wait_for(lambda r: r.of_type(STATUS)), deliveries(api, webhook["id"])
            assert names_seen and set(names_seen) == {"hooks.example"}
            assert secure.verified[0].headers["host"] == f"hooks.example:{secure.port}"
        finally:
            worker.http.close()
