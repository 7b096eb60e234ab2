"""Case file (Fallakte): persons, contacts, duplicates, search."""
