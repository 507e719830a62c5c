"""Rules over HTTP: the loaded ruleset and the action catalogue, localized."""

from app.evaluation import load_ruleset
from app.settings import PROJECT_ROOT


def test_rules_lists_every_loaded_rule_with_sources_version_and_hash(api):
    body = api.get("/v1/rules").json()
    ruleset = load_ruleset(PROJECT_ROOT / "rules")
    assert body["version"] == ruleset.version and body["hash"] == ruleset.hash
    assert [r["id"] for r in body["rules"]] == [r.id for r in ruleset.rules]
    assert all(r["sources"] for r in body["rules"])
    read_notice = next(r for r in body["rules"] if r["id"] == "action.verify.read_notice")
    assert read_notice["guide_steps"] == [1]
    assert read_notice["outputs"]["recommend"] == "verify.read_notice"
    assert body["parameters"]["escalate_after_days_without_payout"] == 14


def test_rules_explanations_follow_accept_language(api):
    zh = api.get("/v1/rules").json()
    en = api.get("/v1/rules", headers={"Accept-Language": "en"}).json()
    assert zh["locale"] == "zh-CN" and en["locale"] == "en"
    assert zh["rules"][0]["explain"] != en["rules"][0]["explain"]


def test_actions_catalogue_covers_the_guide_and_the_fraud_track(api):
    items = {a["action"]: a for a in api.get("/v1/actions", headers={"Accept-Language": "en"}).json()["items"]}
    for action in ("verify.read_notice", "evidence.capture_notice", "communicate.get_written_date",
                   "follow_up.chase_deadline", "escalate.regulator_complaint", "fraud.report_police",
                   "fraud.stop_payments", "close.confirm_receipt"):
        assert action in items
    assert items["verify.read_notice"]["guide_step"] == 1
    assert items["verify.read_notice"]["guide_step_title"]
    assert items["fraud.report_police"]["guide_step"] is None


def test_rules_and_actions_need_a_key(http):
    assert http.get("/v1/rules").status_code == 401
    assert http.get("/v1/actions").status_code == 401
