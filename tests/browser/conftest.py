"""Browser tests: a live `stuckfunds serve` on 127.0.0.1 and Debian's chromium at phone size.

Playwright drives /usr/bin/chromium (the Debian package that .ci/run installs); it never
downloads a browser of its own. Without chromium the tests skip locally and fail in CI.
"""

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.conftest import TEST_SECRET_KEY
from tests.support.payloads import intake
from tests.support.server import create_api_key, running_server

CHROMIUM = os.environ.get("STUCKFUNDS_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}
# Set to a folder (docs/webapp) to keep the screenshots the tests take; unset, they go to tmp.
SCREENSHOT_DIR = os.environ.get("STUCKFUNDS_SCREENSHOT_DIR")

sync_api = pytest.importorskip("playwright.sync_api")


@dataclass
class Live:
    url: str
    key: str
    evidence_dir: Path

    def partner(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=60)


@dataclass
class PhoneCase:
    id: str
    token: str
    link: str


@pytest.fixture(scope="session")
def live(pg_url, tmp_path_factory) -> Iterator[Live]:
    evidence_dir = tmp_path_factory.mktemp("webapp-evidence")
    env = {"STUCKFUNDS_SECRET_KEY": TEST_SECRET_KEY, "STUCKFUNDS_EVIDENCE_DIR": str(evidence_dir),
           "STUCKFUNDS_LOG_LEVEL": "WARNING"}
    key = create_api_key(pg_url, "webapp-partner")
    with running_server(["--database-url", pg_url], env=env) as server:
        yield Live(url=server.url, key=key, evidence_dir=evidence_dir)


@pytest.fixture(scope="session")
def browser(live) -> Iterator:
    if not shutil.which(CHROMIUM):
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run the browser tests")
        pytest.skip(message)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture
def phone(browser, request) -> Iterator:
    """A fresh phone-sized, Chinese-language browser context (its own storage and service worker)."""
    lang = getattr(request, "param", "zh-CN")
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale=lang, timezone_id="Asia/Shanghai", accept_downloads=True)
    context.set_default_timeout(20_000)
    yield context
    context.close()


def open_case(live: Live, **overrides) -> PhoneCase:
    """A case opened by the partner over HTTP, with the token a partner would text to the person."""
    with live.partner() as partner:
        opened = partner.post("/v1/cases", json=intake(**overrides))
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["id"]
        issued = partner.post(f"/v1/cases/{case_id}/tokens", json={"ttl_days": 7})
        assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    return PhoneCase(id=case_id, token=token, link=f"{live.url}/app/#case={case_id}&token={token}")


@pytest.fixture
def shot(tmp_path):
    """Save a screenshot of the page under a name (kept in SCREENSHOT_DIR when that is set)."""
    folder = Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, **kw) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), **kw)
        # A 128-colour palette keeps the committed pictures small and the text sharp.
        with Image.open(path) as picture:
            small = picture.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)
        return path

    return take
