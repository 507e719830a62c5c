"""Webhooks: subscriptions, the notification outbox, and signed deliveries."""
