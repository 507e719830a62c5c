"""Authentication: API clients and their keys."""
