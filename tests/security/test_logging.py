"""No personal data or secrets in the logs, whatever residents, callers and texters send."""

from __future__ import annotations

import logging

import pytest

from contact_assistant.security import install_log_redaction
from tests.security.conftest import sign

PII = {
    "email": "zebedee.quixote@example.com",
    "phone": "07700 900982",
    "card": "4111 1111 1111 1111",
    "ni": "QQ 12 34 56 C",
}
NAME = "Zebedee Quixote-Smythe"  # never logged: message text stays out of logs altogether
TEXT = (f"My name is {NAME}, email {PII['email']}, phone {PII['phone']}, "
        f"card {PII['card']}, NI {PII['ni']}")


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    install_log_redaction()  # as in production: the filter sits on every root handler
    return caplog


def _assert_clean(app, text: str) -> None:
    for value in [*PII.values(), NAME]:
        assert value not in text, value
    settings = app.extensions["settings"]
    for secret in (settings.secret_key, settings.rasa_token, settings.twilio_auth_token,
                   settings.optout_hmac_key):
        assert secret not in text


def test_chat_voice_and_sms_never_log_what_people_say(app, client, fake_rasa, logs):
    # Every channel is registered: a missing one fails here rather than skipping its checks.
    assert {"web", "voice", "sms"} <= set(app.blueprints), sorted(app.blueprints)
    assert client.post("/api/chat", json={"text": TEXT}).status_code == 200
    fake_rasa.fail = True  # failures log too: still nothing personal
    assert client.post("/api/chat", json={"text": TEXT}).status_code == 200
    fake_rasa.fail = False
    base = {"CallSid": "CA" + "4" * 32, "From": "+447700900982", "To": "+441432000000"}
    for path, extra in (("/voice/incoming", {}),
                        ("/voice/respond", {"SpeechResult": TEXT, "Confidence": "0.9"})):
        params = {**base, **extra}
        r = client.post(path, data=params, headers=sign(app, path, params))
        assert r.status_code == 200
    # A forged request is logged as refused, without its content.
    client.post("/voice/respond", data={**base, "SpeechResult": TEXT},
                headers={"X-Twilio-Signature": "forged"})
    params = {"MessageSid": "SM" + "5" * 32, "From": "+447700900982", "To": "+441432000000",
              "Body": TEXT}
    client.post("/sms/incoming", data=params, headers=sign(app, "/sms/incoming", params))
    _assert_clean(app, logs.text)
    _assert_clean(app, "\n".join(str(r.args) for r in logs.records))


def test_the_redacting_filter_catches_personal_data_logged_by_mistake(app, logs):
    logging.getLogger("channels.anything").warning("oops: %s", TEXT.replace(NAME, "someone"))
    assert "[redacted: email]" in logs.text and "[redacted: phone]" in logs.text
    for value in PII.values():
        assert value not in logs.text


def _logged(logger_name: str, emit) -> str:
    """What a plain handler prints for whatever `emit(logger)` logs (formatter included)."""
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_tracebacks_are_redacted_not_only_the_message(app):
    install_log_redaction()

    def emit(logger):
        try:
            raise ValueError(f"could not text {PII['phone']} or mail {PII['email']}")
        except ValueError:
            logger.exception("callback failed for %s", PII["phone"])

    text = _logged("tests.traceback", emit)
    assert "Traceback" in text and "ValueError: could not text [redacted: phone]" in text
    _assert_clean(app, text)


def test_database_errors_never_carry_the_bound_values(app, tmp_path):
    """hide_parameters=True on every engine: the app's and the Rasa tracker store reader's."""
    from sqlalchemy import text as sql
    from sqlalchemy.exc import SQLAlchemyError

    from privacy.data_rights import TrackerStore
    from storage.db import Database

    tracker_db = tmp_path / "tracker.db"
    tracker_db.touch()
    engines = [Database(f"sqlite:///{tmp_path / 'app.db'}").engine,
               TrackerStore(f"sqlite:///{tracker_db}").engine]
    for engine in engines:
        with pytest.raises(SQLAlchemyError) as caught, engine.connect() as conn:
            conn.execute(sql("SELECT * FROM missing WHERE phone = :phone"),
                         {"phone": PII["phone"]})
        assert PII["phone"] not in str(caught.value)
        assert "parameters hidden" in str(caught.value)


@pytest.mark.parametrize("module", ["bot.input_channels", "bot.actions"])
def test_the_rasa_and_action_server_processes_redact_their_logs(module, monkeypatch):
    """Rasa imports bot.input_channels, the action server bot.actions, at start-up: each
    installs the same filter, so their logs and tracebacks are redacted too."""
    import importlib
    import sys

    monkeypatch.setattr(logging, "_logRecordFactory", logging.LogRecord)  # a fresh process
    importlib.reload(sys.modules.get(module) or importlib.import_module(module))
    assert getattr(logging.getLogRecordFactory(), "redacting", False)
    text = _logged("rasa.core.processor", lambda log: log.warning("texted %s", PII["phone"]))
    assert PII["phone"] not in text and "[redacted: phone]" in text
