"""Peer signals, shapes: a platform's signals as a client sees them — bucketed counts, never cases."""

from pydantic import BaseModel, Field

Bucket = str | None
BUCKET_DOC = ('A range such as "5–9", "10–49" or "50+"; null when fewer than the thresholds '
              "(STUCKFUNDS_PEER_MIN_CASES cases from STUCKFUNDS_PEER_MIN_CLIENTS client apps) stand behind it")


class PlatformSignalsRead(BaseModel):
    """What other cases on one platform report over the window, thresholded and bucketed."""

    enabled: bool = Field(description="False when this deployment has peer signals switched off")
    window_days: int | None = Field(description="The rolling window counted, in days")
    shown: bool = Field(description="True when at least one signal reaches the thresholds")
    cases_stuck: Bucket = Field(description="Open cases whose withdrawal is stuck. " + BUCKET_DOC)
    same_excuse: dict[str, str] = Field(
        description="Open cases given each kind of notice (channel_maintenance, risk_review, "
                    "system_upgrade, other), only the kinds that reach the thresholds")
    fee_demands: Bucket = Field(description="Cases reporting a demand for money to release a withdrawal. "
                                + BUCKET_DOC)
    hard_flags: Bucket = Field(description="Cases with any hard red flag (fraud signs). " + BUCKET_DOC)
    paid_out: Bucket = Field(description="Cases paid in full. " + BUCKET_DOC)
    clients: Bucket = Field(description="Distinct client apps behind the signals shown, as a range")
