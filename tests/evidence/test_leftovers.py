"""Failures leave nothing behind: fields checked before a byte is stored, files of rolled-back
uploads removed, storage quotas, and a sweep for files nothing references."""

import hashlib
import os
from collections.abc import Iterator

import pytest

from app.evidence.storage import LocalEvidenceStore
from tests.support.evidence import CHAT_LOG, open_case, png_bytes, post_event, stored_files, upload
from tests.support.server import run_cli

PROBLEM = "application/problem+json"


@pytest.fixture
def configure(app) -> Iterator:
    """Change the app's settings for one test (after evidence_dir has given it its own store)."""
    before = app.state.settings

    def apply(**changes):
        app.state.settings = app.state.settings.model_copy(update=changes)

    yield apply
    app.state.settings = before


def _nothing_left(evidence_dir) -> bool:
    tmp = evidence_dir / "tmp"
    return stored_files(evidence_dir) == [] and (not tmp.exists() or not list(tmp.iterdir()))


@pytest.mark.parametrize("description", ["   ", "截图\x00说明"])
def test_a_blank_or_nul_description_is_422_naming_it_and_nothing_is_stored(api, evidence_dir, description):
    case_id = open_case(api)
    response = upload(api, case_id, png_bytes("navy"), description=description)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert [e["field"] for e in response.json()["errors"]] == ["description"]
    assert _nothing_left(evidence_dir)
    assert api.get(f"/v1/cases/{case_id}/events").json()["items"] == []


def test_an_upload_rolled_back_after_its_file_was_stored_leaves_no_file(api, evidence_dir, configure):
    configure(case_max_events=1)
    case_id = open_case(api)
    post_event(api, case_id, "support_contacted", {"channel": "online_chat"})
    # The file is stored before the append finds the case full; the rollback takes it away again.
    response = upload(api, case_id, png_bytes("olive", text="full"))
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "case-event-limit"
    assert _nothing_left(evidence_dir)


def test_a_rolled_back_upload_keeps_bytes_another_case_references(api, other_api, evidence_dir, configure):
    content = png_bytes("teal", text="shared")
    elsewhere = open_case(other_api)
    kept = upload(other_api, elsewhere, content)
    assert kept.status_code == 201
    configure(case_max_events=1)
    case_id = open_case(api)
    post_event(api, case_id, "support_contacted", {"channel": "online_chat"})
    assert upload(api, case_id, content).status_code == 409
    assert len(stored_files(evidence_dir)) == 1
    download = other_api.get(f"/v1/cases/{elsewhere}/evidence/{kept.json()['id']}/content")
    assert download.status_code == 200 and download.content == content


def test_forget_puts_back_a_file_another_upload_came_to_rely_on(tmp_path):
    import io

    store = LocalEvidenceStore(tmp_path)
    first = store.keep(store.stage(io.BytesIO(CHAT_LOG), max_bytes=10_000))
    # A second upload of the same bytes, still in its transaction, finds and relies on the file.
    second = store.keep(store.stage(io.BytesIO(CHAT_LOG), max_bytes=10_000))
    assert first.created and not second.created
    assert store.forget(first) is False  # the first upload rolled back: the file stays
    assert store.read(first.sha256) == CHAT_LOG
    alone = store.keep(store.stage(io.BytesIO(b"only me\n"), max_bytes=10_000))
    assert store.forget(alone) is True and store.read(alone.sha256) is None
    assert not list((tmp_path / "tmp").iterdir())


def test_the_case_quota_refuses_an_upload_with_409_and_stores_nothing(api, evidence_dir, configure):
    first_file = png_bytes("maroon", size=(80, 80))
    configure(evidence_case_quota_bytes=len(first_file) + 100)
    case_id = open_case(api)
    assert upload(api, case_id, first_file).status_code == 201
    response = upload(api, case_id, png_bytes("lime", size=(80, 80)))
    assert response.status_code == 409 and response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "quota-exceeded" and problem["field"] == "file"
    assert problem["quota"] == len(first_file) + 100 and problem["used"] == len(first_file)
    assert stored_files(evidence_dir) == [evidence_dir / "sha256" / (d := hashlib.sha256(first_file).hexdigest())[:2]
                                          / d[2:4] / d]
    # The same bytes again are no new storage: they answer 200, quota or not.
    assert upload(api, case_id, first_file).status_code == 200


def test_the_client_quota_counts_every_case_of_the_client(api, other_api, evidence_dir, configure):
    one = png_bytes("gold", size=(60, 60))
    configure(evidence_client_quota_bytes=len(one) + 50)
    assert upload(api, open_case(api), one).status_code == 201
    response = upload(api, open_case(api), png_bytes("silver", size=(60, 60)))
    assert response.status_code == 409 and response.json()["code"] == "quota-exceeded"
    # Another client has a quota of its own.
    assert upload(other_api, open_case(other_api), png_bytes("silver", size=(60, 60))).status_code == 201


def test_the_sweep_removes_unreferenced_files_after_the_grace_period(api, evidence_dir, database_url):
    referenced = png_bytes("coral", text="kept")
    assert upload(api, open_case(api), referenced).status_code == 201
    # What a crash between storing and committing leaves: a file at its address, no row.
    orphan = b"orphaned bytes\n"
    digest = hashlib.sha256(orphan).hexdigest()
    path = evidence_dir / "sha256" / digest[:2] / digest[2:4] / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orphan)
    interrupted = evidence_dir / "tmp" / "upload-interrupted"
    interrupted.write_bytes(b"half a file")
    env = {"STUCKFUNDS_EVIDENCE_DIR": str(evidence_dir)}

    within_grace = run_cli("evidence", "sweep", "--database-url", database_url, env=env)
    assert within_grace.returncode == 0, within_grace.stderr
    assert "removed 0" in within_grace.stdout and path.exists()

    hour_ago = path.stat().st_mtime - 3600
    for old in (path, interrupted):
        os.utime(old, (hour_ago, hour_ago))
    swept = run_cli("evidence", "sweep", "--grace-hours", "0.5", "--database-url", database_url, env=env)
    assert swept.returncode == 0, swept.stderr
    assert "removed 1" in swept.stdout
    assert not path.exists() and not interrupted.exists()
    assert [p.name for p in stored_files(evidence_dir)] == [hashlib.sha256(referenced).hexdigest()]
