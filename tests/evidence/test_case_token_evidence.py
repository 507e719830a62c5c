"""Evidence from the end user's phone: a case token uploads and reads its own case's files."""

from tests.conftest import Api
from tests.support.evidence import ago, open_case, png_bytes, upload


def token_api(api, case_id: str) -> Api:
    token = api.post(f"/v1/cases/{case_id}/tokens", json={}).json()["token"]
    return Api(api.http, token)


def test_a_case_token_uploads_lists_and_downloads_its_own_evidence(api):
    case_id = open_case(api)
    phone = token_api(api, case_id)
    image = png_bytes("blue", text="notice")
    saved = upload(phone, case_id, image)
    assert saved.status_code == 201, saved.text
    listed = phone.get(f"/v1/cases/{case_id}/evidence").json()["items"]
    assert [e["id"] for e in listed] == [saved.json()["id"]]
    assert phone.get(saved.json()["content_url"]).content == image
    # The partner sees the same file, recorded as an event on the timeline.
    assert [e["type"] for e in api.get(f"/v1/cases/{case_id}/events").json()["items"]] == ["evidence_saved"]


def test_a_case_token_reaches_no_other_case_and_not_the_integrity_report(api):
    mine, other = open_case(api), open_case(api)
    phone = token_api(api, mine)
    assert upload(phone, other, png_bytes()).status_code == 404
    assert phone.get(f"/v1/cases/{other}/evidence").status_code == 404
    assert phone.get(f"/v1/cases/{mine}/verify").status_code == 403


def test_an_upload_retried_with_its_idempotency_key_is_replayed(api):
    case_id = open_case(api)
    form = {"kind": "chat_log", "captured_at": ago(hours=1)}
    files = {"file": ("chat.txt", "客服说下周一前到账".encode(), "text/plain")}
    headers = {"Idempotency-Key": "upload-1"}
    first = api.post(f"/v1/cases/{case_id}/evidence", data=form, files=files, headers=headers)
    again = api.post(f"/v1/cases/{case_id}/evidence", data=form, files=files, headers=headers)
    assert first.status_code == 201 and again.status_code == 201
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert len(api.get(f"/v1/cases/{case_id}/events").json()["items"]) == 1
