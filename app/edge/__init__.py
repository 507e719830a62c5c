"""The request edge: what every HTTP request passes through around a feature's router.

Authentication (auth), shared dependencies (deps), bounded bodies (bodylimit), idempotency keys,
the request context middleware, errors rendered as problems, the documented answers (contract),
cursor pagination, and the operational routes (health, metrics). It imports no feature package,
so features may import it without a cycle.
"""
