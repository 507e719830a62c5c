"""Access: end-user case tokens and the audit trail of who did what to a case."""
