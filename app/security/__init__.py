"""Security: security manager, roles × permissions matrix, provider row scoping."""
