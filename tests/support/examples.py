"""Test data: the smallest valid `data` of every event type, shared by the schema and API tests."""

from typing import Any

# The smallest valid `data` of each type, as a client would post it; None leaves `data` out (the
# type needs none). Keyed by type so that a type added to the union without an example fails.
EXAMPLES: dict[str, dict[str, Any] | None] = {
    "notice_posted": {"notice_kind": "channel_maintenance"},
    "notice_changed": {"change": "edited"},
    "regulator_checked": {"found_related_notice": False},
    "peers_checked": {"peers_affected": False},
    "license_checked": {"licensed": True},
    "evidence_saved": {"kind": "notice_screenshot"},
    "support_contacted": {"channel": "phone"},
    "urgency_stated": {"reason": "medical"},
    "withdrawal_attempted": {"result": "failed"},
    "funds_received": {"amount": "30000.00"},
    "fee_demanded": {"fee_kind": "unfreeze"},
    "payment_instruction_received": {"destination": "personal_account"},
    "credentials_requested": {"what": "verification_code"},
    "recovery_offer_received": {"fee_requested": True},
    "refund_notice_received": None,
    "agent_solicitation": {"fee_requested": True},
    "account_restricted": {"restriction": "frozen"},
    "platform_trait_observed": {"trait": "betting_context"},
    "complaint_filed": {"authority": "hotline_12378"},
    "complaint_forwarded": {"authority": "nfra_branch"},
    "extension_notified": {"new_deadline_at": "2099-01-01T00:00:00Z"},
    "decision_received": {"outcome": "rejected"},
    "mediation_started": None,
    "mediation_ended": {"settled": False},
    "lawyer_consulted": None,
    "lawsuit_filed": None,
    "police_report_filed": None,
    "case_closed": {"reason": "withdrawn"},
    "note_added": {"text": "客服工号0371，问到具体日期就挂断了。"},
}
