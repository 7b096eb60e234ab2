"""Fallakte: persons, contact notes and their records, duplicates, special categories."""
