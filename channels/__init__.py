"""Channels: web chat, phone and SMS. Each is a Flask blueprint that only talks to the router."""
