"""Opt-out register, redaction, retention and data-subject requests, and the choices views."""
