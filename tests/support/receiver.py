"""Test support: a real webhook receiver on 127.0.0.1 that checks signatures and misbehaves on cue.

It verifies every request with the subscription's secret (`standardwebhooks`), answers from a
script (500, a hang past the sender's timeout, 429 with Retry-After, 410...) and then 200, and
keeps two views: every request as it arrived, and the messages it accepted, de-duplicated by
`webhook-id` the way a careful receiver does.
"""

import ssl
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a status, extra headers, and how long to sleep before answering."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def fail(status: int = 500) -> Reply:
    return Reply(status)


def too_many(retry_after: int) -> Reply:
    return Reply(429, {"Retry-After": str(retry_after)})


def hang(seconds: float) -> Reply:
    """Take the message, then answer 200 only after the sender's timeout: the sender sees a
    failure and sends it again, which the receiver must recognise as a duplicate."""
    return Reply(200, delay=seconds)


def gone() -> Reply:
    return Reply(410)


@dataclass(frozen=True)
class Request:
    """One request: its `webhook-id`, whether it verified, the answer given, when it arrived."""

    webhook_id: str | None
    verified: bool
    status: int
    payload: dict | None
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival


class Receiver:
    """A webhook receiver; set `secret` from the subscription's 201 before anything is sent."""

    def __init__(self, script: list[Reply] | None = None, secret: str | None = None, *,
                 bind: str = "127.0.0.1", port: int = 0, url_host: str | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        """Listen on `bind` (any 127.x address); `url_host` names it in `url` (a name the test
        resolves itself); with `ssl_context` it speaks HTTPS."""
        self.secret = secret
        self._script = list(script or [])
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self.requests: list[Request] = []
        # Messages accepted with a 2xx, first copy only: what the receiver's application acts on.
        self.messages: dict[str, dict] = {}
        self.accepted = Counter()  # webhook-id -> 2xx answers given (duplicates included)
        self._server = ThreadingHTTPServer((bind, port), self._handler())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        if ssl_context is not None:
            self._server.socket = ssl_context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        scheme = "https" if ssl_context is not None else "http"
        self.url = f"{scheme}://{url_host or bind}:{self.port}/hooks/stuckfunds"
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver",
                                        daemon=True)

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order, then 200 again."""
        with self._lock:
            self._script.extend(replies)

    @property
    def verified(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.verified]

    def of_type(self, kind: str) -> list[dict]:
        """Accepted, de-duplicated messages of one `type`, in the order they first arrived."""
        with self._lock:
            return [m for m in self.messages.values() if m["type"] == kind]

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        """Wait until `predicate(receiver)` holds, re-checking on each arrival; False on timeout."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._arrived:
                self._arrived.wait(min(remaining, 0.1))
        return True

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._script.pop(0) if self._script else Reply(200)

    def _record(self, request: Request) -> None:
        with self._arrived:
            self.requests.append(request)
            self.requests.sort(key=lambda r: r.at)  # a hung request is recorded late
            if request.verified and 200 <= request.status < 300:
                self.accepted[request.webhook_id] += 1
                self.messages.setdefault(request.webhook_id, request.payload)
            self._arrived.notify_all()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                payload, verified = None, False
                if receiver.secret:
                    try:
                        payload = Webhook(receiver.secret).verify(body, headers)
                        verified = True
                    except (WebhookVerificationError, ValueError):
                        pass
                # A request that does not verify is refused before the script is consulted.
                reply = receiver._next_reply() if verified else Reply(401)
                arrived = time.monotonic()
                if reply.delay:
                    time.sleep(reply.delay)
                receiver._record(Request(headers.get("webhook-id"), verified, reply.status, payload,
                                         headers, body, arrived))
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting (the "hang" reply)

            def log_message(self, *_args) -> None:
                pass

        return Handler

    def start(self) -> "Receiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def running_receiver(script: list[Reply] | None = None, **options) -> Iterator[Receiver]:
    receiver = Receiver(script, **options).start()
    try:
        yield receiver
    finally:
        receiver.stop()
