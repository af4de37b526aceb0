"""Security checks that need the real processes (marker e2e): the Rasa HTTP API and our Rasa
input channels refuse requests without the token, and no personal data or secret reaches any
process's log (Rasa, action server, gunicorn) after residents, callers and texters share it."""

from __future__ import annotations

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.fault.conftest import FaultStack

pytestmark = pytest.mark.e2e

PII = ["zebedee.quixote@example.com", "07700 900982", "4111 1111 1111 1111", "QQ 12 34 56 C"]
NAME = "Zebedee Quixote-Smythe"
TEXT = f"My name is {NAME}, email {PII[0]}, phone {PII[1]}, card {PII[2]}, NI {PII[3]}"


@pytest.fixture(scope="module")
def stack():
    with FaultStack() as s:
        yield s


# Rasa runs without --enable-api: its HTTP API (model upload, tracker reads and writes) does not
# exist at all, even for someone holding the token (CVE-2024-49375 was reachable through it).
RASA_API_ROUTES = [
    ("GET", "/status"), ("GET", "/version"), ("POST", "/model/parse"),
    ("GET", "/conversations/someone/tracker"), ("POST", "/conversations/someone/messages"),
    ("POST", "/conversations/someone/tracker/events"),
    ("GET", "/domain"), ("PUT", "/model"), ("DELETE", "/model"),
]
CHANNEL_ROUTES = [
    ("POST", "/webhooks/webchat/webhook"), ("POST", "/webhooks/phone/webhook"),
    ("POST", "/webhooks/sms/webhook"), ("GET", "/webhooks/webchat/health"),
]


@pytest.mark.parametrize("method,path", RASA_API_ROUTES)
def test_rasa_http_api_is_not_exposed_even_with_the_token(stack, method, path):
    r = requests.request(method, f"{stack.rasa_url}{path}",
                         headers={"Authorization": f"Bearer {stack.env['RASA_TOKEN']}"},
                         params={"token": stack.env["RASA_TOKEN"]},
                         json={"text": "hello", "sender": "x", "message": "hello"}, timeout=10)
    assert r.status_code in (404, 405), (path, r.status_code)


@pytest.mark.parametrize("method,path", CHANNEL_ROUTES)
def test_rasa_channels_refuse_requests_without_the_token_in_the_header(stack, method, path):
    body = {"sender": "x", "message": "hello"}
    r = requests.request(method, f"{stack.rasa_url}{path}", json=body, timeout=10)
    assert r.status_code == 401, (path, r.status_code)
    wrong = requests.request(method, f"{stack.rasa_url}{path}", json=body, timeout=10,
                             headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 401, (path, wrong.status_code)
    # The token in a query string (where proxies and access logs keep it) is not accepted.
    query = requests.request(method, f"{stack.rasa_url}{path}", json=body, timeout=10,
                             params={"token": stack.env["RASA_TOKEN"]})
    assert query.status_code == 401, (path, query.status_code)


def test_rasa_health_through_the_channel_with_the_token(stack):
    r = requests.get(f"{stack.rasa_url}/webhooks/webchat/health", timeout=10,
                     headers={"Authorization": f"Bearer {stack.env['RASA_TOKEN']}"})
    assert r.status_code == 200 and r.json() == {"status": "ok", "model": True}


def test_rasa_stock_rest_channel_is_not_exposed(stack):
    r = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook",
                      json={"sender": "x", "message": "hello"}, timeout=10)
    assert r.status_code == 404


def test_no_personal_data_or_secrets_in_any_process_log(stack):
    web = requests.Session()
    assert web.post(f"{stack.base_url}/api/chat", json={"text": TEXT}, timeout=30).status_code \
        == 200
    validator = RequestValidator(stack.env["TWILIO_AUTH_TOKEN"])
    public = stack.env["PUBLIC_BASE_URL"]
    call = {"CallSid": "CA" + "7" * 32, "From": "+447700900982", "To": "+441432000000"}
    for path, params in (("/voice/incoming", call),
                         ("/voice/respond", {**call, "SpeechResult": TEXT, "Confidence": "0.9"}),
                         ("/sms/incoming", {"MessageSid": "SM" + "7" * 32, "From": "+447700900982",
                                            "To": "+441432000000", "Body": TEXT})):
        sig = validator.compute_signature(public + path, params)
        r = requests.post(f"{stack.base_url}{path}", data=params,
                          headers={"X-Twilio-Signature": sig}, timeout=30)
        assert r.status_code == 200, path
    # A forged request is logged as refused, without what it carried.
    requests.post(f"{stack.base_url}/voice/respond", data={**call, "SpeechResult": TEXT},
                  headers={"X-Twilio-Signature": "forged"}, timeout=30)
    logs = "\n".join(p.read_text(errors="replace") for p in stack.logs.values() if p.exists())
    assert logs, "the processes wrote logs"
    for value in [*PII, NAME, "+447700900982", "Quixote"]:
        assert value not in logs, value
    for secret in ("SECRET_KEY", "RASA_TOKEN", "TWILIO_AUTH_TOKEN", "OPTOUT_HMAC_KEY"):
        assert stack.env[secret] not in logs, secret
