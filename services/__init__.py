"""Shared data services used by the Rasa actions, the router and the CLI (look-ups, cases, redaction)."""
