"""One fold of a log serves every instant: `conclude` never changes the fold it is given.

evaluate() folds a case's log once and concludes it at `as_of` and at each next_transition_at
probe; each must be what a fresh `derive` at that instant gives. Checked on every scenario
beside the rules, at instants out of order (later, earlier, the same again).
"""

from datetime import timedelta
from pathlib import Path

from app.evaluation.facts import conclude, derive, fold_log
from app.scenarios import load_scenario, scenario_paths

RULES = Path(__file__).resolve().parents[2] / "rules"
SHIFTS = [timedelta(days=40), timedelta(0), timedelta(days=3, hours=5), timedelta(days=400),
          timedelta(0), timedelta(hours=1)]


def test_concluding_a_fold_again_and_again_gives_what_a_fresh_derive_gives():
    scenarios = [load_scenario(path) for path in scenario_paths(RULES)]
    assert len(scenarios) > 50
    with_promises = 0
    for s in scenarios:
        events = [e for e in s.events if e.occurred_at <= s.as_of]
        folded = fold_log(s.case, events)
        for shift in SHIFTS:
            at = s.as_of + shift
            again = conclude(folded, at)
            fresh = derive(s.case, events, at)
            assert again == fresh, f"{s.name} at +{shift}"
        with_promises += bool(fresh.promises)
        # Without the ledger's entries (a probe's view) the facts are the same.
        bare = conclude(folded, s.as_of, promises=False)
        assert bare.values == derive(s.case, events, s.as_of).values and bare.promises == []
    assert with_promises > 0, "some scenario exercises the promise ledger"
