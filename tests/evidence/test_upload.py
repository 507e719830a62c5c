"""Evidence upload: stored by SHA-256, typed by content, limited in size, recorded as an event."""

import hashlib

import jsonschema

from tests.support.evidence import (
    CHAT_LOG, ELF_BINARY, HTML_PAGE, in_future, open_case, png_bytes, stored_files, upload,
)
from tests.support.payloads import ago

PROBLEM = "application/problem+json"


def test_upload_stores_the_file_by_its_hash_and_records_an_evidence_saved_event(api, evidence_dir):
    case_id = open_case(api)
    content = png_bytes(text="notice")
    captured = ago(hours=5)
    response = upload(api, case_id, content, name="公告截图.png", captured_at=captured,
                      description="平台公告：通道维护，未写结束时间")
    assert response.status_code == 201, response.text
    body = response.json()
    digest = hashlib.sha256(content).hexdigest()
    assert body["sha256"] == digest and body["size"] == len(content)
    assert body["media_type"] == "image/png" and body["kind"] == "notice_screenshot"
    assert body["original_name"] == "公告截图.png"
    assert response.headers["location"] == f"/v1/cases/{case_id}/evidence/{body['id']}"
    assert stored_files(evidence_dir) == [evidence_dir / "sha256" / digest[:2] / digest[2:4] / digest]
    assert (evidence_dir / "sha256" / digest[:2] / digest[2:4] / digest).read_bytes() == content

    events = api.get(f"/v1/cases/{case_id}/events").json()["items"]
    assert [e["type"] for e in events] == ["evidence_saved"]
    saved = events[0]
    assert saved["seq"] == body["event_seq"] == 1
    assert saved["data"] == {"kind": "notice_screenshot", "evidence_id": body["id"], "sha256": digest}
    assert saved["note"] == "平台公告：通道维护，未写结束时间"
    assert saved["occurred_at"] == body["captured_at"]
    # The upload went through the case's own append: evaluated, and in the audit trail.
    case = api.get(f"/v1/cases/{case_id}").json()
    assert case["last_seq"] == 1
    audit = api.get(f"/v1/cases/{case_id}/audit").json()["items"]
    assert [a["action"] for a in audit][-1] == "event.appended" and audit[-1]["actor_kind"] == "api_key"


def test_the_same_bytes_twice_are_stored_once_and_recorded_once(api, other_api, evidence_dir):
    case_id = open_case(api)
    content = png_bytes("red")
    first = upload(api, case_id, content, name="a.png")
    again = upload(api, case_id, content, name="b.png", kind="other")
    assert first.status_code == 201 and again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["original_name"] == "a.png"
    assert len(api.get(f"/v1/cases/{case_id}/events").json()["items"]) == 1
    # Another client's case keeps its own record, but the bytes are still stored once.
    other_case = open_case(other_api)
    elsewhere = upload(other_api, other_case, content)
    assert elsewhere.status_code == 201 and elsewhere.json()["id"] != first.json()["id"]
    assert len(stored_files(evidence_dir)) == 1
    assert not list((evidence_dir / "tmp").iterdir())  # staged copies are cleaned up


def test_a_file_over_the_size_limit_is_a_413_problem(api, app, evidence_dir, monkeypatch):
    monkeypatch.setattr(app.state.settings, "evidence_max_bytes", 1000)
    case_id = open_case(api)
    response = upload(api, case_id, png_bytes(size=(400, 400), text="x" * 50) + b"\0" * 2000)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "payload-too-large" and problem["errors"][0]["field"] == "file"
    assert stored_files(evidence_dir) == []
    assert api.get(f"/v1/cases/{case_id}/events").json()["items"] == []


def test_a_body_far_over_the_limit_is_refused_before_it_is_parsed(api, app, monkeypatch):
    monkeypatch.setattr(app.state.settings, "evidence_max_bytes", 1000)
    case_id = open_case(api)
    response = upload(api, case_id, b"\x89PNG" + b"\0" * 400_000)
    assert response.status_code == 413
    assert response.json()["code"] == "payload-too-large"


def test_the_type_comes_from_the_content_not_the_name(api):
    case_id = open_case(api)
    response = upload(api, case_id, png_bytes("blue"), name="receipt.pdf",
                      content_type="application/pdf", kind="transfer_receipt")
    assert response.status_code == 201, response.text
    assert response.json()["media_type"] == "image/png"
    chat = upload(api, case_id, CHAT_LOG, name="chat.png", content_type="image/png", kind="chat_log")
    assert chat.status_code == 201 and chat.json()["media_type"] == "text/plain"


def test_html_or_an_executable_named_png_is_refused_with_415_naming_the_file(api, evidence_dir):
    case_id = open_case(api)
    for content in (HTML_PAGE, ELF_BINARY, b"#!/bin/sh\nrm -rf ~\n"):
        response = upload(api, case_id, content, name="screenshot.png", content_type="image/png")
        assert response.status_code == 415, response.text
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert problem["code"] == "unsupported-media-type"
        assert problem["errors"][0]["field"] == "file" and problem["errors"][0]["pointer"] == "/file"
    assert stored_files(evidence_dir) == []
    assert api.get(f"/v1/cases/{case_id}/events").json()["items"] == []


def test_names_with_paths_are_reduced_to_a_plain_file_name(api, evidence_dir, tmp_path):
    case_id = open_case(api)
    names = (("../../etc/passwd", "passwd"), ("..\\..\\windows\\win.ini", "win.ini"),
             ("/abs/../../.hidden.png", "hidden.png"), ("report\u202egnp.exe", "reportgnp.exe"))
    for number, (name, expected) in enumerate(names):
        response = upload(api, case_id, CHAT_LOG + str(number).encode(), name=name, kind="chat_log")
        assert response.status_code == 201, response.text
        assert response.json()["original_name"] == expected
    # Every byte went to the content-addressed store; nothing was written by name anywhere.
    assert all(p.name == hashlib.sha256(p.read_bytes()).hexdigest() for p in stored_files(evidence_dir))
    assert not (tmp_path / "etc").exists() and not (evidence_dir.parent / "passwd").exists()


def test_form_fields_are_validated_and_named(api):
    case_id = open_case(api)
    response = upload(api, case_id, png_bytes(), kind="selfie", captured_at=in_future(days=2))
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"kind", "captured_at"} <= fields
    missing = api.post(f"/v1/cases/{case_id}/evidence", data={"kind": "other", "captured_at": ago(hours=1)})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "file"


def test_another_clients_case_is_404_and_nothing_is_stored(api, other_api, evidence_dir):
    case_id = open_case(api)
    response = upload(other_api, case_id, png_bytes())
    assert response.status_code == 404
    assert stored_files(evidence_dir) == []


def test_a_file_is_bytes_so_the_contract_puts_no_text_rule_on_it(api):
    # The contract once gave the file part the free-text pattern, so it forbade a text file of
    # spaces only, which the server keeps as text/plain like any other (schemathesis ST201).
    part = api.get("/openapi.json").json()["components"]["schemas"]["EvidenceUpload"]["properties"]["file"]
    assert part["format"] == "binary" and "pattern" not in part
    case_id = open_case(api)
    for content in (b" ", "\u3000\n".encode()):
        jsonschema.validate(content.decode(), part)  # what the contract allows ...
        response = upload(api, case_id, content, name="blank.txt", kind="chat_log")
        assert response.status_code == 201, response.text  # ... the server takes
        assert response.json()["media_type"] == "text/plain"
