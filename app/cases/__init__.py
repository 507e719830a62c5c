"""Cases: open a case, append events, read its evaluation (the HTTP edge, use cases, SQL)."""
