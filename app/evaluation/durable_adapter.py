"""Evaluation, matching: the durable-rules adapter — compile each stage, fire it on one fact.

The only module that imports `durable`. durable-rules keeps sessions in process memory and
its C engine is not safe to enter from two threads at once, so:
- every evaluation asserts one compact fact into a fresh session (a new `sid`) and deletes
  that session afterwards, success or not;
- one process-wide lock serializes every call into the engine;
- the Host's background dispatch timers are never started: they would run pending actions
  on another thread, outside the lock, and could steal an evaluation's rule firings.
A fact that matches no rule makes durable raise `MessageNotHandledException`; for us that
simply means "no rule of this stage fired". But durable 2.0.28 crashes the process (SIGSEGV)
when a session is deleted in a ruleset where no rule has ever matched, so each compiled stage
carries a warm-up rule that is fired once, at compile time, before any real fact arrives.
"""

import itertools
import threading
from collections.abc import Mapping
from operator import itemgetter
from typing import Any

from durable import engine as durable_engine

from app.evaluation.rulebook import STAGES, Condition, Group, Leaf, Ruleset

_LOCK = threading.Lock()
_SERIAL = itertools.count(1)
_OPS = {"ne": "$neq", "gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}


class _QuietHost(durable_engine.Host):
    """A durable Host without its dispatch threads: all work happens inside `fire`."""

    def _run(self) -> None:  # noqa: D401 - overriding durable's timer start-up
        return None


def compile_condition(condition: Condition) -> dict[str, Any]:
    """Translate one condition into durable-rules' JSON expression language."""
    if isinstance(condition, Group):
        parts = [compile_condition(item) for item in condition.items]
        if len(parts) == 1:
            return parts[0]
        return {"$and" if condition.op == "all" else "$or": parts}
    leaf: Leaf = condition
    if leaf.op == "eq":
        return {leaf.fact: leaf.value}
    if leaf.op == "in":
        return {"$or": [{leaf.fact: v} for v in leaf.value]} if len(leaf.value) > 1 \
            else {leaf.fact: leaf.value[0]}
    return {_OPS[leaf.op]: {leaf.fact: leaf.value}}


_WARMUP_FACT = "sf_warmup"


def compile_stage(rules, action_for) -> dict[str, Any]:
    """A durable ruleset definition for one stage: one durable rule per rule, keyed `r<n>`."""
    definition = {
        f"r{index}": {"all": [{"m": compile_condition(rule.when)}], "run": action_for(rule.id)}
        for index, rule in enumerate(rules)
    }
    definition["warmup"] = {"all": [{"m": {_WARMUP_FACT: True}}], "run": lambda _c: None}
    return definition


class CompiledRuleset:
    """A ruleset compiled into one durable ruleset per stage, ready to fire."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self._fired: list[str] = []
        self._host = _QuietHost()
        serial = next(_SERIAL)
        self._names: dict[str, str] = {}
        self._stage_facts = {
            stage: tuple(sorted({f for rule in ruleset.stage(stage) for f in rule.facts_used()}))
            for stage in STAGES
        }
        self._stage_getters = {stage: _tuple_getter(names) for stage, names in self._stage_facts.items()}
        definitions: dict[str, Any] = {}
        for stage in STAGES:
            rules = ruleset.stage(stage)
            if not rules:
                continue
            name = f"sf_{stage}_{ruleset.hash[:12]}_{serial}"
            self._names[stage] = name
            definitions[name] = compile_stage(rules, self._action_for)
        with _LOCK:
            self._host.register_rulesets(definitions)
            for name in definitions:
                sid = f"w{next(_SERIAL)}"
                self._host.assert_fact(name, {_WARMUP_FACT: True, "sid": sid, "id": sid})
                self._host.delete_state(name, sid)

    def stage_facts(self, stage: str) -> tuple[str, ...]:
        """Every fact a stage's rules test: the stage's decision depends on these alone."""
        return self._stage_facts.get(stage, ())

    def stage_values(self, stage: str, facts: Mapping[str, Any]) -> tuple:
        """The values of `stage_facts(stage)` in `facts`, in that order."""
        return self._stage_getters[stage](facts)

    def _action_for(self, rule_id: str):
        def record(_closure) -> None:
            self._fired.append(rule_id)

        return record

    def fire(self, stage: str, facts: Mapping[str, Any]) -> list[str]:
        """Assert `facts` into a fresh session of `stage`; return the ids of the rules that fired."""
        name = self._names.get(stage)
        if name is None:
            return []
        with _LOCK:
            sid = f"e{next(_SERIAL)}"
            self._fired = []
            try:
                self._host.assert_fact(name, {**facts, "sid": sid, "id": sid})
            except durable_engine.MessageNotHandledException:
                pass  # no rule of this stage matched
            except Exception:
                # Clean up, but let the engine's first error be the one reported.
                try:
                    self._host.delete_state(name, sid)
                except Exception:  # noqa: S110 - the original error matters more
                    pass
                raise
            self._host.delete_state(name, sid)
            # A rule whose condition has `any` branches fires once per matching branch.
            return sorted(set(self._fired))


def _tuple_getter(names: tuple[str, ...]):
    """A function giving the values of `names` in a mapping, always as a tuple."""
    if len(names) > 1:
        return itemgetter(*names)
    return lambda facts: tuple(facts[name] for name in names)
