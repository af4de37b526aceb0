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
    if "web" in app.blueprints:
        assert client.post("/api/chat", json={"text": TEXT}).status_code == 200
        fake_rasa.fail = True  # failures log too: still nothing personal
        assert client.post("/api/chat", json={"text": TEXT}).status_code == 200
        fake_rasa.fail = False
    if "voice" in app.blueprints:
        base = {"CallSid": "CA" + "4" * 32, "From": "+447700900982", "To": "+441432000000"}
        for path, extra in (("/voice/incoming", {}),
                            ("/voice/respond", {"SpeechResult": TEXT, "Confidence": "0.9"})):
            params = {**base, **extra}
            r = client.post(path, data=params, headers=sign(app, path, params))
            assert r.status_code == 200
        # A forged request is logged as refused, without its content.
        client.post("/voice/respond", data={**base, "SpeechResult": TEXT},
                    headers={"X-Twilio-Signature": "forged"})
    if "sms" in app.blueprints:
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
