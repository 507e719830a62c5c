"""Web app, HTTP edge: the static page under /app (strict CSP), its languages, and the labels it reads from the rules.

The page works with a case token alone, so it cannot call the partner-only catalogue routes; the
few labels it shows beside an evaluation (status, risk, flags, guide steps) come from here, read
from the loaded ruleset, so the page never keeps a second copy of what the rules say.
"""

import json
import mimetypes
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Response
from pydantic import BaseModel
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app.dossier.texts import texts as app_texts
from app.edge.contract import problems
from app.edge.deps import CurrentRuleset, Locale
from app.locales import DEFAULT_LOCALE, LOCALES
from app.locales import Locale as Language

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Not in every system's MIME table; with nosniff a wrong type would make the browser refuse them.
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")

# Everything the page needs is served from here: no inline script or style, no other origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # The case token travels in the link's fragment, which browsers never send; nothing else
    # about the page should leave it either.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Revalidated on every load (ETag), so a release reaches phones at once; the service worker
    # keeps its own copy for offline use.
    "Cache-Control": "no-cache",
}

router = APIRouter(tags=["webapp"])


class WebAppLanguage(BaseModel):
    tag: Language
    name: str  # the language's name in itself, shown on the switch to it
    switch_label: str  # "switch to ...", in that language


class WebAppLanguages(BaseModel):
    default: Language
    languages: list[WebAppLanguage]


def load_languages(i18n_dir: Path) -> WebAppLanguages:
    """The page's languages: app/locales.py's list, each named by its own i18n/<tag>.json; a listed
    locale without its file or its name stops the start, and a file for an unlisted one is refused."""
    extra = {path.stem for path in i18n_dir.glob("*.json")} - set(LOCALES)
    if extra:
        raise RuntimeError(f"{i18n_dir}: files for languages not in app/locales.py: {sorted(extra)}")
    languages = []
    for tag in LOCALES:
        path = i18n_dir / f"{tag}.json"
        try:
            words = json.loads(path.read_text(encoding="utf-8"))
            name, switch_label = words["language_name"], words["language_switch_label"]
            if not (isinstance(name, str) and name and isinstance(switch_label, str) and switch_label):
                raise ValueError("language_name and language_switch_label must be texts")
            # The tag is one of LOCALES, the list the Locale type is built from.
            languages.append(WebAppLanguage.model_construct(tag=tag, name=name, switch_label=switch_label))
        except (OSError, ValueError, KeyError) as exc:
            raise RuntimeError(f"{path}: the web app's texts for {tag} cannot be read: {exc!r}") from exc
    return WebAppLanguages(default=DEFAULT_LOCALE, languages=languages)


LANGUAGES = load_languages(STATIC_DIR / "i18n")


@router.get("/app/languages.json", response_model=WebAppLanguages)
def webapp_languages(response: Response) -> WebAppLanguages:
    """The languages the page offers (the server's list), each with its own name, default first (public)."""
    response.headers.update(SECURITY_HEADERS)
    return LANGUAGES


class FlagLabel(BaseModel):
    kind: str
    title: str
    detail: str | None


class RiskLabel(BaseModel):
    label: str
    detail: str | None


class WebAppCatalogue(BaseModel):
    locale: Language
    statuses: dict[str, str]
    risk_levels: dict[str, RiskLabel]
    flags: dict[str, FlagLabel]
    guide_steps: dict[str, str]
    # The name of each event type in the page's "add" menu, in menu order (app/dossier/locales/).
    event_types: dict[str, str]


@router.get("/app/catalogue.json", response_model=WebAppCatalogue, responses=problems(422))
def webapp_catalogue(ruleset: CurrentRuleset, locale: Locale, response: Response,
                     lang: Annotated[Language | None, Query(description="Overrides Accept-Language")] = None,
                     ) -> WebAppCatalogue:
    """Labels for statuses, risk levels, flags and guide steps, read from the loaded rules, and the
    names of the event types (public)."""
    chosen = lang or locale or DEFAULT_LOCALE
    catalogue = ruleset.ruleset.catalogue
    response.headers.update(SECURITY_HEADERS)
    response.headers["Vary"] = "Accept-Language"
    return WebAppCatalogue(
        locale=chosen,
        statuses={k: v["label"][chosen] for k, v in catalogue.statuses.items()},
        risk_levels={k: RiskLabel(label=v["label"][chosen], detail=(v.get("detail") or {}).get(chosen))
                     for k, v in catalogue.risk_levels.items()},
        flags={k: FlagLabel(kind=v.get("kind", "signal"), title=v["title"][chosen],
                            detail=(v.get("detail") or {}).get(chosen))
               for k, v in catalogue.flags.items()},
        guide_steps={str(k): v["title"][chosen] for k, v in catalogue.guide_steps.items()},
        event_types=dict(app_texts(chosen)["event_types"]),
    )


class WebAppFiles(StaticFiles):
    """The page's files, each answered with the page's security headers."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


def install_webapp(app: FastAPI) -> None:
    """Serve the page at /app/ (the label route first, so the mount does not shadow it)."""
    app.include_router(router)
    app.mount("/app", WebAppFiles(directory=STATIC_DIR, html=True), name="webapp")
