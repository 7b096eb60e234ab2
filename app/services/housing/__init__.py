"""Housing (§3.3): social report, move procedure, CV."""
