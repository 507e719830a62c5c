"""Peer signals over HTTP: two clients' cases make a signal a third client sees only above the thresholds.

Defaults: k = 5 cases, m = 2 clients. No client counts for more than all the others together,
so one client flooding a platform shows nothing, and nothing ever names another case.
"""

import json
import uuid

from sqlalchemy import func, select

from app.db.models import PeerCount, PeerMark
from tests.conftest import Api
from tests.support.payloads import ahead, event, intake


def open_case(api: Api, platform: str, *, fee: bool = False, **platform_extra) -> str:
    body = intake(platform={"name": platform, "kind": "lending", "app_source": "official_store",
                            **platform_extra})
    r = api.post("/v1/cases", json=body)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    if fee:
        post(api, case_id, event("fee_demanded", {"fee_kind": "unfreeze"}))
    return case_id


def post(api: Api, case_id: str, body: dict) -> dict:
    r = api.post(f"/v1/cases/{case_id}/events", json=body)
    assert r.status_code == 201, r.text
    return r.json()["evaluation"]


def signals(api: Api, **query) -> dict:
    r = api.get("/v1/platforms/signals", params=query)
    assert r.status_code == 200, r.text
    return r.json()


def test_two_clients_make_a_signal_a_third_sees_only_above_the_thresholds(new_partner, platform):
    first, second, third = new_partner(), new_partner(), new_partner()
    ids = [open_case(first, platform, fee=True) for _ in range(3)]
    ids += [open_case(second, platform, fee=True) for _ in range(2)]
    # 5 cases from 2 clients, but the first counts for no more than the second: 2 + 2 < 5.
    seen = signals(third, name=platform)
    assert seen["enabled"] and not seen["shown"]
    assert seen["fee_demands"] is None and seen["cases_stuck"] is None and seen["clients"] is None

    ids.append(open_case(second, platform, fee=True))
    seen = signals(third, name=platform + " APP")  # another spelling of the same platform
    assert seen["shown"]
    assert seen["fee_demands"] == "5–9" and seen["hard_flags"] == "5–9" and seen["cases_stuck"] == "5–9"
    assert seen["clients"] == "2–9" and seen["paid_out"] is None and seen["window_days"] == 30

    # The third client's own new case on that platform: a soft flag, advice to pay nothing, and a
    # reason that says "peer signal" with the bucket, never another case.
    r = third.post("/v1/cases", json=intake(platform={"name": platform.upper(), "kind": "lending",
                                                      "app_source": "official_store"}))
    assert r.status_code == 201, r.text
    evaluation = r.json()["evaluation"]
    assert "S9" in evaluation["flags"] and evaluation["track"] == "dispute"
    assert evaluation["risk_level"] in ("medium", "high")
    advice = {a["action"]: a for a in evaluation["next_actions"]}
    assert advice["verify.peer_fee_reports"]["because"]["peer_signal"] == {"fee_demands": "5–9", "hard_flags": "5–9"}
    assert advice["verify.peer_fee_reports"]["because"]["events"] == []
    assert evaluation["peers"]["fee_demands"] == "5–9"
    text = json.dumps(r.json())
    assert not any(case_id in text for case_id in ids)
    # Read later, the case is evaluated again with the snapshot it recorded: the same signal.
    later = third.get(f"/v1/cases/{r.json()['id']}", params={"as_of": ahead(days=2)}).json()["evaluation"]
    assert "S9" in later["flags"] and later["peers"] == evaluation["peers"]


def test_a_case_is_not_counted_toward_its_own_signal(new_partner, platform):
    first, second, third = new_partner(), new_partner(), new_partner()
    [open_case(first, platform, fee=True) for _ in range(3)]
    mine = [open_case(second, platform, fee=True) for _ in range(3)]
    assert signals(third, name=platform)["fee_demands"] == "5–9"  # 3 + 3
    # Seen from one of the second client's cases, the others are 3 + 2: below k.
    evaluation = post(second, mine[0], event("note_added", {"text": "客服说还在审核。"}))
    assert "S9" not in evaluation["flags"]
    assert evaluation["peers"]["fee_demands"] is None


def test_one_client_flooding_a_platform_shows_nothing(new_partner, platform):
    flooder, other = new_partner(), new_partner()
    for _ in range(12):
        open_case(flooder, platform, fee=True)
    assert signals(other, name=platform)["shown"] is False
    r = other.post("/v1/cases", json=intake(platform={"name": platform, "kind": "lending",
                                                      "app_source": "official_store"}))
    assert "S9" not in r.json()["evaluation"]["flags"]
    assert "verify.peer_fee_reports" not in [a["action"] for a in r.json()["evaluation"]["next_actions"]]


def test_app_id_and_domain_find_the_platform_too(new_partner, platform):
    a, b, asker = new_partner(), new_partner(), new_partner()
    for api in (a, a, a, b, b, b):
        open_case(api, platform, app_id="com.peer.test", domain="peer-test.example.com")
    assert signals(asker, app_id="COM.peer.test")["cases_stuck"] == "5–9"
    assert signals(asker, domain="www.peer-test.example.com")["cases_stuck"] == "5–9"
    assert signals(asker, domain="other.example.com")["shown"] is False


def test_a_resolved_case_leaves_stuck_and_counts_as_paid_out(new_partner, platform, peer_app):
    a, b = new_partner(), new_partner()
    cases = [(api, open_case(api, platform)) for api in (a, a, a, b, b, b)]

    def count(signal):
        with peer_app.state.sessions() as session:
            return session.scalar(select(func.coalesce(func.sum(PeerCount.cases), 0)).where(
                PeerCount.platform_key == f"name:{platform}", PeerCount.signal == signal))

    assert (count("stuck"), count("paid_out")) == (6, 0)
    api, case_id = cases[0]
    evaluation = post(api, case_id, event("funds_received", {"amount": "30000.00"}))
    assert evaluation["status"] == "resolved" and evaluation["peer_contribution"] == ["paid_out"]
    assert (count("stuck"), count("paid_out")) == (5, 1)
    with peer_app.state.sessions() as session:
        assert set(session.get(PeerMark, uuid.UUID(case_id)).signals) == {"paid_out"}
    # Posting more to a case whose contribution does not change writes no counter.
    post(api, cases[1][1], event("note_added", {"text": "客服说还在审核。"}))
    assert (count("stuck"), count("paid_out")) == (5, 1)


def test_case_tokens_may_not_ask_and_a_platform_must_be_named(new_partner, platform):
    api = new_partner()
    r = api.post("/v1/cases?issue_token=true", json=intake(platform={"name": platform, "kind": "lending"}))
    token = r.json()["case_token"]["token"]
    r = api.http.get("/v1/platforms/signals", params={"name": platform},
                     headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    r = api.get("/v1/platforms/signals")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "name" in r.text
    r = api.get("/v1/platforms/signals", params={"domain": "not a domain"})
    assert r.status_code == 422 and "domain" in r.text
    r = api.get("/v1/platforms/signals", params={"name": "x" * 201})
    assert r.status_code == 422
