"""Evidence read-back: the list, the record and the bytes, for the case's own client only."""

import base64
import hashlib
import uuid

from tests.support.evidence import CHAT_LOG, open_case, png_bytes, upload


def test_list_and_download_give_back_the_exact_bytes_with_the_sniffed_type(api):
    case_id = open_case(api)
    image = png_bytes("green", text="receipt")
    first = upload(api, case_id, image, name="转账凭证.png", kind="transfer_receipt").json()
    second = upload(api, case_id, CHAT_LOG, name="chat.txt", kind="chat_log").json()

    listing = api.get(f"/v1/cases/{case_id}/evidence")
    assert listing.status_code == 200
    assert [e["id"] for e in listing.json()["items"]] == [first["id"], second["id"]]
    assert listing.json()["items"][0]["content_url"] == f"/v1/cases/{case_id}/evidence/{first['id']}/content"
    assert api.get(f"/v1/cases/{case_id}/evidence/{first['id']}").json() == first

    download = api.get(first["content_url"])
    assert download.status_code == 200
    assert download.content == image
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E8%BD%AC%E8%B4%A6%E5%87%AD%E8%AF%81.png" in download.headers["content-disposition"]
    assert download.headers["etag"] == f'"{first["sha256"]}"'
    expected = base64.b64encode(hashlib.sha256(image).digest()).decode()
    assert download.headers["repr-digest"] == f"sha-256=:{expected}:"

    text = api.get(second["content_url"])
    assert text.content == CHAT_LOG and text.headers["content-type"] == "text/plain; charset=utf-8"


def test_another_client_sees_none_of_it(api, other_api):
    case_id = open_case(api)
    evidence = upload(api, case_id, png_bytes()).json()
    for url in (f"/v1/cases/{case_id}/evidence", f"/v1/cases/{case_id}/evidence/{evidence['id']}",
                evidence["content_url"], f"/v1/cases/{case_id}/verify"):
        response = other_api.get(url)
        assert response.status_code == 404, url
        assert response.headers["content-type"] == "application/problem+json"


def test_unknown_evidence_is_404(api):
    case_id = open_case(api)
    assert api.get(f"/v1/cases/{case_id}/evidence/{uuid.uuid4()}").status_code == 404
    assert api.get(f"/v1/cases/{case_id}/evidence/{uuid.uuid4()}/content").status_code == 404
