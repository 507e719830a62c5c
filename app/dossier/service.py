"""Dossier, use case: gather a case's record and write it up (reads only; nothing is stored).

One dossier holds at most `max_events` events (the most recent), at most `max_note_chars`
characters of each note and `max_total_note_chars` of notes in all (the newest notes first), so
its cost is bounded whatever the case holds: a PDF's cost grows with its lines of text (about 0.3 s
per 1,000 Chinese characters of notes, docs/dossier-rendering.md). The document says so when
anything was left out or shortened. The evaluation is computed from every event regardless.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from app.cases import repository as cases_repository
from app.cases import service as cases_service
from app.cases.present import present_evaluation
from app.db.models import Case, CaseEvent
from app.dossier.build import CaseFacts, DossierEvent, build_dossier
from app.dossier.model import Dossier
from app.dossier.paragraphs import limits_note
from app.evaluation import CompiledRuleset
from app.evidence import integrity
from app.evidence import repository as evidence_repository
from app.evidence.storage import LocalEvidenceStore
from app.locales import Locale

ELLIPSIS = "…"


def bounded_events(events: Sequence[CaseEvent], *, max_events: int, max_note_chars: int,
                   max_total_note_chars: int) -> tuple[list[DossierEvent], bool]:
    """The latest `max_events` events, their notes within both limits; (events, any note cut)."""
    shortened, budget = False, max_total_note_chars
    out = []
    for e in reversed(events[-max_events:]):  # newest first: they get the budget first
        note = e.note
        if note is not None:
            room = min(max_note_chars, budget)
            if len(note) > room:
                note, shortened = (note[:room - 1] + ELLIPSIS) if room > 1 else None, True
            budget -= len(note or "")
        out.append(DossierEvent(seq=e.seq, type=e.type, occurred_at=e.occurred_at, data=e.data, note=note))
    return out[::-1], shortened


def dossier_for_case(*, session: Session, store: LocalEvidenceStore, case: Case,
                     ruleset: CompiledRuleset, now: datetime, locale: Locale,
                     max_events: int = 300, max_note_chars: int = 1000,
                     max_total_note_chars: int = 50_000) -> Dossier:
    """The case's dossier now, with the integrity check run afresh so its verdict is current."""
    evaluation = cases_service.current_evaluation(session=session, case=case, ruleset=ruleset, now=now)
    every_event = cases_repository.list_events(session, case_id=case.id)
    events, shortened = bounded_events(every_event, max_events=max_events, max_note_chars=max_note_chars,
                                       max_total_note_chars=max_total_note_chars)
    dossier = build_dossier(
        case=CaseFacts(
            id=case.id, external_ref=case.external_ref, platform_name=case.platform_name,
            platform_kind=case.platform_kind, platform_licensed=case.platform_licensed,
            app_source=case.app_source, province=case.province, amount=case.amount,
            currency=case.currency, withdrawal_requested_at=case.withdrawal_requested_at),
        events=events,
        files=evidence_repository.list_evidence(session, case_id=case.id),
        report=integrity.verify_case(session=session, store=store, case=case, now=now),
        evaluation=present_evaluation(evaluation, ruleset.ruleset, locale),
        catalogue=ruleset.ruleset.catalogue, locale=locale, now=now,
    )
    note = limits_note(locale, total=len(every_event), shown=len(events), shortened=shortened,
                       max_note_chars=max_note_chars, max_total_note_chars=max_total_note_chars)
    return dossier.model_copy(update={"limits_note": note}) if note else dossier
