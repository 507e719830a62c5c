"""Request edge: strict models for opening a case (POST /v1/cases and the what-if intake)."""

from typing import Annotated, Literal

from pydantic import AfterValidator, StrictBool, StringConstraints

from app.locales import Locale
from app.peers.identity import APP_ID_PATTERN, DOMAIN_PATTERN, normalize_app_id, normalize_domain
from app.schemas import Money, PastOrNowDatetime, Schema

__all__ = ["CaseCreate", "PlatformIn"]


class PlatformIn(Schema):
    """The counterparty as the user knows it at intake; `licensed` stays null until checked."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    kind: Literal[
        "insurer",
        "bank",
        "insurance_intermediary",
        "consumer_finance",
        "broker",
        "payment",
        "investment",
        "lending",
        "gaming",
        "other",
        "unknown",
    ]
    # Three states on purpose: "not licensed" is a red flag (R4), "not known" is not.
    licensed: StrictBool | None = None
    # An app from a link or QR code is red flag R3, so the answer matters from the first evaluation.
    app_source: Literal["official_store", "link_or_qr", "website", "other", "unknown"] | None = None
    # Optional, for peer signals: other cases on the same platform are found by its name, and by
    # these where given (stored lower case; a domain as a host name, its "www." left out, an
    # internationalized one in its xn-- form).
    app_id: Annotated[str, StringConstraints(min_length=2, max_length=150, pattern=APP_ID_PATTERN),
                      AfterValidator(normalize_app_id)] | None = None
    domain: Annotated[str, StringConstraints(min_length=4, max_length=253, pattern=DOMAIN_PATTERN),
                      AfterValidator(normalize_domain)] | None = None


class CaseCreate(Schema):
    platform: PlatformIn
    amount: Money
    # ISO 4217 style; upper case only, so "cny" and "CNY" never become two currencies in reports.
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "CNY"
    # The first refused withdrawal starts the "days without payout" clock.
    withdrawal_requested_at: PastOrNowDatetime
    province: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = None
    locale: Locale | None = None
    # The client's own id for the case; uniqueness per client is enforced where cases are stored.
    external_ref: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
