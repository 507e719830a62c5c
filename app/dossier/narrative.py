"""Dossier, words: one plain sentence per recorded event, in any locale (pure, no SQL).

What a sentence says is decided here, once for every language; how it is worded is in
app/dossier/locales/ (`sentences`, `fragments`, `values`).
"""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from app.dossier.texts import label, money, text, texts, when
from app.locales import Locale

Data = Mapping[str, Any]


def value(locale: Locale, group: str, key: str | None) -> str:
    if key is None:
        return label(locale, "channel", None)  # "not stated"
    return texts(locale)["values"][group].get(key, key)


def _f(locale: Locale, key: str, condition: Any = True, **values: object) -> str:
    """A fragment of a sentence, or nothing when the record lacks what it states."""
    return text(locale, "fragments", key, **values) if condition else ""


def _fmt(locale: Locale, key: str) -> str:
    return text(locale, "format", key)


def _ref(d: Data, loc: str) -> str:
    return _f(loc, "reference", d.get("reference"), reference=d.get("reference"))


def _dt(raw: Any) -> datetime:
    return raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw).replace("Z", "+00:00"))


def _m(d: Data, loc: str, cur: str) -> str:
    return money(d.get("amount"), cur, loc) if d.get("amount") else ""


def _notice(d: Data, loc: str, cur: str) -> str:
    parts = [text(loc, "sentences", "notice_posted", kind=value(loc, "notice_kind", d.get("notice_kind")))]
    if d.get("published_at"):
        parts.append(_f(loc, "published", when=when(_dt(d["published_at"]), loc)))
    if d.get("expected_end_at"):
        parts.append(_f(loc, "expected_end", when=when(_dt(d["expected_end_at"]), loc)))
    else:
        parts.append(_f(loc, "no_expected_end"))
    parts.append(_f(loc, "scope", scope=value(loc, "scope", d.get("scope"))))
    parts.append(_f(loc, "reason", reason=d["reason"]) if d.get("reason") else _f(loc, "no_reason"))
    if d.get("channel_name"):
        parts.append(_f(loc, "channel_name", channel=d["channel_name"]))
    return _fmt(loc, "clause_separator").join(parts) + _fmt(loc, "sentence_end")


def _support(d: Data, loc: str, cur: str) -> str:
    return text(loc, "sentences", "support_contacted", channel=label(loc, "channel", d.get("channel")),
                agent=_f(loc, "agent", d.get("agent_id"), agent=d.get("agent_id")), answer=answer(d, loc))


def answer(d: Data, loc: str) -> str:
    """What support answered, as the contact table's last column."""
    kind = d.get("explanation_kind")
    parts = [_f(loc, "explanation", explanation=label(loc, "explanation", kind)) if kind
             else _f(loc, "no_explanation")]
    given = d.get("details_given") or {}
    refused = [k for k in ("channel", "maintainer", "criteria", "duration") if given.get(k) is False]
    if refused:
        parts.append(_f(loc, "refused", details=_fmt(loc, "list_separator").join(
            value(loc, "refused_detail", k) for k in refused)))
    if d.get("promised_resolution_at"):
        parts.append(_f(loc, "promised", due=when(_dt(d["promised_resolution_at"]), loc)))
        if d.get("in_writing") is True:
            parts.append(_f(loc, "in_writing"))
        elif d.get("in_writing") is False:
            parts.append(_f(loc, "spoken_only"))
    else:
        parts.append(_f(loc, "no_date"))
    if d.get("recorded") is True:
        parts.append(_f(loc, "recorded"))
    return _fmt(loc, "clause_separator").join(parts)


def _full(d: Data, loc: str) -> str:
    return _f(loc, "full") if d.get("full") else _f(loc, "not_full", d.get("full") is False)


# What each event type's sentence is filled with: {placeholder: value} from (data, locale, currency).
# The wording of every language is in app/dossier/locales/<locale>.yaml under `sentences`.
Fill = Callable[[Data, str, str], dict[str, str]]
_FILLS: dict[str, Fill] = {
    "notice_changed": lambda d, l, c: {
        "change": value(l, "change", "edited" if d.get("change") == "edited" else "removed")},
    "regulator_checked": lambda d, l, c: {
        "found": value(l, "found", "found" if d.get("found_related_notice") else "not_found"),
        "source": _f(l, "source", d.get("source"), source=d.get("source"))},
    "peers_checked": lambda d, l, c: {
        "peers": value(l, "peers", "affected" if d.get("peers_affected") else "unaffected")},
    "license_checked": lambda d, l, c: {
        "licensed": value(l, "licensed", "licensed" if d.get("licensed") else "unlicensed"),
        "impersonates": _f(l, "impersonates", d.get("impersonates_licensed_firm"))},
    "evidence_saved": lambda d, l, c: {
        "kind": label(l, "evidence_kind", d.get("kind")),
        "sha": _f(l, "sha256", d.get("sha256"), sha=str(d.get("sha256"))[:16])},
    "urgency_stated": lambda d, l, c: {"reason": value(l, "urgency", d.get("reason"))},
    "withdrawal_attempted": lambda d, l, c: {
        "amount": _m(d, l, c) or _f(l, "the_money"), "result": value(l, "result", d.get("result"))},
    "funds_received": lambda d, l, c: {"amount": _m(d, l, c), "full": _full(d, l)},
    "fee_demanded": lambda d, l, c: {
        "fee": value(l, "fee_kind", d.get("fee_kind")),
        "amount": _f(l, "fee_amount", _m(d, l, c), amount=_m(d, l, c))},
    "payment_instruction_received": lambda d, l, c: {
        "amount": _m(d, l, c) or _f(l, "some_money"),
        "destination": value(l, "destination", d.get("destination")),
        "changes": _f(l, "account_changes", d.get("account_changes_each_time"))},
    "credentials_requested": lambda d, l, c: {"what": value(l, "what", d.get("what"))},
    "recovery_offer_received": lambda d, l, c: {
        "channel": _f(l, "recovery_channel", d.get("channel"), channel=d.get("channel")),
        "fee": _f(l, "fee_requested", d.get("fee_requested"))},
    "refund_notice_received": lambda d, l, c: {
        "authority": d.get("claims_authority") or _f(l, "an_authority"),
        "asks": _f(l, "asks_group_or_fee", d.get("asks_group_or_fee"))},
    "agent_solicitation": lambda d, l, c: {
        "fee": _f(l, "agent_fee", d.get("fee_requested")),
        "coaching": _f(l, "coaching", d.get("coaching_false_claims"))},
    "account_restricted": lambda d, l, c: {"restriction": value(l, "restriction", d.get("restriction"))},
    "platform_trait_observed": lambda d, l, c: {"trait": value(l, "trait", d.get("trait"))},
    "complaint_filed": lambda d, l, c: {"authority": label(l, "authority", d.get("authority")),
                                        "ref": _ref(d, l)},
    "complaint_forwarded": lambda d, l, c: {"authority": label(l, "authority", d.get("authority")),
                                            "ref": _ref(d, l)},
    "extension_notified": lambda d, l, c: {"due": when(_dt(d["new_deadline_at"]), l)},
    "decision_received": lambda d, l, c: {
        "outcome": value(l, "outcome", d.get("outcome")),
        "no_reasons": _f(l, "no_reasons", d.get("reasons_given") is False),
        "no_remedies": _f(l, "no_remedies", d.get("remedies_listed") is False)},
    "mediation_started": lambda d, l, c: {"ref": _ref(d, l)},
    "mediation_ended": lambda d, l, c: {
        "settled": value(l, "settled", "settled" if d.get("settled") else "unsettled")},
    "lawyer_consulted": lambda d, l, c: {"ref": _ref(d, l)},
    "lawsuit_filed": lambda d, l, c: {"ref": _ref(d, l)},
    "police_report_filed": lambda d, l, c: {"ref": _ref(d, l)},
    "case_closed": lambda d, l, c: {"reason": value(l, "reason", d.get("reason"))},
}


def plain_fill(d: Data, loc: str, cur: str) -> dict[str, str]:
    """The fill of a type that needs no code: each of the data's fields by its own name, a choice
    worded by `values.<field>` where the locale file has it, else as recorded (a new event type's
    sentence may name its fields, as note_added's names {text}, and needs nothing here)."""
    words = texts(loc)["values"]
    return {name: words.get(name, {}).get(raw, raw) if isinstance(raw, str) else str(raw)
            for name, raw in d.items() if raw is not None}
# The demands a police summary lists use the same fills, worded without their subject.
DEMANDS = ("fee_demanded", "payment_instruction_received", "credentials_requested")


def sentence(event_type: str, data: Data, locale: Locale, currency: str) -> str:
    """One sentence for one event; an unknown type (a newer API) is named rather than dropped."""
    if event_type == "notice_posted":
        return _notice(data, locale, currency)
    if event_type == "support_contacted":
        return _support(data, locale, currency)
    if event_type not in texts(locale)["sentences"]:
        return event_type
    fill = _FILLS.get(event_type, plain_fill)
    return text(locale, "sentences", event_type, **fill(data, locale, currency))


def demand(event_type: str, data: Data, locale: Locale, currency: str) -> str:
    """What the other side demanded, as a clause of the police summary (one of DEMANDS)."""
    return text(locale, "demands", event_type, **_FILLS[event_type](data, locale, currency))
