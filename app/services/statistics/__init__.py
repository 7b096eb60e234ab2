"""Statistics (Anlage 1): counting, exports, quarterly report workflow, charts, rollup."""
