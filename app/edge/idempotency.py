"""Request edge: Idempotency-Key for POSTs that create something.

The first request with a key claims it in a short transaction of its own (so a concurrent
retry sees it and gets 409), does its work, and stores its response in the same transaction
as the work itself. A retry with the same key and body gets that response again, byte for
byte, with `Idempotent-Replayed: true`; with another body, 422. If the work fails, the claim
is dropped; if the process dies, the claim's lease runs out and a retry may take over.

Stored answers are encrypted at rest (the webhook secrets' key): some carry a secret shown only
once, a new case token or a webhook signing secret, which must not sit readable in the database.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Annotated

import anyio
from cryptography.fernet import InvalidToken
from fastapi import Depends, Header, Request, Response
from sqlalchemy import delete, select
from starlette.concurrency import run_in_threadpool
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.edge.auth import Caller, any_caller
from app.db.models import IdempotencyRecord
from app.errors import Conflict, InvalidRequest
from app.settings import Settings
from app.keyring import decrypt, encrypt

CLAIM_LEASE = timedelta(seconds=60)  # the default of settings.idempotency_claim_lease_seconds
REPLAYED = "Idempotent-Replayed"


@dataclass
class Idempotency:
    """What a create route needs: a stored response to replay, or a claim to complete."""

    record_id: object | None = None
    replay: Response | None = None
    completed: bool = field(default=False)
    settings: Settings | None = None

    def complete(self, session: Session, response: Response) -> Response:
        """Store the response with the work, in the request's own transaction."""
        if self.record_id is not None:
            record = session.get(IdempotencyRecord, self.record_id)
            record.state = "completed"
            record.locked_until = None
            record.response_status = response.status_code
            record.response_headers = {k: v for k, v in response.headers.items()
                                       if k.lower() in ("location", "etag", "content-type")}
            record.response_body = _seal(self.settings, bytes(response.body))
            self.completed = True
        return response


class Fingerprint:
    """What makes two requests "the same": method, path and body bytes, hashed as they stream in.

    A multipart body's boundary is chosen afresh by most clients on every send, so it is
    taken out; the parts themselves must still match byte for byte. Fed chunk by chunk, an
    upload is never held whole just to be compared.
    """

    def __init__(self, method: str, path: str, content_type: str = "") -> None:
        self._hash = hashlib.sha256(method.encode() + b" " + path.encode() + b"\n")
        self._boundary = b""
        if content_type.startswith("multipart/") and "boundary=" in content_type:
            boundary = content_type.split("boundary=", 1)[1].split(";", 1)[0].strip().strip('"')
            self._boundary = boundary.encode("latin-1")
        self._tail = b""  # bytes that may be the start of a boundary cut by the chunking

    def update(self, chunk: bytes) -> None:
        if not self._boundary:
            self._hash.update(chunk)
            return
        data = self._tail + chunk
        rest = data.replace(self._boundary, b"<boundary>")
        # Hold back what could still grow into a boundary with the next chunk; the replacement
        # text itself never can, so only the bytes after the last replacement are at stake.
        last = data.rfind(self._boundary)
        unmatched = len(data) - (last + len(self._boundary)) if last >= 0 else len(data)
        keep = min(unmatched, len(self._boundary) - 1)
        self._hash.update(rest[:len(rest) - keep])
        self._tail = rest[len(rest) - keep:] if keep else b""

    def hexdigest(self) -> str:
        final = self._hash.copy()
        final.update(self._tail)
        return final.hexdigest()


def fingerprint_target(path: str, query: str) -> str:
    """The path as fingerprinted: the query string changes the answer (`?issue_token=true`)."""
    return path + (f"?{query}" if query else "")


def request_fingerprint(method: str, path: str, body: bytes, content_type: str = "") -> str:
    """The Fingerprint of a body already in hand."""
    fingerprint = Fingerprint(method, path, content_type)
    fingerprint.update(body)
    return fingerprint.hexdigest()


async def _body_fingerprint(request: Request) -> str | None:
    if not request.headers.get("idempotency-key"):
        return None  # nothing to compare, so the body is not read again
    # The body-limit middleware hashed it while it streamed in (uploads are spooled, not kept).
    streamed = getattr(request.state, "body_fingerprint", None)
    if streamed is not None:
        return streamed
    return request_fingerprint(request.method, fingerprint_target(request.url.path, request.url.query),
                               await request.body(), request.headers.get("content-type", ""))


IDEMPOTENCY_KEY_MAX_LENGTH = 255
IdempotencyKey = Annotated[str | None, Header(
    max_length=IDEMPOTENCY_KEY_MAX_LENGTH, description="Any unique string (a UUID is best); retries reuse it")]


async def claim_key(request: Request, caller: Caller, idempotency_key: str | None) -> Idempotency:
    """The request's claim on its Idempotency-Key (or a replay); none without a key.

    Async: a request without a key costs no trip to the thread pool; the claim and its release,
    each a short transaction of its own, run in one. A claim taken is settled on the route's own
    exit stack (FastAPI's, of `scope="function"` dependencies), as a `yield` dependency would be,
    before the answer is sent: freed if the route failed or did not complete it. A request without
    a key, the common one, pays for no exit at all.
    """
    if not idempotency_key:
        return Idempotency()
    fingerprint = await _body_fingerprint(request)
    state = request.app.state
    now = datetime.now(timezone.utc)
    guard = await run_in_threadpool(
        _claim, state.write_sessions, caller.scope, idempotency_key, fingerprint, now,
        timedelta(hours=state.settings.idempotency_ttl_hours), state.settings,
        lease=timedelta(seconds=state.settings.idempotency_claim_lease_seconds))
    if guard.record_id is not None:
        request.scope["fastapi_function_astack"].push_async_exit(
            lambda kind, error, trace: _settle(state.write_sessions, guard, failed=kind is not None))
    return guard


async def _settle(sessions, guard: Idempotency, *, failed: bool) -> bool:
    if failed:
        with anyio.CancelScope(shield=True):  # a client that left still frees its claim
            await run_in_threadpool(_release, sessions, guard.record_id)
    elif not guard.completed:
        await run_in_threadpool(_release, sessions, guard.record_id)
    return False  # an error goes on to its handler


async def idempotency(request: Request, caller: Annotated[Caller, Depends(any_caller)],
                      idempotency_key: IdempotencyKey = None) -> Idempotency:
    return await claim_key(request, caller, idempotency_key)


def _seal(settings: Settings | None, body: bytes) -> bytes:
    # latin-1 maps bytes to code points one to one, so any body survives the str-based cipher.
    return body if settings is None else encrypt(settings, body.decode("latin-1")).encode()


def _open(settings: Settings | None, stored: bytes) -> bytes:
    if settings is None:
        return stored
    try:
        return decrypt(settings, stored.decode()).encode("latin-1")
    except (InvalidToken, UnicodeError) as exc:
        raise Conflict("The first answer to this Idempotency-Key can no longer be read (the "
                       "service's secret key changed); send the request again with a new key.") from exc


def _claim(sessions, scope: str, key: str, fingerprint: str, now: datetime,
           ttl: timedelta, settings: Settings | None = None, *,
           lease: timedelta = CLAIM_LEASE) -> Idempotency:
    for _attempt in range(2):
        try:
            with sessions() as session, session.begin():
                record = session.scalars(select(IdempotencyRecord).where(
                    IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
                    .with_for_update()).first()
                if record is None:
                    record = IdempotencyRecord(scope=scope, key=key, request_hash=fingerprint,
                                               state="in_progress", locked_until=now + lease,
                                               created_at=now, expires_at=now + ttl)
                    session.add(record)
                    session.flush()
                    return Idempotency(record_id=record.id, settings=settings)
                if record.request_hash != fingerprint:
                    raise InvalidRequest("This Idempotency-Key was used with a different request.",
                                         field="header.Idempotency-Key", reason="idempotency-key-reused")
                if record.state == "completed":
                    headers = {**(record.response_headers or {}), REPLAYED: "true"}
                    return Idempotency(replay=Response(_open(settings, record.response_body),
                                                       record.response_status, headers=headers))
                if record.locked_until and record.locked_until > now:
                    raise Conflict("A request with this Idempotency-Key is still being processed; "
                                   "retry shortly.", headers={"Retry-After": "1"})
                record.locked_until = now + lease  # the first holder died: take over
                return Idempotency(record_id=record.id, settings=settings)
        except IntegrityError:
            continue  # another request inserted the same key first: read what it left
    raise Conflict("A request with this Idempotency-Key is still being processed; retry shortly.",
                   headers={"Retry-After": "1"})


def _release(sessions, record_id) -> None:
    with sessions() as session, session.begin():
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id,
                                                        IdempotencyRecord.state == "in_progress"))


def purge_expired(session: Session, now: datetime) -> int:
    """Forget keys past their retention (the worker calls this)."""
    return session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < now)).rowcount


IdempotencyGuard = Annotated[Idempotency, Depends(idempotency)]
