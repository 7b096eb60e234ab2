"""Demo data, built only on the public service verbs; imported by no domain module."""
