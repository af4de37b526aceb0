"""Composition root: configuration, the Flask app factory, health checks and the admin CLI."""
