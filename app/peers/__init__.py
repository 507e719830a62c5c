"""Peer signals: what other cases on the same platform say, kept as counters and read as buckets."""
