"""The regulator route over HTTP: every evaluation names the body the route rules chose (FACTS B3)."""

import pytest

from tests.support.payloads import ago, event, intake


@pytest.mark.parametrize(("kind", "licensed", "body", "hotline", "clocks"), [
    ("insurance_intermediary", True, "nfra", "12378", True),
    ("consumer_finance", True, "nfra", "12378", True),
    ("payment", True, "pboc", "12363", False),
    ("broker", True, "csrc", "12386", False),
    ("other", None, "market", "12315", False),
    ("gaming", None, "police", "110", False),
])
def test_the_case_names_its_regulator_and_whether_the_clocks_bind(api, kind, licensed, body, hotline, clocks):
    created = api.post("/v1/cases", json=intake(platform={"name": "某平台", "kind": kind, "licensed": licensed}))
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    appended = api.post(f"/v1/cases/{case_id}/events",
                        json=event("complaint_filed", {"authority": "platform"}, occurred_at=ago(hours=1)))
    assert appended.status_code == 201, appended.text
    evaluation = appended.json()["evaluation"]
    route = evaluation["regulator"]
    assert (route["body"], route["hotline"], route["statutory_clocks"]) == (body, hotline, clocks)
    assert route["because"]["rule"].startswith("route.") and route["because"]["reason"]
    assert ("firm_decision" in {d["kind"] for d in evaluation["deadlines"]}) is clocks
    english = api.get(f"/v1/cases/{case_id}", headers={"Accept-Language": "en"}).json()["evaluation"]
    assert english["regulator"]["name"] != route["name"] and hotline in english["regulator"]["hotline_name"]


def test_the_complaint_advice_names_the_routed_body(api):
    created = api.post("/v1/cases", json=intake(
        platform={"name": "易付通钱包", "kind": "payment", "licensed": True},
        withdrawal_requested_at=ago(days=30)))
    case_id = created.json()["id"]
    evaluation = api.post(f"/v1/cases/{case_id}/events", json=event(
        "support_contacted", {"channel": "phone", "explanation_kind": "none"}, occurred_at=ago(days=20))).json()
    evaluation = api.post(f"/v1/cases/{case_id}/events", json=event(
        "support_contacted", {"channel": "phone", "explanation_kind": "none"}, occurred_at=ago(days=10))
    ).json()["evaluation"]
    advice = {a["action"]: a for a in evaluation["next_actions"]}
    detail = advice["escalate.regulator_complaint"]["detail"]
    assert "中国人民银行" in detail and "12363" in detail and "12378" not in detail and "{" not in detail
