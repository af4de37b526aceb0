"""Helpers for the phone and SMS tests: requests signed exactly as Twilio signs them, and a
`Phone` that plays one caller's side of a call. TwiML answers are parsed with xml.etree."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from twilio.request_validator import RequestValidator

from core.settings import test_settings
from storage.models import Advisor, utcnow

CALLER = "+447700900123"


@pytest.fixture
def settings(database_url, request):
    """The shared test settings; a test may override some with indirect parametrisation:
    @pytest.mark.parametrize("settings", [{"opening_hours": ...}], indirect=True)."""
    return test_settings(database_url, **getattr(request, "param", {}))


def closed_hours() -> str:
    """Opening hours that are certainly not now: tomorrow only."""
    tomorrow = datetime.now(ZoneInfo("Europe/London")) + timedelta(days=1)
    return f"{['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][tomorrow.weekday()]} 09:00-17:00"


def parse(response) -> ET.Element:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype in ("text/xml", "application/xml")
    # Our own app's answer in a test; expat never loads external entities.
    root = ET.fromstring(response.get_data(as_text=True))  # noqa: S314
    assert root.tag == "Response"
    return root


def says(element: ET.Element) -> list[str]:
    """Every sentence spoken anywhere in the document, in order."""
    return [" ".join("".join(s.itertext()).split()) for s in element.iter("Say")]


def spoken(element: ET.Element) -> str:
    return " ".join(says(element))


class Twilio:
    """Posts webhooks signed like Twilio: HMAC of PUBLIC_BASE_URL + path (+ query) and params."""

    def __init__(self, client, settings) -> None:
        self.client, self.settings = client, settings

    def sign(self, path: str, params: dict[str, str], token: str | None = None) -> str:
        validator = RequestValidator(token or self.settings.twilio_auth_token)
        return validator.compute_signature(self.settings.public_base_url + path, params)

    def post(self, path: str, params: dict[str, str], *, signature: str | None = None):
        headers = {"X-Twilio-Signature": signature if signature is not None
                   else self.sign(path, params)}
        return self.client.post(path, data=params, headers=headers)


class Phone:
    """One caller on one call."""

    def __init__(self, twilio: Twilio, number: str = CALLER) -> None:
        self.twilio, self.number = twilio, number
        self.sid = "CA" + secrets.token_hex(16)

    def params(self, **extra: str) -> dict[str, str]:
        params = {"CallSid": self.sid, "AccountSid": "AC" + "1" * 32, "From": self.number,
                  "To": "+441432000000", "CallStatus": "in-progress", "Direction": "inbound"}
        params.update(extra)
        return params

    def post(self, path: str, **extra: str) -> ET.Element:
        return parse(self.twilio.post(path, self.params(**extra)))

    def dial(self) -> ET.Element:
        return self.post("/voice/incoming", CallStatus="ringing")

    def say(self, text: str) -> ET.Element:
        return self.post("/voice/respond", SpeechResult=text, Confidence="0.91")

    def press(self, key: str) -> ET.Element:
        return self.post("/voice/respond", Digits=key)

    def silence(self) -> ET.Element:
        return self.post("/voice/respond")


@pytest.fixture
def twilio(client, settings) -> Twilio:
    return Twilio(client, settings)


@pytest.fixture
def phone(twilio) -> Phone:
    return Phone(twilio)


@pytest.fixture
def advisor_online(db):
    with db.session() as s:
        s.add(Advisor(name="Sam", email="sam@example.gov.uk", password_hash="x",
                      role="advisor", last_seen_at=utcnow()))
