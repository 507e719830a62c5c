"""Persistence: engine, sessions and ORM models (the only package that talks SQL)."""
