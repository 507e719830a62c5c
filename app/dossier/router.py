"""Dossier, HTTP edge: the case written up as PDF (default), Markdown or JSON, in any locale."""

from datetime import datetime
from typing import Annotated, Literal

import anyio.from_thread
from fastapi import APIRouter, Header, Query, Request, Response

from app.cases.dependencies import CaseForCaller
from app.edge.session import ReadSession
from app.edge.deps import CurrentRuleset, Locale, Now
from app.db.models import Case
from app.dossier import render_markdown, render_pdf, service
from app.dossier.model import Dossier
from app.evidence.storage import LocalEvidenceStore
from app.edge.contract import answers, binary, problems, schema_of
from app.locales import DEFAULT_LOCALE
from app.locales import Locale as Language

# Open to the end user's case token too (the web app's "download for the regulator"):
# CaseForCaller: a case token reaches its own case's dossier only.
router = APIRouter(prefix="/v1", tags=["dossier"])
Format = Literal["pdf", "markdown", "json"]
_MEDIA = {"pdf": "application/pdf", "markdown": "text/markdown; charset=utf-8",
          "json": "application/json"}


def _format_from_accept(accept: str | None) -> Format:
    # Only an explicit ask for Markdown or JSON changes the default; */* and browsers get the PDF.
    accept = (accept or "").lower()
    if "text/markdown" in accept and "application/pdf" not in accept:
        return "markdown"
    if "application/json" in accept and "application/pdf" not in accept:
        return "json"
    return "pdf"

# The route's own 503 besides the database's: a PDF asked for on a server without its font.
_PDF_UNAVAILABLE = {503: {**problems(503)[503], "description": (
    "`pdf-unavailable`: this server lacks a package the PDF needs (named in `missing_packages`, "
    "as in /readyz), so it sends no PDF of empty boxes; Markdown and JSON still work. "
    "Or the database is not reachable: retry after `Retry-After` seconds")}}


def _cache_key(case: Case, ruleset: CurrentRuleset, language: Language) -> tuple:
    # Everything the document is made of that can change without the clock: a new event or
    # edit (version), a sweep's new evaluation (evaluated_at), new rules, the language.
    return (case.id, case.version, case.evaluated_at, ruleset.ruleset.hash, language)


def _seconds_until(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else (moment - now).total_seconds()


@router.get(
    "/cases/{case_id}/dossier", response_class=Response,
    responses={**answers(200, "The dossier: PDF by default; Markdown or JSON with `format` or Accept",
                         headers=("Content-Language", "Content-Disposition", "Vary", "Cache-Control"),
                         content={**binary("application/pdf"),
                                  "text/markdown": {"schema": {"type": "string"}},
                                  "application/json": schema_of(Dossier)}),
               **problems(404), **_PDF_UNAVAILABLE})
def get_dossier(
    case: CaseForCaller, session: ReadSession, ruleset: CurrentRuleset,
    now: Now, locale: Locale, request: Request,
    format: Annotated[Format | None, Query(description="Overrides Accept; default pdf")] = None,
    lang: Annotated[Language | None, Query(description="Overrides Accept-Language")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """The case written up for the regulator, 12378 or an association (a police summary on the fraud track)."""
    settings = request.app.state.settings
    # Chinese unless English is asked for: the readers are Chinese offices, whatever the app's locale.
    language = lang or locale or DEFAULT_LOCALE
    chosen = format or _format_from_accept(accept)
    cache = request.app.state.dossier_cache
    key = _cache_key(case, ruleset, language)
    body = cache.get(key) if chosen == "pdf" else None
    if body is None:
        dossier = service.dossier_for_case(
            session=session, store=LocalEvidenceStore(settings.evidence_dir), case=case,
            ruleset=ruleset, now=now, locale=language, max_events=settings.dossier_max_events,
            max_note_chars=settings.dossier_max_note_chars,
            max_total_note_chars=settings.dossier_max_total_note_chars)
        if chosen == "json":
            body = dossier.model_dump_json().encode()
        elif chosen == "markdown":
            body = render_markdown.to_markdown(dossier).encode("utf-8")
        else:
            render_pdf.ensure_available()
            # In a child process with a time and memory limit; stopped if the client goes away.
            body = request.app.state.dossier_renderer.render(
                render_pdf.to_html(dossier),
                client_gone=lambda: anyio.from_thread.run(request.is_disconnected))
            cache.put(key, body, valid_for=_seconds_until(case.next_transition_at, now))
    extension = {"pdf": "pdf", "markdown": "md", "json": "json"}[chosen]
    return Response(body, media_type=_MEDIA[chosen], headers={
        "Content-Language": language,
        "Content-Disposition": f'inline; filename="dossier-{case.id}.{extension}"',
        "Vary": "Accept, Accept-Language",
        "Cache-Control": "private, no-store",
    })
