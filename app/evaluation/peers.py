"""Evaluation, peer signals: a peer snapshot into facts, and what a case adds to its platform's signals.

Pure bookkeeping like the folds: the snapshot arrives already thresholded and bucketed (the
peers service reads the counters and the settings); which counts matter is for the rules to say.
"""

from typing import Any

from app.evaluation.model import PEER_BUCKET_EDGES, PeerSnapshot

# Fact name → the snapshot's field; `peer_same_excuse` is picked by the case's own notice kind.
PEER_FACTS = {
    "peer_cases_stuck": "cases_stuck",
    "peer_same_excuse": "same_excuse",
    "peer_fee_demands": "fee_demands",
    "peer_hard_flags": "hard_flags",
    "peer_paid_out": "paid_out",
    "peer_clients": "clients",
}
NO_EXCUSE = ("none", "unknown")


def peer_facts(snapshot: PeerSnapshot | None, notice_kind: str) -> dict[str, int]:
    """The peer facts for one evaluation: all 0 without a snapshot (signals off or not shown)."""
    if snapshot is None:
        return dict.fromkeys(PEER_FACTS, 0)
    values = {fact: getattr(snapshot, name) for fact, name in PEER_FACTS.items() if name != "same_excuse"}
    values["peer_same_excuse"] = 0 if notice_kind in NO_EXCUSE else snapshot.same_excuse.get(notice_kind, 0)
    return values


def contribution(facts: dict[str, Any], *, open_case: bool, hard_flags: tuple[str, ...]) -> list[str]:
    """The signals this case adds to its platform's counters, read from its own evaluation.

    `stuck` while the case is open (a case is opened because a withdrawal did not arrive);
    `excuse:<kind>` while open with a notice; `fee_demand` with red flag R1 (money demanded to
    release the withdrawal); `hard_flag` with any hard flag; `paid_out` once the status is resolved.
    """
    signals = []
    if open_case:
        signals.append("stuck")
        if facts["notice_kind"] not in NO_EXCUSE:
            signals.append(f"excuse:{facts['notice_kind']}")
    if facts.get("R1"):
        signals.append("fee_demand")
    if any(facts[flag] for flag in hard_flags):
        signals.append("hard_flag")
    if facts["status"] == "resolved":
        signals.append("paid_out")
    return signals


def bucket_floor(count: int, minimum: int) -> int:
    """The floor of the bucket `count` falls in, or 0 below `minimum` (nothing shown)."""
    if count < minimum:
        return 0
    return max([minimum] + [edge for edge in PEER_BUCKET_EDGES if edge <= count])


def bucket_label(floor: int) -> str:
    """A bucket floor as people read it: "5–9", "10–49", "50+"."""
    upper = [edge for edge in PEER_BUCKET_EDGES if edge > floor]
    return f"{floor}–{upper[0] - 1}" if upper else f"{floor}+"


def peer_reason(facts_used: tuple[str, ...], values: dict[str, Any]) -> dict[str, str] | None:
    """`because.peer_signal` of a rule that read peer facts: the bucketed counts it rested on."""
    counts = {fact.removeprefix("peer_"): bucket_label(values[fact])
              for fact in facts_used if fact in PEER_FACTS and values[fact] > 0}
    return counts or None
