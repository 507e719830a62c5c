"""Health, HTTP edge: liveness says the process runs; readiness says it can serve."""

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db.migrate import is_at_head
from app.edge.contract import problems
from app.errors import ServiceUnavailable

router = APIRouter(tags=["health"])
# Load balancers and clients poll readiness; a few seconds is enough for a restart or a migration.
_RETRY = {"Retry-After": "5"}


class Health(BaseModel):
    status: str


class PdfStatus(BaseModel):
    available: bool
    missing_packages: list[str] = Field(description="Debian packages to install for PDF dossiers")
    detail: str


class Readiness(BaseModel):
    status: Literal["ready", "degraded"] = Field(
        description="`degraded`: the API serves, but PDF dossiers answer 503 until `pdf` is fixed, "
                    "or Redis is down and requests go through unthrottled")
    database: str
    migrations: str
    redis: str = Field(description="up, down, or not_configured (rate limits counted per process)")
    ruleset_version: str
    ruleset_hash: str
    pdf: PdfStatus


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses=problems(503))
def readyz(request: Request) -> Readiness:
    """The database answers, its schema is current, the rules are loaded; how Redis is, and
    whether PDFs can be drawn."""
    engine = request.app.state.engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        at_head = is_at_head(engine)
    except SQLAlchemyError as exc:
        raise ServiceUnavailable("The database is not reachable.", database="down",
                                 headers=_RETRY) from exc
    if not at_head:
        raise ServiceUnavailable("The database schema is not current: run `stuckfunds migrate`.",
                                 database="up", migrations="behind", headers=_RETRY)
    limiter = request.app.state.rate_limiter
    reachable = limiter.reachable()
    redis = "not_configured" if reachable is None else "up" if reachable else "down"
    if redis == "down" and limiter.refuse_when_down:
        raise ServiceUnavailable("Redis is not reachable, and requests are refused until it is.",
                                 database="up", migrations="current", redis="down",
                                 headers={"Retry-After": "5"})
    ruleset = request.app.state.ruleset.ruleset
    # A missing font costs the PDF route only, so the server stays in service (200) and says so.
    pdf = request.app.state.pdf_readiness()  # app.dossier.render_pdf's, set by app.main
    return Readiness(status="ready" if pdf.available and redis != "down" else "degraded",
                     database="up", migrations="current", redis=redis,
                     ruleset_version=ruleset.version, ruleset_hash=ruleset.hash,
                     pdf=PdfStatus(available=pdf.available, missing_packages=list(pdf.missing_packages),
                                   detail=pdf.detail))
