"""Case management (§3.2): the transition table and verbs, the step contents, dashboard queries."""
