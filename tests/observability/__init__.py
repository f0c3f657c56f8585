"""Real processes with JSON logs: every line parses and carries its id."""
