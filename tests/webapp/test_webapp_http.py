"""The web app over HTTP: served at /app with a strict CSP, labels read from the rules, and a case
token that reaches everything the page needs on its own case and nothing on another."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.webapp.router import CONTENT_SECURITY_POLICY, STATIC_DIR
from tests.support.payloads import event, intake

PAGE_FILES = ["/app/", "/app/app.css", "/app/sw.js", "/app/js/app.js", "/app/i18n/zh-CN.json",
              "/app/manifest.webmanifest", "/app/icon.svg"]


@pytest.mark.parametrize("path", PAGE_FILES)
def test_every_page_file_carries_the_strict_policy(http, path):
    answer = http.get(path)
    assert answer.status_code == 200, path
    policy = dict(part.strip().split(" ", 1) for part in answer.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"


def test_the_page_types_are_what_a_browser_with_nosniff_accepts(http):
    assert http.get("/app/js/app.js").headers["content-type"].startswith("text/javascript")
    assert http.get("/app/app.css").headers["content-type"].startswith("text/css")
    assert http.get("/app/").headers["content-type"].startswith("text/html")


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src"):
            self.found.append("inline <script>")
        if tag == "style" or "style" in attrs:
            self.found.append(f"inline style on <{tag}>")
        if any(name.startswith("on") for name in attrs):
            self.found.append(f"inline handler on <{tag}>")
        for name in ("src", "href"):
            if re.match(r"^(https?:)?//", attrs.get(name) or ""):
                self.found.append(f"another origin: {attrs[name]}")


def test_the_page_has_no_inline_code_and_nothing_from_another_origin():
    scan = _Scan()
    scan.feed((STATIC_DIR / "index.html").read_text(encoding="utf-8"))
    assert scan.found == []
    for script in Path(STATIC_DIR).rglob("*.js"):
        source = script.read_text(encoding="utf-8")
        # Text only ever enters the page as text nodes; nothing is parsed as HTML or evaluated.
        for banned in ("innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function", "http://", "https://"):
            assert banned not in source, f"{script.name}: {banned}"
    assert CONTENT_SECURITY_POLICY.startswith("default-src 'none'")


def test_the_catalogue_gives_the_rules_own_labels_in_both_languages(http, app):
    catalogue = app.state.ruleset.ruleset.catalogue
    zh = http.get("/app/catalogue.json").json()
    en = http.get("/app/catalogue.json", params={"lang": "en"}).json()
    assert zh["locale"] == "zh-CN" and en["locale"] == "en"
    assert zh["statuses"] == {k: v["label"]["zh-CN"] for k, v in catalogue.statuses.items()}
    assert en["risk_levels"]["critical"]["label"] == catalogue.risk_levels["critical"]["label"]["en"]
    assert en["flags"]["R1"]["kind"] == "hard"
    assert http.get("/app/catalogue.json", headers={"Accept-Language": "en"}).json()["locale"] == "en"
    assert http.get("/app/catalogue.json", params={"lang": "fr"}).status_code == 422


def test_the_page_learns_its_languages_from_the_server(http):
    from app.locales import DEFAULT_LOCALE, LOCALES

    answer = http.get("/app/languages.json")
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    body = answer.json()
    assert body["default"] == DEFAULT_LOCALE
    assert [lang["tag"] for lang in body["languages"]] == list(LOCALES)
    for lang in body["languages"]:
        words = http.get(f"/app/i18n/{lang['tag']}.json").json()
        assert (lang["name"], lang["switch_label"]) == (words["language_name"], words["language_switch_label"])
    # No file of the page names a language beyond the default (the words index.html shows before
    # the script runs): they all read this list, so a new language needs none of them changed.
    for name in ("js/app.js", "js/store.js", "sw.js", "index.html"):
        source = (STATIC_DIR / name).read_text(encoding="utf-8")
        for tag in LOCALES:
            if name != "index.html" or tag != DEFAULT_LOCALE:
                assert f'"{tag}"' not in source and f"/{tag}.json" not in source, (name, tag)


def test_the_catalogue_names_every_event_type_from_the_app_texts(http):
    from app.cases.event_data import EVENT_TYPES
    from app.dossier.texts import texts

    for lang in ("zh-CN", "en"):
        names = http.get("/app/catalogue.json", params={"lang": lang}).json()["event_types"]
        assert names == dict(texts(lang)["event_types"]) and set(names) == set(EVENT_TYPES)
        assert next(iter(names)) == "notice_posted"  # the menu's order is the file's


def test_both_label_files_name_the_same_things():
    import json

    zh = json.loads((STATIC_DIR / "i18n" / "zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((STATIC_DIR / "i18n" / "en.json").read_text(encoding="utf-8"))

    def keys(tree, prefix=""):
        return {f"{prefix}{k}" for k in tree} | {
            key for k, v in tree.items() if isinstance(v, dict) for key in keys(v, f"{prefix}{k}.")}

    assert keys(zh) == keys(en)


def test_the_api_describes_every_event_type_the_page_builds_forms_from(http):
    from app.cases.event_data import EVENT_TYPES

    spec = http.get("/openapi.json").json()
    body = spec["paths"]["/v1/cases/{case_id}/events"]["post"]["requestBody"]["content"]["application/json"]
    described = {spec["components"]["schemas"][ref["$ref"].split("/")[-1]]["properties"]["type"]["const"]
                 for ref in body["schema"]["oneOf"]}
    assert described == set(EVENT_TYPES)
    assert "multipart/form-data" in spec["paths"]["/v1/cases/{case_id}/evidence"]["post"]["requestBody"]["content"]


def test_a_case_token_does_all_the_page_does_on_its_own_case_only(http, api):
    mine = api.post("/v1/cases", params={"issue_token": "true"}, json=intake()).json()
    other = api.post("/v1/cases", json=intake()).json()["id"]
    phone = {"Authorization": f"Bearer {mine['case_token']['token']}"}
    case_id = mine["id"]

    read = http.get(f"/v1/cases/{case_id}", params={"upcoming": "true"}, headers=phone)
    assert read.status_code == 200 and "upcoming" in read.json()
    posted = http.post(f"/v1/cases/{case_id}/events", headers=phone, json=event("fee_demanded", {"fee_kind": "unfreeze"}))
    assert posted.status_code == 201, posted.text
    dossier = http.get(f"/v1/cases/{case_id}/dossier", headers=phone)
    assert dossier.status_code == 200, dossier.text
    assert dossier.headers["content-type"] == "application/pdf" and dossier.content.startswith(b"%PDF-")

    for method, url in [("GET", f"/v1/cases/{other}"), ("GET", f"/v1/cases/{other}?upcoming=true"),
                        ("GET", f"/v1/cases/{other}/dossier"), ("GET", f"/v1/cases/{other}/evidence")]:
        assert http.request(method, url, headers=phone).status_code == 404, url
    refused = http.post(f"/v1/cases/{other}/evidence", headers=phone,
                        files={"file": ("a.txt", b"hello", "text/plain")},
                        data={"kind": "other", "captured_at": "2026-11-20T10:00:00+08:00"})
    assert refused.status_code == 404
