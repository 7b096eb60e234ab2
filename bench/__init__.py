"""Benchmark of MSA-Portal (issue 9): data generator and runner — see docs/performance.md."""
