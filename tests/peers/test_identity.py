"""Platform identity: the spellings users type for one platform give one key; app ids and domains are checked."""

import pytest

from app.peers.identity import normalize_app_id, normalize_domain, platform_keys
from tests.support.payloads import intake

SAME_PLATFORM = [
    "鑫盛理财",
    "鑫盛理财 ",            # trailing space
    "  鑫盛理财\u3000",     # full-width space
    "鑫盛理财APP",
    "鑫盛理财App",
    "鑫盛理财ａｐｐ",        # full-width letters
    "鑫盛 · 理财！",         # spaces and punctuation, full- and half-width
    "「鑫盛理财」",
]


@pytest.mark.parametrize("spelling", SAME_PLATFORM)
def test_variants_of_one_name_make_one_key(spelling):
    assert platform_keys(spelling) == ["name:鑫盛理财"]


def test_latin_names_fold_case_and_width_but_keep_their_words():
    assert platform_keys("ＰａｙＰａｌ") == platform_keys("paypal ") == platform_keys("PAY-PAL") == ["name:paypal"]
    # "app" is dropped only after a Chinese name: "WhatsApp" stays itself.
    assert platform_keys("WhatsApp") == ["name:whatsapp"]
    assert platform_keys("鑫盛理财") != platform_keys("鑫盛财富")


def test_app_id_and_domain_make_keys_of_their_own():
    assert platform_keys("鑫盛理财", " Com.XinSheng.Licai ", "X.com") == [
        "name:鑫盛理财", "app:com.xinsheng.licai", "domain:x.com"]
    assert normalize_domain("WWW.XinSheng.COM.") == "xinsheng.com"
    assert normalize_domain("ｘｉｎｓｈｅｎｇ．ｃｏｍ") == "xinsheng.com"
    assert normalize_domain("鑫盛.中国") == normalize_domain("鑫盛.中国.")
    assert normalize_domain("www.com") == "www.com"


@pytest.mark.parametrize("bad", ["https://xinsheng.com/app", "xinsheng", "xin sheng.com", "-x.com", "x" * 300])
def test_a_domain_is_a_host_name_only(bad):
    with pytest.raises(ValueError):
        normalize_domain(bad)


@pytest.mark.parametrize("bad", ["a", "com.x/../y", "com x", "应用", "-com.x"])
def test_an_app_id_is_a_package_or_bundle_id(bad):
    with pytest.raises(ValueError):
        normalize_app_id(bad)


def test_intake_refuses_a_bad_domain_naming_the_field(new_partner):
    api = new_partner()
    body = intake(platform={"name": "鑫盛理财", "kind": "lending", "domain": "https://xinsheng.com/x"})
    r = api.post("/v1/cases", json=body)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "domain" in r.text


def test_intake_stores_app_id_and_domain_normalized(new_partner):
    api = new_partner()
    body = intake(platform={"name": "鑫盛理财", "kind": "lending", "app_id": "Com.XinSheng.Licai",
                            "domain": "WWW.XinSheng.com"})
    r = api.post("/v1/cases", json=body)
    assert r.status_code == 201, r.text
