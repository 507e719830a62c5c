"""Tooling: write every scenario's dossier (JSON, Markdown, the PDF's HTML) in every locale to a folder.

Run before and after a change to the dossier's texts or layout and compare the folders
(`diff -r`): a refactor that should change nothing must leave them byte-identical. Each scenario
is written twice: as recorded, and with notes, uploaded files, a failed integrity check and the
limits note, so every text the dossier has appears at least once.

    .venv/bin/python scripts/dossier_snapshot.py /tmp/dossier-before
"""

import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.cases.present import present_evaluation
from app.dossier.build import CaseFacts, DossierEvent, build_dossier
from app.dossier.paragraphs import limits_note
from app.dossier.render_markdown import to_markdown
from app.dossier.render_pdf import to_html
from app.evaluation import CompiledRuleset, evaluate, load_ruleset
from app.evidence.schemas import IntegrityIssue, IntegrityReport
from app.locales import LOCALES
from app.scenarios import load_scenario, scenario_paths
from app.settings import PROJECT_ROOT

_PROBLEMS = (("event", "content_changed"), ("event", "link_broken"), ("event", "missing"),
             ("event", "unsealed"), ("evidence", "file_changed"), ("evidence", "file_missing"),
             ("evidence", "record_mismatch"))


@dataclass(frozen=True)
class _File:
    id: Any
    sha256: str
    size: int
    media_type: str
    original_name: str | None
    event_seq: int


def _write(out: Path, name: str, locale: str, dossier) -> None:
    stem = out / f"{name}.{locale}"
    stem.with_suffix(stem.suffix + ".json").write_text(dossier.model_dump_json(indent=1), encoding="utf-8")
    stem.with_suffix(stem.suffix + ".md").write_text(to_markdown(dossier), encoding="utf-8")
    stem.with_suffix(stem.suffix + ".html").write_text(to_html(dossier), encoding="utf-8")


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    compiled = CompiledRuleset(load_ruleset(PROJECT_ROOT / "rules"))
    for path in scenario_paths(PROJECT_ROOT / "rules"):
        scenario = load_scenario(path)
        case = scenario.case
        evaluation = evaluate(case, scenario.events, scenario.as_of, compiled).model_dump(mode="json")
        facts = CaseFacts(id=uuid.uuid5(uuid.NAMESPACE_URL, path.stem), external_ref=None,
                          platform_name=case.platform_name, platform_kind=case.platform_kind,
                          platform_licensed=case.platform_licensed, app_source=case.app_source,
                          province=case.province, amount=case.amount, currency=case.currency,
                          withdrawal_requested_at=case.withdrawal_requested_at)
        plain = [DossierEvent(e.seq, e.type, e.occurred_at, dict(e.data)) for e in scenario.events]
        noted = [DossierEvent(e.seq, e.type, e.occurred_at, dict(e.data), f"备注 note {e.seq}") for e in plain]
        files = [_File(uuid.uuid5(uuid.NAMESPACE_URL, f"{path.stem}/{e.seq}"), f"{e.seq:064x}", 2048 * e.seq,
                       "image/png", None if e.seq % 2 else f"shot-{e.seq}.png", e.seq)
                 for e in plain if e.type == "evidence_saved"][::2]
        ok = IntegrityReport(ok=True, checked_at=scenario.as_of, events_checked=len(plain),
                             evidence_checked=0, head_hash=None, issues=[])
        failed = IntegrityReport(
            ok=False, checked_at=scenario.as_of, events_checked=len(plain), evidence_checked=len(files),
            head_hash="ab" * 32,
            issues=[IntegrityIssue(subject=s, problem=p, seq=i + 1, sha256="cd" * 32 if s == "evidence" else None,
                                   evidence_id=files[0].id if files and s == "evidence" else None,
                                   detail=p) for i, (s, p) in enumerate(_PROBLEMS)])
        for locale in LOCALES:
            presented = present_evaluation(evaluation, compiled.ruleset, locale)
            common = {"case": facts, "evaluation": presented, "catalogue": compiled.ruleset.catalogue,
                      "locale": locale, "now": scenario.as_of}
            _write(out, path.stem, locale, build_dossier(events=plain, files=[], report=ok, **common))
            full = build_dossier(events=noted, files=files, report=failed, **common)
            note = limits_note(locale, total=len(plain) + 5, shown=len(plain), shortened=True,
                               max_note_chars=1000, max_total_note_chars=50_000)
            _write(out, path.stem + ".full", locale, full.model_copy(update={"limits_note": note}))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
