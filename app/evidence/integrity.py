"""Evidence, use case: recompute a case's hash chain and its files' hashes, and say what broke."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from app.cases import chain
from app.cases import repository as cases_repository
from app.db.models import Case, CaseEvent, EvidenceFile
from app.evidence import repository
from app.evidence.schemas import IntegrityIssue, IntegrityReport
from app.evidence.storage import LocalEvidenceStore

_EVENT_DETAIL = {
    "content_changed": "The stored event no longer matches the hash it was sealed with.",
    "link_broken": "The event does not point at the hash of the event before it.",
    "missing": "No event is stored under this seq, though the log is numbered past it.",
    "unsealed": "The event has no hash: it was written around the service.",
}


def _evidence_issues(store: LocalEvidenceStore, files: Sequence[EvidenceFile],
                     events: dict[int, CaseEvent]) -> list[IntegrityIssue]:
    issues = []
    for evidence in files:
        ids = {"seq": evidence.event_seq, "evidence_id": evidence.id, "sha256": evidence.sha256}
        actual = store.digest_of(evidence.sha256)
        if actual is None:
            issues.append(IntegrityIssue(subject="evidence", problem="file_missing", **ids,
                                         expected=evidence.sha256,
                                         detail="The stored file is gone."))
        elif actual != evidence.sha256:
            issues.append(IntegrityIssue(subject="evidence", problem="file_changed", **ids,
                                         expected=evidence.sha256, actual=actual,
                                         detail="The stored file's bytes have changed."))
        # The file's record is not itself chained; its event is. They must agree.
        event = events.get(evidence.event_seq)
        data = event.data if event is not None else {}
        if (event is None or event.type != "evidence_saved" or data.get("sha256") != evidence.sha256
                or data.get("evidence_id") != str(evidence.id) or data.get("kind") != evidence.kind
                or event.occurred_at != evidence.captured_at):
            issues.append(IntegrityIssue(
                subject="evidence", problem="record_mismatch", **ids,
                expected=data.get("sha256"), actual=evidence.sha256,
                detail="The evidence record no longer matches the chained event that recorded it."))
    return issues


def verify_case(*, session: Session, store: LocalEvidenceStore, case: Case,
                now: datetime) -> IntegrityReport:
    """Check every event link and every evidence file of the case; nothing is changed."""
    events = cases_repository.list_events(session, case_id=case.id)
    files = repository.list_evidence(session, case_id=case.id)
    chain_issues, head = chain.verify_chain(events, last_seq=case.last_seq)
    issues = [
        IntegrityIssue(subject="event", problem=i.problem, seq=i.seq, expected=i.expected,
                       actual=i.actual, detail=_EVENT_DETAIL[i.problem])
        for i in chain_issues
    ]
    issues += _evidence_issues(store, files, {e.seq: e for e in events})
    return IntegrityReport(ok=not issues, checked_at=now, events_checked=len(events),
                           evidence_checked=len(files), head_hash=head, issues=issues)
