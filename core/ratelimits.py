"""Who a rate limit counts: one conversation or one network address.

Each has its own budget (settings: RATELIMIT_CHAT per conversation, RATELIMIT_CHAT_IP per
address, RATELIMIT_LOGIN per address). Sign-in attempts per account are not counted here but
by the console's database-backed back-off (handoff/console/throttle.py), which also counts
wrong two-factor codes and needs no shared limiter store: one mechanism per question.
A library running a "tea and tech" session puts many residents behind one address: the
per-address budget is generous, so they are not blocked, while the per-conversation budget
stops any one chat flooding. The address is `request.remote_addr`, which X-Forwarded-For
changes only when TRUSTED_PROXY_COUNT says a proxy of ours is in front
(contact_assistant/app.py).

Limits live in RATELIMIT_STORAGE_URI: Redis in production, so every gunicorn worker and host
counts together (production mode refuses memory://).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import current_app, request, session

SESSION_CLIENT = "rate_limit_client"


def client_ip() -> str:
    return f"ip:{request.remote_addr or 'unknown'}"


def conversation_key() -> str:
    """Key by this browser's conversation: a random id kept in the signed session cookie from the
    first message on (the conversation itself is created after the limit is checked, so its id
    cannot count the first message). Ending the chat clears the session and the budget with it;
    a client that drops the cookie gets a new key each time but stays under the per-address
    limit."""
    client = session.get(SESSION_CLIENT)
    if not client:
        client = session[SESSION_CLIENT] = secrets.token_urlsafe(12)
    return f"conversation:{client}"


def configured(config_key: str, default: str) -> Callable[[], str]:
    """The limit itself, read per request from the app's config (so tests and settings agree)."""

    def limit() -> str:
        return current_app.config.get(config_key) or default

    return limit
