"""Request edge: dependencies every feature shares (the ruleset, the clock, the language).

All `async`: none does blocking I/O, so none costs a trip to the thread pool.
"""

import inspect
from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.exceptions import RequestValidationError

from app.evaluation import CompiledRuleset
from app.locales import Locale as Language, pick_locale


async def get_ruleset(request: Request) -> CompiledRuleset:
    return request.app.state.ruleset


def warning_lead_of(settings) -> timedelta:
    """How long before a deadline clients are told it is approaching (STUCKFUNDS_DEADLINE_WARNING_HOURS)."""
    return timedelta(hours=settings.deadline_warning_hours)


async def get_warning_lead(request: Request) -> timedelta:
    """How long before a deadline clients are told it is approaching."""
    return warning_lead_of(request.app.state.settings)


async def get_max_events(request: Request) -> int:
    """How many events one case may hold (STUCKFUNDS_CASE_MAX_EVENTS)."""
    return request.app.state.settings.case_max_events


async def get_now() -> datetime:
    """The wall clock, read once per request; tests replace it to move time."""
    return datetime.now(timezone.utc)


async def now_of(request: Request) -> datetime:
    """`get_now` read inside another dependency, so the clock is no node of its own to solve.

    A clock a test put in its place (`app.dependency_overrides[get_now]`) is still the one read.
    """
    now = request.app.dependency_overrides.get(get_now, get_now)()
    return await now if inspect.isawaitable(now) else now


AcceptLanguage = Annotated[str | None, Header()]


async def get_locale(accept_language: AcceptLanguage = None) -> Language | None:
    """A locale from Accept-Language; None when the client did not say (the case decides)."""
    return pick_locale(accept_language) if accept_language else None


async def get_raw_body(request: Request) -> dict:
    """The JSON body exactly as posted, kept beside the parsed event for audits."""
    try:
        body = await request.json()
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        # FastAPI refuses malformed JSON itself only when the content type says JSON; an empty body
        # or a text/plain one gets here first and must be the same 422, not a 500.
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error", "input": None}]
        ) from exc
    return body if isinstance(body, dict) else {"body": body}


CurrentRuleset = Annotated[CompiledRuleset, Depends(get_ruleset)]
Now = Annotated[datetime, Depends(get_now)]
WarningLead = Annotated[timedelta, Depends(get_warning_lead)]
MaxEvents = Annotated[int, Depends(get_max_events)]
Locale = Annotated[Language | None, Depends(get_locale)]
