"""Dossier, use case: gather a case's record and write it up (reads only; nothing is stored)."""

from datetime import datetime

from sqlalchemy.orm import Session

from app.cases import repository as cases_repository
from app.cases import service as cases_service
from app.cases.present import present_evaluation
from app.db.models import Case
from app.dossier.build import CaseFacts, build_dossier
from app.dossier.model import Dossier
from app.evaluation import CompiledRuleset
from app.evidence import integrity
from app.evidence import repository as evidence_repository
from app.evidence.storage import LocalEvidenceStore


def dossier_for_case(*, session: Session, store: LocalEvidenceStore, case: Case,
                     ruleset: CompiledRuleset, now: datetime, locale: str) -> Dossier:
    """The case's dossier now, with the integrity check run afresh so its verdict is current."""
    evaluation = cases_service.current_evaluation(session=session, case=case, ruleset=ruleset, now=now)
    return build_dossier(
        case=CaseFacts(
            id=case.id, external_ref=case.external_ref, platform_name=case.platform_name,
            platform_kind=case.platform_kind, platform_licensed=case.platform_licensed,
            app_source=case.app_source, province=case.province, amount=case.amount,
            currency=case.currency, withdrawal_requested_at=case.withdrawal_requested_at),
        events=cases_repository.list_events(session, case_id=case.id),
        files=evidence_repository.list_evidence(session, case_id=case.id),
        report=integrity.verify_case(session=session, store=store, case=case, now=now),
        evaluation=present_evaluation(evaluation, ruleset.ruleset, locale),
        catalogue=ruleset.ruleset.catalogue, locale=locale, now=now,
    )
