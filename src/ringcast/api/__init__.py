"""The HTTP edge: app factory, request gate (auth, rate limit, idempotency), errors."""
