"""The generated Python client (openapi-python-client) through a whole journey on a live server.

The client is generated from the committed spec at the start of the run (scripts/generate-clients,
as `make clients` does), so a spec that no longer says what the server does fails here.
"""

import io
import sys
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.dossier.conftest import pdf_text


@pytest.fixture(scope="module")
def sc(generated_clients):
    """The generated package, `stuckfunds_client`, imported from clients/python/."""
    sys.path.insert(0, str(generated_clients / "python"))
    try:
        import stuckfunds_client

        yield stuckfunds_client
    finally:
        sys.path.remove(str(generated_clients / "python"))


def test_a_partner_journey_with_the_generated_python_client(sc, live_server, partner_key, tmp_path):
    from stuckfunds_client import AuthenticatedClient
    from stuckfunds_client.api.access import access_issue_token
    from stuckfunds_client.api.cases import (cases_append_event, cases_get_case, cases_open_case,
                                             cases_update_case)
    from stuckfunds_client.api.dossier import dossier_get_dossier
    from stuckfunds_client.api.evidence import evidence_upload_evidence
    from stuckfunds_client.models import (CaseCreate, CaseRead, CaseTokenCreate, CaseUpdate,
                                          Dossier, DossierGetDossierFormatType0, EventAppended,
                                          EvidenceRead, EvidenceUpload, EvidenceUploadKind,
                                          NoteAddedData, NoteAddedEvent, PlatformIn,
                                          PlatformInKind, Problem, WithdrawalAttemptedData,
                                          WithdrawalAttemptedDataResult, WithdrawalAttemptedEvent)
    from stuckfunds_client.types import File

    now = datetime.now(timezone.utc)
    partner = AuthenticatedClient(base_url=live_server.url, token=partner_key)

    # Open a case; the retry with the same Idempotency-Key (a lost answer) gets the same case back.
    intake = CaseCreate(platform=PlatformIn(name="安心人寿保险APP", kind=PlatformInKind.INSURER),
                        amount="38000.00", withdrawal_requested_at=now - timedelta(days=10),
                        province="浙江")
    key = str(uuid.uuid4())
    opened = cases_open_case.sync_detailed(client=partner, body=intake, idempotency_key=key)
    assert opened.status_code == 201 and isinstance(opened.parsed, CaseRead), opened.content
    retried = cases_open_case.sync_detailed(client=partner, body=intake, idempotency_key=key)
    assert retried.status_code == 201 and retried.headers["Idempotent-Replayed"] == "true"
    assert retried.parsed.id == opened.parsed.id
    case_id = opened.parsed.id

    # Post events: a failed withdrawal, then a note.
    attempt = cases_append_event.sync_detailed(case_id, client=partner, body=WithdrawalAttemptedEvent(
        type_="withdrawal_attempted", occurred_at=now - timedelta(days=9),
        data=WithdrawalAttemptedData(result=WithdrawalAttemptedDataResult.FAILED)))
    assert attempt.status_code == 201 and isinstance(attempt.parsed, EventAppended), attempt.content
    assert attempt.parsed.event.seq == 1

    # Read with its ETag, write with If-Match; a stale ETag is refused with 412, as a Problem.
    read = cases_get_case.sync(case_id, client=partner)
    etag = cases_get_case.sync_detailed(case_id, client=partner).headers["ETag"]
    assert read.last_seq == 1 and etag
    updated = cases_update_case.sync_detailed(case_id, client=partner, if_match=etag,
                                              body=CaseUpdate(external_ref="partner-4711"))
    assert updated.status_code == 200 and updated.parsed.external_ref == "partner-4711"
    assert updated.headers["ETag"] != etag
    stale = cases_update_case.sync_detailed(case_id, client=partner, if_match=etag,
                                            body=CaseUpdate(province="江苏"))
    assert stale.status_code == 412 and isinstance(stale.parsed, Problem)
    assert stale.parsed.code == "precondition-failed"

    # Upload evidence (multipart); its SHA-256 comes back.
    content = "客服：您的提现正在审核中。\n".encode()
    upload = evidence_upload_evidence.sync_detailed(case_id, client=partner, body=EvidenceUpload(
        file=File(payload=io.BytesIO(content), file_name="聊天记录.txt", mime_type="text/plain"),
        kind=EvidenceUploadKind.CHAT_LOG, captured_at=now - timedelta(days=8),
        description="在线客服聊天记录"))
    assert upload.status_code == 201 and isinstance(upload.parsed, EvidenceRead), upload.content
    assert upload.parsed.media_type == "text/plain" and upload.parsed.size == len(content)

    # The dossier as JSON (typed), Markdown and PDF.
    dossier = dossier_get_dossier.sync(case_id, client=partner, format_=DossierGetDossierFormatType0.JSON)
    assert isinstance(dossier, Dossier) and dossier.external_ref == "partner-4711"
    assert [item.sha256 for item in dossier.evidence] == [upload.parsed.sha256]
    # openapi-python-client types one media type per answer (JSON here); for the other two the
    # generated client lends its own httpx client, with the base URL and the key already set.
    raw = partner.get_httpx_client()
    markdown = raw.get(f"/v1/cases/{case_id}/dossier", params={"format": "markdown"})
    assert markdown.status_code == 200 and markdown.headers["content-type"].startswith("text/markdown")
    assert "安心人寿保险APP" in markdown.text
    pdf = raw.get(f"/v1/cases/{case_id}/dossier", headers={"Accept": "application/pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert upload.parsed.sha256 in pdf_text(pdf.content, tmp_path)

    # A case token for the end user's phone: it reads and posts to this case only.
    issued = access_issue_token.sync_detailed(case_id, client=partner, body=CaseTokenCreate(ttl_days=7))
    assert issued.status_code == 201, issued.content
    phone = AuthenticatedClient(base_url=live_server.url, token=issued.parsed.token)
    assert cases_get_case.sync(case_id, client=phone).id == case_id
    note = cases_append_event.sync_detailed(case_id, client=phone, body=NoteAddedEvent(
        type_="note_added", occurred_at=now - timedelta(minutes=1), data=NoteAddedData(text="又打了一次客服电话")))
    assert note.status_code == 201 and note.parsed.event.seq == 3  # 2 was the evidence
    other = cases_open_case.sync(client=partner, body=intake)
    refused = cases_get_case.sync_detailed(other.id, client=phone)
    assert refused.status_code == 404 and isinstance(refused.parsed, Problem)
