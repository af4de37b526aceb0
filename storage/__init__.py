"""Persistence: SQLAlchemy models (2.0 style on 1.4), engine/session set-up and migrations."""
