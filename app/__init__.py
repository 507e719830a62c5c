"""StuckFunds: case advice for consumers whose withdrawal is stuck on an online platform."""
