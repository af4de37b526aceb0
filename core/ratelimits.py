"""Who a rate limit counts: one conversation, one account, or one network address.

Each has its own budget (settings: RATELIMIT_CHAT per conversation, RATELIMIT_CHAT_IP per
address, RATELIMIT_LOGIN per address, RATELIMIT_LOGIN_ACCOUNT per account). A library running
a "tea and tech" session puts many residents behind one address: the per-address budget is
generous, so they are not blocked, while the per-conversation budget stops any one chat
flooding. The address is `request.remote_addr`, which X-Forwarded-For changes only when
TRUSTED_PROXY_COUNT says a proxy of ours is in front (contact_assistant/app.py).

Limits live in RATELIMIT_STORAGE_URI: Redis in production, so every gunicorn worker and host
counts together (production mode refuses memory://).
"""

from __future__ import annotations

import hashlib
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


def account_key(form_field: str = "email") -> Callable[[], str]:
    """Key by the account being signed in to, hashed: no email address in the limiter's store."""

    def key() -> str:
        account = (request.form.get(form_field) or "").strip().lower()
        if not account:
            return client_ip()
        return "account:" + hashlib.sha256(account.encode()).hexdigest()[:32]

    return key


def configured(config_key: str, default: str) -> Callable[[], str]:
    """The limit itself, read per request from the app's config (so tests and settings agree)."""

    def limit() -> str:
        return current_app.config.get(config_key) or default

    return limit
