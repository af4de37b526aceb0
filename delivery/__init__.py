"""Delivery to the world outside: the council's back office (Open311 GeoReport v2), residents'
updates (GOV.UK Notify, Twilio SMS) and the worker that drains the outbox (services/outbox.py).

Layer: below handoff, above privacy | reports (it reads the opt-out register before sending).
"""
