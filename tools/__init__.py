"""Build-time tools (not imported by the app): generators whose output is committed."""
