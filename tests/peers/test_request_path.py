"""Peer signals on the request path: what an event post sends when they are on (the default).

The stored evaluation and intake are not carried on the rows of the case's log; peer signals
need both, and they come in one statement together (not one each).
"""

from app.db.statements import counting
from tests.support.payloads import event, intake


def test_an_event_post_with_peer_signals_reads_the_documents_once(peer_app, new_partner, platform):
    partner = new_partner()
    opened = partner.post("/v1/cases", json=intake(platform={"name": platform, "kind": "insurer"}))
    assert opened.status_code == 201, opened.text
    url = f"/v1/cases/{opened.json()['id']}/events"
    note = event("urgency_stated", {"reason": "debt"})
    for _ in range(2):  # the key cached, the platform's counts read and cached, its signals recorded
        assert partner.post(url, json=note).status_code == 201
    with counting(peer_app.state.engine) as log:
        answer = partner.post(url, json=note)
    assert answer.status_code == 201, answer.text
    # BEGIN, the case locked with its log, the event, the evaluation and intake (for the peer
    # snapshot), the audit entry, the case's projection, COMMIT.
    assert log.kinds() == ["BEGIN", "SELECT", "INSERT", "SELECT", "INSERT", "UPDATE", "COMMIT"], log.statements
    assert log.statements[3].count("evaluation") == 1 and "intake" in log.statements[3]
    assert answer.json()["evaluation"]["peers"] is not None
