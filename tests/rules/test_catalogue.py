"""Checks on the user-facing text catalogue: rules/catalogue/actions.yaml with its texts from rules/locales/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from app.evaluation.texts import load_texts, localize_catalogue
from app.locales import LOCALES

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "rules" / "catalogue" / "actions.yaml"

# DESIGN.md section 1 (both tables) plus the extra actions the rules need.
DESIGN_ACTIONS = [
    "verify.read_notice",
    "verify.check_regulator",
    "verify.check_peers",
    "verify.check_license",
    "evidence.capture_notice",
    "evidence.keep_communications",
    "communicate.ask_details",
    "communicate.get_written_date",
    "communicate.state_urgency",
    "follow_up.chase_deadline",
    "follow_up.log_contact",
    "escalate.regulator_complaint",
    "escalate.industry_mediation",
    "escalate.legal_consultation",
    "fraud.report_police",
    "fraud.stop_payments",
    "fraud.ignore_recovery_offers",
    "fraud.consult_96110",
    "fraud.pause_deposits",
    "evidence.preserve_transfer_records",
    "close.confirm_receipt",
]
EXTRA_ACTIONS = [
    "escalate.superior_review",
    "escalate.chase_regulator",
    "escalate.small_claims",
    "escalate.limitation_warning",
    "fraud.betting_warning",
    "fraud.agent_warning",
    "fraud.report_illegal_fundraising",
    "complaint.request_decision_details",
    "close.keep_records",
]
NAMED_FLAGS = [
    "vague_notice",
    "inconsistent_explanations",
    "platform_only_outage",
    "promise_broken",
    "notice_tampered",
    "evidence_missing",
    "details_refused",
    "promise_not_in_writing",
]
RED_FLAGS = [f"R{i}" for i in range(1, 9)] + [f"S{i}" for i in range(1, 8)]
STATUSES = [
    "new", "verifying", "negotiating", "awaiting_platform", "overdue",
    "escalated_regulator", "mediation", "escalated_legal", "fraud_suspected",
    "reported_to_police", "resolved", "closed",
]
RISK_LEVELS = ["low", "medium", "high", "critical"]
TRACKS = {"dispute", "fraud", "any"}
GUIDE_SECTIONS = {
    "guide.1.1", "guide.1.2", "guide.2.1", "guide.2.2", "guide.3.1",
    "guide.3.2", "guide.4.1", "guide.4.2", "guide.5.1", "guide.5.2",
}
FACT_ID = re.compile(r"^(B1\.\d+|B2\.\d+|B3\.\d+|R[1-8]|S[1-7])$")

# Page furniture from the seed (an "advisor" contact card): must never appear.
# Built from pieces so this file does not contain the strings either.
FORBIDDEN = ["1536" + "7097422", "\u7f57" + "\u7ecf\u7406", "\u5e0c" + "\u8d22"]

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Any CJK ideograph, CJK punctuation or full-width form is out of place in English text.
CJK_ANY = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")

TITLE_MAX = {"zh-CN": 20, "en": 60}


@pytest.fixture(scope="module")
def catalogue() -> dict:
    with CATALOGUE.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict)
    return localize_catalogue(data, load_texts(ROOT / "rules"))


def _texts(node, path=""):
    """Yield (path, locale, text) for every localized {zh-CN, en} mapping."""
    if isinstance(node, dict):
        if set(node) == set(LOCALES):
            for loc in LOCALES:
                yield path, loc, node[loc]
            return
        for key, value in node.items():
            yield from _texts(value, f"{path}.{key}" if path else str(key))


def _assert_localized(entry: dict, key: str, where: str) -> None:
    value = entry.get(key)
    assert isinstance(value, dict), f"{where}: {key} missing"
    for loc in LOCALES:
        text = value.get(loc)
        assert isinstance(text, str) and text.strip(), f"{where}: {key}.{loc} empty"


def _assert_sources(entry: dict, where: str) -> None:
    sources = entry.get("sources")
    assert isinstance(sources, list) and sources, f"{where}: sources missing"
    for src in sources:
        assert src in GUIDE_SECTIONS or FACT_ID.match(str(src)), f"{where}: bad source {src!r}"


@pytest.mark.parametrize("action_id", DESIGN_ACTIONS + EXTRA_ACTIONS)
def test_action_present_and_complete(catalogue, action_id):
    actions = catalogue["actions"]
    assert action_id in actions, f"action {action_id} missing"
    entry = actions[action_id]
    _assert_localized(entry, "title", action_id)
    _assert_localized(entry, "detail", action_id)
    _assert_sources(entry, action_id)


def test_every_action_well_formed(catalogue):
    for action_id, entry in catalogue["actions"].items():
        assert re.match(r"^[a-z_]+\.[a-z0-9_]+$", action_id), action_id
        assert "guide_step" in entry, f"{action_id}: guide_step key missing"
        step = entry["guide_step"]
        assert step is None or (isinstance(step, int) and 1 <= step <= 5), f"{action_id}: guide_step {step!r}"
        assert entry.get("track") in TRACKS, f"{action_id}: track {entry.get('track')!r}"
        _assert_localized(entry, "title", action_id)
        _assert_localized(entry, "detail", action_id)
        _assert_sources(entry, action_id)


def test_guide_actions_cite_their_step(catalogue):
    """Actions taken straight from the guide's table cite a section of their own step."""
    for action_id in DESIGN_ACTIONS:
        entry = catalogue["actions"][action_id]
        step = entry["guide_step"]
        if step is None:
            continue
        assert f"guide.{step}." in " ".join(entry["sources"]), action_id


@pytest.mark.parametrize("flag", NAMED_FLAGS + RED_FLAGS)
def test_flag_present_and_complete(catalogue, flag):
    flags = catalogue["flags"]
    assert flag in flags, f"flag {flag} missing"
    entry = flags[flag]
    _assert_localized(entry, "title", flag)
    _assert_localized(entry, "detail", flag)
    _assert_sources(entry, flag)


def test_red_flags_cite_themselves(catalogue):
    for flag in RED_FLAGS:
        assert flag in catalogue["flags"][flag]["sources"], flag


def test_the_recovery_lure_flag_is_red_and_cites_b2_15(catalogue):
    entry = catalogue["flags"]["S8"]
    assert entry["kind"] == "soft" and "B2.15" in entry["sources"]
    _assert_localized(entry, "title", "S8")
    _assert_sources(entry, "S8")


def test_the_recovery_warning_names_free_offers_private_chats_screen_sharing_and_deposits(catalogue):
    detail = catalogue["actions"]["fraud.ignore_recovery_offers"]["detail"]
    for word in ("免费", "私聊", "共享屏幕", "保证金"):
        assert word in detail["zh-CN"], word
    for word in ("free", "private chat", "share your screen", "deposit"):
        assert word in detail["en"], word


REGULATOR_HOTLINES = {"nfra": "12378", "pboc": "12363", "csrc": "12386", "police": "110", "market": "12315"}


@pytest.mark.parametrize("body", sorted(REGULATOR_HOTLINES))
def test_every_regulator_has_its_hotline_and_names_in_both_languages(catalogue, body):
    entry = catalogue["regulators"][body]
    assert entry["hotline"] == REGULATOR_HOTLINES[body]
    _assert_localized(entry, "name", body)
    _assert_localized(entry, "hotline_name", body)
    for loc in LOCALES:
        assert REGULATOR_HOTLINES[body] in entry["hotline_name"][loc]


@pytest.mark.parametrize("status", STATUSES)
def test_status_has_label(catalogue, status):
    assert status in catalogue["statuses"], f"status {status} missing"
    _assert_localized(catalogue["statuses"][status], "label", status)


def test_risk_levels_and_guide_steps(catalogue):
    for level in RISK_LEVELS:
        assert level in catalogue["risk_levels"], level
        _assert_localized(catalogue["risk_levels"][level], "label", level)
    assert sorted(catalogue["guide_steps"]) == [1, 2, 3, 4, 5]
    for step, entry in catalogue["guide_steps"].items():
        _assert_localized(entry, "title", f"guide step {step}")


def test_languages_are_what_they_claim(catalogue):
    texts = list(_texts(catalogue))
    assert len(texts) > 100
    for path, loc, text in texts:
        if loc == "zh-CN":
            assert CJK.search(text), f"{path}.zh-CN has no Chinese: {text!r}"
        else:
            hit = CJK_ANY.search(text)
            assert hit is None, f"{path}.en contains {hit.group()!r}: {text!r}"


def test_title_lengths(catalogue):
    for path, loc, text in _texts(catalogue):
        if path.endswith(".title") or path.endswith(".label"):
            assert len(text) <= TITLE_MAX[loc], f"{path}.{loc} too long ({len(text)}): {text!r}"


def test_details_are_short(catalogue):
    """Details are one to three sentences."""
    for path, loc, text in _texts(catalogue):
        if not path.endswith(".detail"):
            continue
        ends = re.findall(r"[。！？]" if loc == "zh-CN" else r"[.!?](?:\s|$)", text)
        assert 1 <= len(ends) <= 3, f"{path}.{loc}: {len(ends)} sentences"


TEXT_FILES = [ROOT / "rules" / "locales" / f"{loc}.yaml" for loc in LOCALES]


@pytest.mark.parametrize("path", [CATALOGUE, *TEXT_FILES, Path(__file__)],
                         ids=["catalogue", *LOCALES, "this_test"])
def test_no_seed_contact_card(path):
    content = path.read_text(encoding="utf-8")
    for bad in FORBIDDEN:
        assert bad not in content, f"{path.name} contains forbidden page furniture"
