"""Shared data services used by the Rasa actions, the router and the CLI.

Look-ups (bins, libraries, planning, cases), sample data, CSV import and redaction.
"""
