"""Health, HTTP edge: liveness says the process runs; readiness says it can serve."""

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db.migrate import is_at_head
from app.problems import ServiceUnavailable, problem_responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str = Field(description="ready; degraded when Redis is down but requests still go through")
    database: str
    migrations: str
    redis: str = Field(description="up, down, or not_configured (rate limits counted per process)")
    ruleset_version: str
    ruleset_hash: str


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses=problem_responses(503))
def readyz(request: Request) -> Readiness:
    """The database answers, its schema is current, the rules are loaded; and how Redis is."""
    engine = request.app.state.engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        at_head = is_at_head(engine)
    except SQLAlchemyError as exc:
        raise ServiceUnavailable("The database is not reachable.", database="down") from exc
    if not at_head:
        raise ServiceUnavailable("The database schema is not current: run `stuckfunds migrate`.",
                                 database="up", migrations="behind")
    limiter = request.app.state.rate_limiter
    reachable = limiter.reachable()
    redis = "not_configured" if reachable is None else "up" if reachable else "down"
    if redis == "down" and limiter.refuse_when_down:
        raise ServiceUnavailable("Redis is not reachable, and requests are refused until it is.",
                                 database="up", migrations="current", redis="down",
                                 headers={"Retry-After": "5"})
    ruleset = request.app.state.ruleset.ruleset
    return Readiness(status="degraded" if redis == "down" else "ready", database="up",
                     migrations="current", redis=redis, ruleset_version=ruleset.version,
                     ruleset_hash=ruleset.hash)
