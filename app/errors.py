"""Errors: domain exceptions with a status and a stable code; app.edge.problems renders them.

They sit below the services that raise them, so a service never imports the HTTP edge.
"""

from typing import Any


class ProblemError(Exception):
    status = 500
    code = "internal-error"
    title = "Internal server error"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


class Forbidden(ProblemError):
    status, code, title = 403, "forbidden", "Not allowed with this credential"


class TooManyRequests(ProblemError):
    status, code, title = 429, "rate-limited", "Too many requests"


class PreconditionFailed(ProblemError):
    status, code, title = 412, "precondition-failed", "The case has changed"


class PreconditionRequired(ProblemError):
    status, code, title = 428, "precondition-required", "If-Match is required"


class NotFound(ProblemError):
    status, code, title = 404, "not-found", "Not found"


class Unauthorized(ProblemError):
    status, code, title = 401, "unauthorized", "Missing or invalid credentials"


class Conflict(ProblemError):
    status, code, title = 409, "conflict", "Conflict"


class InvalidRequest(ProblemError):
    status, code, title = 422, "invalid-request", "The request is not valid"


class ServiceUnavailable(ProblemError):
    status, code, title = 503, "unavailable", "Service unavailable"


class PayloadTooLarge(ProblemError):
    status, code, title = 413, "payload-too-large", "The upload is too large"


class UnsupportedMediaType(ProblemError):
    status, code, title = 415, "unsupported-media-type", "This type of file is not accepted"


class CaseNotFound(NotFound):
    # Another client's case, or one a case token does not reach, is indistinguishable from a
    # missing one: all three are this one answer.
    status, code, title = 404, "case-not-found", "No such case"

    def __init__(self) -> None:
        super().__init__("No such case.")
