"""Idempotency-Key support: a repeated mutation returns the first response."""
