"""Worker: moves cases on by time (the sweeper) and delivers webhooks, outside requests."""
