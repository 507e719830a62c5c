"""Rules catalogue: the loaded ruleset and the action catalogue, read-only over HTTP."""
