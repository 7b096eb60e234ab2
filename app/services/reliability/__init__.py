"""Reliability of writes: exactly-once REST creates (idempotency keys)."""
