"""The Flask app factory: channels (web chat, phone, SMS) and the advisor console."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from contact_assistant.security import init_security_headers, install_log_redaction
from core import extensions
from core.local_secrets import load_local_secrets
from core.settings import Settings, Unmocked, is_production, load_settings
from handoff.rasa_client import RasaClient
from handoff.router import ConversationRouter
from storage.db import Database

# One blueprint per concern; the factory is the only place that knows them all.
BLUEPRINTS = [
    "contact_assistant.health:bp",
    "contact_assistant.pages:bp",
    "channels.web:bp",
    "channels.voice:bp",
    "channels.sms:bp",
    "handoff.console.views:bp",
    "reports.views:bp",
    "privacy.views:bp",
    "reports.public:bp",
    "reports.content_gaps:bp",
]


def _twilio_client(settings: Settings):
    from twilio.rest import Client

    return Client(settings.twilio_account_sid, settings.twilio_auth_token)


def create_app(settings: Settings | None = None, *, rasa: Any = None, twilio: Any = None) -> Flask:
    if settings is None:
        if not is_production():  # production reads the environment only, never var/
            load_local_secrets()
        settings = load_settings()
    install_log_redaction()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    app = Flask(__name__)
    app.config.from_mapping(settings.to_flask())
    # X-Forwarded-* is believed only from proxies we run (TRUSTED_PROXY_COUNT hops, default
    # none): otherwise anyone could pick the address that rate limits count.
    if settings.trusted_proxy_count > 0:
        hops = settings.trusted_proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db = Database(settings.database_url)
    if rasa is None:
        rasa = (
            RasaClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout)
            if settings.rasa_url
            else Unmocked("the Rasa server")
        )
    if twilio is None:
        twilio = (
            Unmocked("the Twilio REST client") if settings.testing else _twilio_client(settings)
        )
    app.extensions.update(
        settings=settings, db=db, router=ConversationRouter(db, rasa, settings), twilio=twilio
    )

    extensions.init_app(app)
    init_security_headers(app)
    for path in BLUEPRINTS:
        module_name, _, attr = path.partition(":")
        app.register_blueprint(getattr(importlib.import_module(module_name), attr))
    return app
