"""The web app as the person who is stuck uses it: a phone-sized Chromium, a live server, a real database."""

import hashlib
import json
from datetime import datetime, timedelta, timezone
import shutil
import subprocess

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, Live, PhoneCase, open_case
from tests.support.evidence import png_bytes
from tests.support.payloads import event

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def later(**kw) -> str:
    return (datetime.now(timezone.utc) + timedelta(**kw)).isoformat()


class Screen:
    """One page of the app, with what the browser complained about while it ran."""

    def __init__(self, context, case: PhoneCase, live: Live) -> None:
        self.page = context.new_page()
        self.case, self.live = case, live
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(m.text))
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))

    def open(self, url: str | None = None) -> "Screen":
        self.page.goto(url or self.case.link)
        self.page.wait_for_selector("body[data-ready=true]")
        return self

    def reload(self) -> "Screen":
        self.page.reload()
        self.page.wait_for_selector("body[data-ready=true]")
        return self

    def wait_for_service_worker(self, attempts: int = 200) -> None:
        # Polled from Python: wait_for_function would evaluate a string in the page, which the
        # page's own CSP (no 'unsafe-eval') refuses.
        for _ in range(attempts):
            if self.page.evaluate("navigator.serviceWorker.controller !== null"):
                return
            self.page.wait_for_timeout(50)
        raise AssertionError("the service worker never took control of the page")

    def show(self, element_id: str) -> None:
        """Scroll as a reader would, honouring the sticky bar (scroll-margin)."""
        self.page.evaluate("id => document.getElementById(id).scrollIntoView()", element_id)

    def text(self, selector: str) -> str:
        return self.page.inner_text(selector).strip()

    def csp_violations(self) -> list[str]:
        return [p for p in self.problems if "Content Security Policy" in p]


def labels(live: Live, lang: str = "zh-CN") -> dict:
    return httpx.get(f"{live.url}/app/i18n/{lang}.json").json()


def catalogue(live: Live, lang: str = "zh-CN") -> dict:
    return httpx.get(f"{live.url}/app/catalogue.json", params={"lang": lang}).json()


def read_case(live: Live, case: PhoneCase, lang: str = "zh-CN") -> dict:
    with live.partner() as partner:
        answer = partner.get(f"/v1/cases/{case.id}", params={"upcoming": "true"},
                             headers={"Accept-Language": lang})
    assert answer.status_code == 200, answer.text
    return answer.json()


def events(live: Live, case: PhoneCase) -> list[dict]:
    with live.partner() as partner:
        return partner.get(f"/v1/cases/{case.id}/events").json()["items"]


def promised_case(live: Live) -> PhoneCase:
    """A case waiting on a dated promise: it has actions, deadlines and an upcoming change."""
    case = open_case(live)
    with live.partner() as partner:
        posted = partner.post(f"/v1/cases/{case.id}/events", json=event(
            "support_contacted", {"channel": "phone", "promised_resolution_at": later(days=5)}))
        assert posted.status_code == 201, posted.text
    return case


def test_the_link_shows_status_risk_actions_timeline_and_what_happens_next(phone, live, shot):
    case = promised_case(live)
    screen = Screen(phone, case, live).open()
    page, words, expected = screen.page, catalogue(live), read_case(live, case)

    # The token left the address bar and lives in this tab's session storage only.
    assert page.url == f"{live.url}/app/"
    assert case.token not in page.evaluate("JSON.stringify(history.state) + location.href")
    assert case.token in page.evaluate("JSON.stringify(sessionStorage)")
    assert case.token not in page.evaluate("JSON.stringify(localStorage)")

    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert screen.text("[data-testid=status]") == words["statuses"][expected["status"]]
    assert screen.text("[data-testid=risk]") == words["risk_levels"][expected["risk_level"]]["label"]
    assert page.is_hidden("#fraud-banner")
    shown = page.eval_on_selector_all("#actions-list li", "items => items.map(i => i.dataset.action)")
    assert shown == [a["action"] for a in expected["evaluation"]["next_actions"]]
    first = expected["evaluation"]["next_actions"][0]
    assert first["title"] in screen.text("#actions-list li:first-child")
    assert first["because"]["reason"] in screen.text("#actions-list li:first-child")
    kinds = page.eval_on_selector_all("#deadlines-list li", "items => items.map(i => i.dataset.kind)")
    assert sorted(kinds) == sorted(d["kind"] for d in expected["evaluation"]["deadlines"])
    assert "platform_promise" in kinds
    upcoming = expected["upcoming"]
    assert upcoming is not None
    assert words["statuses"][upcoming["status"]] in screen.text("[data-testid=upcoming-status]")

    # Readable on a 360 px screen: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert screen.problems == []
    shot(page, "01-status-zh")
    screen.show("deadlines")
    shot(page, "02-timeline-zh")


@pytest.mark.parametrize("phone", ["en"], indirect=True)
def test_english_is_one_tap_away_and_the_advice_follows(phone, live, shot):
    case = promised_case(live)
    screen = Screen(phone, case, live).open()
    screen.page.click("#lang-switch")
    screen.page.wait_for_selector("html[lang=en] body[data-ready=true]")
    expected, words = read_case(live, case, "en"), catalogue(live, "en")
    assert screen.text("[data-testid=status]") == words["statuses"][expected["status"]]
    assert screen.text("#add-heading") == labels(live, "en")["add_heading"]
    assert expected["evaluation"]["next_actions"][0]["title"] in screen.text("#actions-list")
    shot(screen.page, "03-status-en")


def test_the_forms_are_the_api_event_types(phone, live):
    screen = Screen(phone, open_case(live), live).open()
    spec = httpx.get(f"{live.url}/openapi.json").json()
    body = spec["paths"]["/v1/cases/{case_id}/events"]["post"]["requestBody"]["content"]["application/json"]
    types = {spec["components"]["schemas"][ref["$ref"].split("/")[-1]]["properties"]["type"]["const"]
             for ref in body["schema"]["oneOf"]}
    offered = set(screen.page.eval_on_selector_all("#event-type option", "o => o.map(x => x.value)")) - {""}
    # evidence_saved is written by the upload form, not typed in.
    assert offered == types - {"evidence_saved"}
    screen.page.select_option("#event-type", "complaint_filed")
    data = spec["components"]["schemas"]["ComplaintFiledData"]
    choices = screen.page.eval_on_selector_all("#ev-data-authority option", "o => o.map(x => x.value)")
    assert choices[1:] == data["properties"]["authority"]["enum"]
    names = screen.page.eval_on_selector_all("#event-fields [data-pointer]", "n => n.map(x => x.dataset.pointer)")
    assert names == ["/occurred_at", *(f"/data/{n}" for n in data["properties"]), "/note"]


def test_a_fee_demand_flips_the_page_to_the_fraud_track(phone, live, shot):
    case = promised_case(live)
    screen = Screen(phone, case, live).open()
    page, words, texts = screen.page, catalogue(live), labels(live)

    # Sent without its defining field: the API's problem is shown next to that field.
    page.select_option("#event-type", "fee_demanded")
    page.fill("#ev-data-amount", "三千")
    page.click("#event-submit")
    page.wait_for_selector("[data-error-for='/data/fee_kind']:not([hidden])")
    assert screen.text("[data-error-for='/data/fee_kind']") == texts["problems"]["missing"]
    assert page.get_attribute("#ev-data-fee_kind", "aria-invalid") == "true"
    assert screen.text("[data-error-for='/data/amount']") == texts["problems"]["money_format"]
    assert [e["type"] for e in events(live, case)] == ["support_contacted"]
    screen.show("ev-data-fee_kind")
    shot(page, "04-form-errors-zh")

    page.select_option("#ev-data-fee_kind", "unfreeze")
    page.fill("#ev-data-amount", "3000")
    page.click("#event-submit")
    page.wait_for_selector("#fraud-banner:not([hidden])")
    expected = read_case(live, case)
    assert expected["track"] == "fraud"
    expect(page.locator("[data-testid=status]")).to_have_text(words["statuses"][expected["status"]])
    assert "110" in screen.text("#fraud-banner")
    assert page.get_attribute("#fraud-call", "href") == "tel:110"
    # The banner comes first, before the status.
    assert page.evaluate("document.querySelector('#fraud-banner').compareDocumentPosition("
                         "document.querySelector('#status')) & Node.DOCUMENT_POSITION_FOLLOWING")
    stored = events(live, case)[-1]
    assert stored["type"] == "fee_demanded"
    assert stored["data"]["fee_kind"] == "unfreeze" and float(stored["data"]["amount"]) == 3000
    assert screen.problems == [p for p in screen.problems if "422" in p]  # only the refused post
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "05-fraud-zh")


def test_a_time_in_the_future_is_refused_with_the_api_message(phone, live):
    case = open_case(live)
    screen = Screen(phone, case, live).open()
    screen.page.select_option("#event-type", "note_added")
    screen.page.fill("#ev-occurred_at", "2099-01-01T10:00")
    screen.page.fill("#ev-data-text", "平台说下周一定到账")
    screen.page.click("#event-submit")
    screen.page.wait_for_selector("[data-error-for='/occurred_at']:not([hidden])")
    assert screen.text("[data-error-for='/occurred_at']") == labels(live)["problems"]["datetime_in_future"]
    assert events(live, case) == []


def test_uploading_a_screenshot_saves_it_as_evidence(phone, live, shot):
    case = open_case(live)
    screen = Screen(phone, case, live).open()
    picture = png_bytes("white", (120, 80), text="notice 2026-11-20")
    page = screen.page
    page.set_input_files("#evi-file", files=[{"name": "notice.png", "mimeType": "image/png", "buffer": picture}])
    page.select_option("#evi-kind", "notice_screenshot")
    page.fill("#evi-description", "平台公告截图")
    page.click("#evidence-submit")
    page.wait_for_selector("#evidence-result:not([hidden])")
    assert "notice.png" in screen.text("#evidence-result")
    with live.partner() as partner:
        [saved] = partner.get(f"/v1/cases/{case.id}/evidence").json()["items"]
    assert saved["sha256"] == hashlib.sha256(picture).hexdigest()
    assert saved["kind"] == "notice_screenshot"
    assert [e["type"] for e in events(live, case)] == ["evidence_saved"]
    screen.show("evidence")
    shot(page, "06-evidence-zh")


def test_the_dossier_downloads_as_a_pdf(phone, live, tmp_path):
    case = open_case(live, platform={"name": "速提宝APP", "kind": "investment", "licensed": None})
    screen = Screen(phone, case, live).open()
    with screen.page.expect_download() as download:
        screen.page.click("#dossier-download")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == f"dossier-{case.id}.pdf"
    assert path.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
        assert "速提宝APP" in words
    screen.page.wait_for_selector("#dossier-result:not([hidden])")


def test_offline_the_last_state_is_readable_and_events_wait_for_the_connection(phone, live, shot):
    case = promised_case(live)
    screen = Screen(phone, case, live).open()
    page, words = screen.page, catalogue(live)
    screen.wait_for_service_worker()
    screen.reload()  # this read goes through the service worker, which keeps a copy
    status = screen.text("[data-testid=status]")

    phone.set_offline(True)
    screen.reload()
    assert screen.text("[data-testid=status]") == status
    assert page.is_visible("#offline")
    assert screen.text("#offline") == labels(live)["offline_badge"]

    page.select_option("#event-type", "note_added")
    page.fill("#ev-data-text", "客服电话一直打不通")
    page.click("#event-submit")
    page.wait_for_selector("#queue:not([hidden])")
    [queued] = [item["event"] for item in json.loads(page.evaluate("localStorage.getItem('stuckfunds.queue')"))]
    assert queued["type"] == "note_added" and queued["event_id"]
    assert [e["type"] for e in events(live, case)] == ["support_contacted"]
    screen.show("add")
    shot(page, "07-offline-queued-zh")

    phone.set_offline(False)
    page.wait_for_selector("#queue", state="hidden")
    stored = events(live, case)
    assert [e["type"] for e in stored] == ["support_contacted", "note_added"]
    assert stored[-1]["data"] == {"text": "客服电话一直打不通"}
    # A second send of the same queued event (a flush cut off before its answer) is stored once.
    again = httpx.post(f"{live.url}/v1/cases/{case.id}/events", json=queued,
                       headers={"Authorization": f"Bearer {case.token}"})
    assert again.status_code == 200, again.text
    assert again.json()["event"]["id"] == stored[-1]["id"]
    assert len(events(live, case)) == 2
    assert page.evaluate("localStorage.getItem('stuckfunds.queue')") == "[]"
    assert words["statuses"][read_case(live, case)["status"]] == screen.text("[data-testid=status]")


def test_forget_this_device_leaves_nothing_behind(phone, live):
    case = open_case(live)
    screen = Screen(phone, case, live).open()
    page = screen.page
    screen.wait_for_service_worker()
    screen.reload()
    assert page.evaluate("caches.keys().then(k => k.length)") > 0
    page.click("#forget-button")
    page.wait_for_selector("#forgotten:not([hidden])")
    assert page.evaluate("sessionStorage.length") == 0
    assert page.evaluate("localStorage.length") == 0
    assert page.evaluate("caches.keys().then(k => k.length)") == 0
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
    page.goto(f"{live.url}/app/")
    page.wait_for_selector("#no-link:not([hidden])")
    assert page.is_hidden("#case")


def test_a_token_for_another_case_opens_nothing(phone, live):
    mine, other = open_case(live), open_case(live)
    link = f"{live.url}/app/#case={other.id}&token={mine.token}"
    screen = Screen(phone, mine, live)
    screen.page.goto(link)
    screen.page.wait_for_selector("#no-link:not([hidden])")
    assert screen.text("#no-link-body") == labels(live)["link_invalid"]
    assert screen.page.is_hidden("#case")


def serious(results) -> list[str]:
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_axe_finds_no_serious_accessibility_violations(phone, live):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    case = promised_case(live)
    screen = Screen(phone, case, live).open()
    assert serious(axe.run(screen.page)) == []
    # The form with the API's errors shown, then the fraud track's banner.
    screen.page.select_option("#event-type", "fee_demanded")
    screen.page.click("#event-submit")
    screen.page.wait_for_selector("[data-error-for='/data/fee_kind']:not([hidden])")
    assert serious(axe.run(screen.page)) == []
    screen.page.select_option("#ev-data-fee_kind", "deposit")
    screen.page.click("#event-submit")
    screen.page.wait_for_selector("#fraud-banner:not([hidden])")
    assert serious(axe.run(screen.page)) == []
    # The page without a link.
    screen.page.goto(f"{live.url}/app/")
    assert serious(axe.run(screen.page)) == []
    assert screen.csp_violations() == []
