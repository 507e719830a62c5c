"""The server answers only what the contract documents: statuses, headers and media types.

The contract tests (tests/test_openapi.py) read the document; these send real requests and hold
each answer against the committed document, for the answers a generated client trips on.
"""

import json
import uuid

import pytest

from app.settings import PROJECT_ROOT
from tests.conftest import Api
from tests.support.evidence import evidence_dir, png_bytes  # noqa: F401  (a fixture)
from tests.support.payloads import ago, event, intake

CONTRACT = json.loads((PROJECT_ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8"))
METHODS = {"get", "post", "patch", "delete"}


def _documented(method: str, path: str, response) -> dict:
    """The documented answer for this response's status, after checking its media type too."""
    responses = CONTRACT["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method.upper()} {path} answered {status}, documented {sorted(responses)}"
    documented = responses[status]
    media = response.headers.get("content-type", "").split(";")[0].strip()
    if response.content:
        assert media in documented.get("content", {}), f"{method.upper()} {path} {status}: {media}"
    for name, header in documented.get("headers", {}).items():
        if header.get("required"):
            assert name.lower() in response.headers, f"{method.upper()} {path} {status} lacks {name}"
    return documented


def _open(api) -> str:
    response = api.post("/v1/cases", json=intake())
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
def case_token(api) -> tuple[str, Api]:
    case_id = _open(api)
    token = api.post(f"/v1/cases/{case_id}/tokens", json={}).json()["token"]
    return case_id, Api(api.http, token)


def test_every_answer_to_a_case_token_is_documented(case_token):
    # A case token on each operation, its own case in the path: partner-only routes answer 403,
    # the others as usual, and every one of those answers is in the contract.
    case_id, phone = case_token
    forbidden = 0
    for path, item in CONTRACT["paths"].items():
        for method in METHODS & item.keys():
            url = path.replace("{case_id}", case_id).replace("{seq}", "1")
            for name in ("evidence_id", "token_id", "webhook_id", "delivery_id"):
                url = url.replace("{" + name + "}", str(uuid.uuid4()))
            headers = {**phone.headers, "If-Match": "*"}
            kwargs = {"json": {}} if method in ("post", "patch") and "evidence" not in path else {}
            response = phone.http.request(method.upper(), url, headers=headers, **kwargs)
            _documented(method, path, response)
            forbidden += response.status_code == 403
    assert forbidden >= 11, forbidden


def test_a_replayed_event_id_is_a_200_with_the_stored_event(api):
    case_id = _open(api)
    body = event("support_contacted", {"channel": "phone"}, event_id=str(uuid.uuid4()))
    first = api.post(f"/v1/cases/{case_id}/events", json=body)
    again = api.post(f"/v1/cases/{case_id}/events", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    _documented("post", "/v1/cases/{case_id}/events", again)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["event"]["id"] == first.json()["event"]["id"]


def test_malformed_multipart_is_a_400_problem(api):
    case_id = _open(api)
    response = api.post(f"/v1/cases/{case_id}/evidence", content=b"--nope\r\ngarbage",
                        headers={"Content-Type": "multipart/form-data; boundary=zz"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    _documented("post", "/v1/cases/{case_id}/evidence", response)


def test_an_upload_with_a_field_the_contract_does_not_name_is_refused(api, evidence_dir):  # noqa: F811
    case_id = _open(api)
    response = api.post(f"/v1/cases/{case_id}/evidence",
                        files={"file": ("n.png", png_bytes(), "image/png")},
                        data={"kind": "notice_screenshot", "captured_at": ago(hours=1), "colour": "red"})
    assert response.status_code == 422, response.text
    assert "colour" in [e["field"] for e in response.json()["errors"]]
    assert not list(evidence_dir.rglob("*.png"))


def test_a_file_sent_as_a_text_field_is_refused(api):
    # What a client generated from a contract without `format: binary` did.
    case_id = _open(api)
    response = api.post(f"/v1/cases/{case_id}/evidence",
                        data={"file": "iVBORw0KGgo=", "kind": "notice_screenshot", "captured_at": ago(hours=1)})
    assert response.status_code == 422, response.text
    assert "file" in [e["field"] for e in response.json()["errors"]]


def test_upload_and_download_answer_as_documented(api, evidence_dir):  # noqa: F811
    case_id = _open(api)
    response = api.post(f"/v1/cases/{case_id}/evidence",
                        files={"file": ("n.png", png_bytes(), "image/png")},
                        data={"kind": "notice_screenshot", "captured_at": ago(hours=1), "description": ""})
    _documented("post", "/v1/cases/{case_id}/evidence", response)
    assert response.json()["description"] is None  # an empty form field is no description
    download = api.get(response.json()["content_url"])
    documented = _documented("get", "/v1/cases/{case_id}/evidence/{evidence_id}/content", download)
    assert download.headers["content-type"] == "image/png" and "image/png" in documented["content"]


@pytest.mark.parametrize("fmt", ["pdf", "markdown", "json"])
def test_each_dossier_format_is_a_documented_media_type(api, fmt):
    case_id = _open(api)
    response = api.get(f"/v1/cases/{case_id}/dossier", params={"format": fmt})
    assert response.status_code == 200, response.text
    _documented("get", "/v1/cases/{case_id}/dossier", response)


@pytest.mark.parametrize("text", [" ", "\u3000", "a\x00b"])
def test_blank_or_nul_text_is_refused_as_the_contract_says(api, text):
    response = api.post("/v1/cases", json=intake(platform={"name": text, "kind": "other"}))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "platform.name"
