"""Peer signals on the request path: what an event post sends when they are on (the default).

The stored evaluation and intake are not carried on the rows of the case's log; what peer
signals need of them (the platform's app id and domain, what the case added before) rides on
the same statement that locks the case, so the signals cost an event post no statement of its own.
"""

from app.db.statements import counting
from tests.support.payloads import event, intake


def test_an_event_post_with_peer_signals_sends_no_statement_of_its_own(peer_app, new_partner, platform):
    partner = new_partner()
    opened = partner.post("/v1/cases", json=intake(platform={"name": platform, "kind": "insurer",
                                                             "app_id": "com.example.wealth"}))
    assert opened.status_code == 201, opened.text
    url = f"/v1/cases/{opened.json()['id']}/events"
    note = event("urgency_stated", {"reason": "debt"})
    for _ in range(2):  # the key cached, the platform's counts read and cached, its signals recorded
        assert partner.post(url, json=note).status_code == 201
    with counting(peer_app.state.engine) as log:
        answer = partner.post(url, json=note)
    assert answer.status_code == 201, answer.text
    # BEGIN, the case locked with its log (and the peer bits), the event, the audit entry, the
    # case's projection (on PostgreSQL one statement: app.db.held), COMMIT: the same as with the
    # signals off.
    writes = ["WITH"] if peer_app.state.engine.dialect.name == "postgresql" else ["INSERT", "INSERT", "UPDATE"]
    assert log.kinds() == ["BEGIN", "SELECT", *writes, "COMMIT"], log.statements
    assert answer.json()["evaluation"]["peers"] is not None
    assert answer.json()["evaluation"]["peer_contribution"] == opened.json()["evaluation"]["peer_contribution"]
