"""Rules texts: one name for each thing, no internal words, in every text a user can read.

Checked on the texts as users get them: rule explanations after their parameters are filled in,
and catalogue texts rendered for every regulator the route rules can choose (and for none).
"""

import re

import pytest

from app.evaluation import load_ruleset
from app.evaluation.catalogue import NO_ROUTE, render
from app.evaluation.model import REGULATOR_BODIES
from app.locales import LOCALES
from app.settings import PROJECT_ROOT

RULESET = load_ruleset(PROJECT_ROOT / "rules")
CATALOGUE = RULESET.catalogue

# Numbers named in full where a text first mentions them (titles are too short for it).
FULL_NAMES = {
    "zh-CN": {"12378": "12378银行保险消费者投诉维权热线", "96110": "96110反诈预警劝阻咨询电话"},
    "en": {"12378": "12378 banking and insurance consumer complaint hotline",
           "96110": "96110 anti-fraud warning and advice line"},
}


def _texts(locale: str) -> list[tuple[str, str, bool]]:
    """(where, text, is_title) for every user text in `locale`."""
    out = [(f"rule {r.id}", r.explain[locale], False) for r in RULESET.rules]
    for body in (*REGULATOR_BODIES, NO_ROUTE):
        for spec in CATALOGUE.actions.values():
            out.append((f"action {spec.id} ({body})", render(spec.title[locale], CATALOGUE, body, locale), True))
            out.append((f"action {spec.id} ({body})", render(spec.detail[locale], CATALOGUE, body, locale), False))
    for flag, entry in CATALOGUE.flags.items():
        out += [(f"flag {flag}", entry["title"][locale], True), (f"flag {flag}", entry["detail"][locale], False)]
    for body, entry in CATALOGUE.regulators.items():
        out += [(f"regulator {body}", entry[name][locale], False) for name in ("name", "hotline_name", "site", "how")]
    return out


@pytest.mark.parametrize("locale", LOCALES)
def test_no_internal_words_or_unfilled_placeholders(locale):
    for where, text, _ in _texts(locale):
        assert "设定天数" not in text and "{param" not in text and "{regulator_" not in text, where


def test_the_day_count_is_said_as_a_number():
    rule = RULESET.rule("action.escalate.regulator.days_without_payout")
    days = int(RULESET.parameters["escalate_after_days_without_payout"])
    assert f"{days}天" in rule.explain["zh-CN"] and f"{days} days" in rule.explain["en"]


def test_chinese_texts_use_chinese_quotation_marks_app_and_hecha():
    for where, text, _ in _texts("zh-CN"):
        assert '"' not in text, f"{where}: ASCII quotes in Chinese text: {text}"
        assert all(word == "App" for word in re.findall(r"(?i)app", text)), f"{where}: {text}"
        # The regulation's word for the superior's review is 核查 (答复核查 is 答复 + 核查).
        assert not re.search(r"(?<!答)复核", text), f"{where}: {text}"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("number", ["12378", "96110"])
def test_hotlines_are_named_in_full_at_their_first_mention(locale, number):
    full = FULL_NAMES[locale][number]
    for where, text, is_title in _texts(locale):
        if number in text and not is_title:
            first = text.index(number)
            assert text[first:first + len(full)] == full, f"{where}: {text}"


@pytest.mark.parametrize("body", REGULATOR_BODIES)
def test_the_complaint_text_names_the_routed_body_and_its_number(body):
    entry = CATALOGUE.regulators[body]
    for locale in LOCALES:
        text = render(CATALOGUE.actions["escalate.regulator_complaint"].detail[locale], CATALOGUE, body, locale)
        assert entry["name"][locale] in text and entry["hotline"] in text
        others = [CATALOGUE.regulators[b]["hotline"] for b in REGULATOR_BODIES if b != body]
        assert not [n for n in others if n in text and n not in entry["hotline_name"][locale]], text


def test_the_complaint_materials_include_registration_and_own_account_details():
    detail = CATALOGUE.actions["escalate.regulator_complaint"].detail
    for word in ("注册名称", "统一社会信用代码", "保单号", "账户"):
        assert word in detail["zh-CN"], word
    for word in ("registered name", "licence number", "policy", "account"):
        assert word in detail["en"], word


def test_the_small_claims_hint_states_the_rule_not_a_dated_figure():
    detail = CATALOGUE.actions["escalate.small_claims"].detail
    assert "50%" in detail["zh-CN"] and "50%" in detail["en"]
    for text in detail.values():
        assert not re.search(r"20\d\d|\d{2},\d{3}", text), text
