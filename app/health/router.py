"""Health, HTTP edge: liveness says the process runs; readiness says it can serve."""

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db.migrate import is_at_head
from app.contract import problems
from app.problems import ServiceUnavailable

router = APIRouter(tags=["health"])
# Load balancers and clients poll readiness; a few seconds is enough for a restart or a migration.
_RETRY = {"Retry-After": "5"}


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    migrations: str
    ruleset_version: str
    ruleset_hash: str


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses=problems(503))
def readyz(request: Request) -> Readiness:
    """The database answers, its schema is current and the rules are loaded."""
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
    ruleset = request.app.state.ruleset.ruleset
    return Readiness(status="ready", database="up", migrations="current",
                     ruleset_version=ruleset.version, ruleset_hash=ruleset.hash)
