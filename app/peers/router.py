"""Peer signals, HTTP edge: ask what others report about a platform before opening a case."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.edge.auth import CurrentCaller
from app.edge.deps import Now
from app.edge.session import ReadSession
from app.errors import InvalidRequest
from app.evaluation.peers import bucket_label
from app.peers import service
from app.peers.dependencies import PeerSettings
from app.peers.identity import (
    APP_ID_PATTERN,
    DOMAIN_PATTERN,
    normalize_app_id,
    normalize_domain,
    normalize_name,
)
from app.peers.schemas import PlatformSignalsRead

router = APIRouter(prefix="/v1", tags=["platforms"])


def _label(floor: int) -> str | None:
    return bucket_label(floor) if floor else None


@router.get("/platforms/signals", response_model=PlatformSignalsRead)
def platform_signals(
    caller: CurrentCaller, session: ReadSession, now: Now, peers: PeerSettings,
    name: Annotated[str | None, Query(min_length=1, max_length=200,
                                      description="The platform's name as users write it")] = None,
    app_id: Annotated[str | None, Query(min_length=2, max_length=150, pattern=APP_ID_PATTERN,
                                        description="The app's package or bundle id")] = None,
    domain: Annotated[str | None, Query(min_length=4, max_length=253, pattern=DOMAIN_PATTERN,
                                        description="The platform's web domain (xn-- form for an "
                                                    "internationalized one)")] = None,
) -> PlatformSignalsRead:
    """What other cases report about a platform (by name, app id or domain): bucketed, never a case.

    Give at least one of `name`, `app_id` and `domain` (422 `invalid-request` otherwise, or for a
    name with no letter or digit in it).

    Lets an app warn a user before they pay anything: "cases on this platform report an unlock fee".
    """
    if name is None and app_id is None and domain is None:
        raise InvalidRequest("Name the platform: give name, app_id or domain.", field="name")
    if name is not None and not normalize_name(name):
        raise InvalidRequest("The name has no letters or digits.", field="name")
    for field, value, check in (("app_id", app_id, normalize_app_id), ("domain", domain, normalize_domain)):
        if value is not None:
            try:
                check(value)
            except ValueError as exc:
                raise InvalidRequest(f"{field}: {exc}.", field=field) from exc
    snapshot = service.platform_signals(session=session, name=name, app_id=app_id, domain=domain,
                                        policy=peers, now=now)
    if snapshot is None:
        return PlatformSignalsRead(enabled=False, window_days=None, shown=False, cases_stuck=None,
                                   same_excuse={}, fee_demands=None, hard_flags=None, paid_out=None,
                                   clients=None)
    return PlatformSignalsRead(
        enabled=True, window_days=snapshot.window_days,
        shown=any((snapshot.cases_stuck, snapshot.same_excuse, snapshot.fee_demands,
                   snapshot.hard_flags, snapshot.paid_out)),
        cases_stuck=_label(snapshot.cases_stuck),
        same_excuse={kind: bucket_label(floor) for kind, floor in snapshot.same_excuse.items()},
        fee_demands=_label(snapshot.fee_demands), hard_flags=_label(snapshot.hard_flags),
        paid_out=_label(snapshot.paid_out), clients=_label(snapshot.clients),
    )
