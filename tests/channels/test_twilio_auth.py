"""Only Twilio can call the phone and SMS webhooks: forged or missing signatures get 403."""

from __future__ import annotations

import pytest

from channels.twilio_auth import signed_url

ROUTES = ["/voice/incoming", "/voice/respond", "/voice/wait", "/voice/callback?from=queue",
          "/voice/voicemail", "/voice/queue-exit", "/voice/status", "/sms/incoming",
          "/voice/score"]
PARAMS = {"CallSid": "CA" + "a" * 32, "From": "+447700900123", "Body": "hello",
          "SpeechResult": "hello"}


@pytest.mark.parametrize("path", ROUTES)
def test_missing_signature_is_refused(client, path, fake_rasa):
    response = client.post(path, data=PARAMS)
    assert response.status_code == 403
    assert fake_rasa.calls == []


@pytest.mark.parametrize("path", ROUTES)
def test_signature_made_with_another_token_is_refused(twilio, path):
    forged = twilio.sign(path, PARAMS, token="not-the-real-token")
    assert twilio.post(path, PARAMS, signature=forged).status_code == 403


def test_signature_for_other_params_is_refused(twilio, fake_rasa):
    signature = twilio.sign("/voice/respond", PARAMS)
    tampered = {**PARAMS, "SpeechResult": "put me through"}
    assert twilio.post("/voice/respond", tampered, signature=signature).status_code == 403
    assert fake_rasa.calls == []


def test_signature_for_another_path_or_query_is_refused(twilio):
    signature = twilio.sign("/voice/callback?from=offer", PARAMS)
    assert twilio.post("/voice/callback?from=queue", PARAMS, signature=signature).status_code == 403
    signature = twilio.sign("/voice/wait", PARAMS)
    assert twilio.post("/voice/respond", PARAMS, signature=signature).status_code == 403


def test_garbage_signature_is_refused(twilio):
    assert twilio.post("/voice/incoming", PARAMS, signature="x" * 500).status_code == 403


@pytest.mark.parametrize("settings", [{"twilio_auth_token": ""}], indirect=True)
def test_with_no_auth_token_configured_everything_is_refused(client):
    assert client.post("/voice/incoming", data=PARAMS,
                       headers={"X-Twilio-Signature": ""}).status_code == 403


def test_a_valid_signature_is_accepted_and_csrf_does_not_apply(twilio):
    response = twilio.post("/voice/incoming", PARAMS)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"


def test_signed_url_is_public_base_url_plus_path_and_query():
    assert signed_url("https://a.gov.uk/", "/voice/wait", b"") == "https://a.gov.uk/voice/wait"
    assert (signed_url("https://a.gov.uk", "/voice/callback", b"from=queue")
            == "https://a.gov.uk/voice/callback?from=queue")
