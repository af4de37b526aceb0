"""Only Twilio may call the phone and SMS webhooks: missing or forged signatures get 403."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.models import Conversation, Message
from tests.security.conftest import DOCUMENTED_TWILIO_ROUTES, TWILIO_PREFIXES, sign

PARAMS = {"CallSid": "CA" + "1" * 32, "MessageSid": "SM" + "1" * 32, "AccountSid": "AC" + "2" * 32,
          "From": "+447700900123", "To": "+441432000000", "Body": "hello",
          "SpeechResult": "hello", "Digits": "1", "CallStatus": "completed"}


def _twilio_rules(app) -> list[str]:
    return sorted({r.rule for r in app.url_map.iter_rules()
                   if r.rule.startswith(TWILIO_PREFIXES) and "POST" in r.methods})


def _count(db) -> tuple[int, int]:
    with db.session() as s:
        return (s.scalar(select(func.count()).select_from(Conversation)),
                s.scalar(select(func.count()).select_from(Message)))


@pytest.mark.parametrize("path", DOCUMENTED_TWILIO_ROUTES)
def test_documented_twilio_routes_exist(app, path):
    assert path in _twilio_rules(app)  # a missing channel or route fails, never skips


def test_every_twilio_route_refuses_missing_forged_and_misdirected_signatures(app, client, db):
    rules = _twilio_rules(app)
    assert set(DOCUMENTED_TWILIO_ROUTES) <= set(rules), rules
    before = _count(db)
    for path in rules:
        good = sign(app, path, PARAMS)
        cases = {
            "missing": {},
            "empty": {"X-Twilio-Signature": ""},
            "forged": {"X-Twilio-Signature": "bm90IGEgcmVhbCBzaWduYXR1cmU="},
            "other url": sign(app, "/voice/elsewhere", PARAMS),
            "other token": {"X-Twilio-Signature": good["X-Twilio-Signature"][::-1]},
        }
        for name, headers in cases.items():
            r = client.post(path, data=PARAMS, headers=headers)
            assert r.status_code == 403, (path, name, r.status_code)
        # A valid signature over different parameters (a tampered body) is refused too.
        r = client.post(path, data={**PARAMS, "Body": "tampered", "SpeechResult": "tampered"},
                        headers=good)
        assert r.status_code == 403, (path, "tampered")
        # Query strings are part of what Twilio signs.
        r = client.post(f"{path}?from=queue", data=PARAMS, headers=good)
        assert r.status_code == 403, (path, "query added")
    assert _count(db) == before, "a refused webhook must not write anything"


def test_a_correctly_signed_request_is_accepted(app, client):
    assert "/voice/incoming" in _twilio_rules(app)
    r = client.post("/voice/incoming", data=PARAMS, headers=sign(app, "/voice/incoming", PARAMS))
    assert r.status_code == 200
    assert r.mimetype in ("text/xml", "application/xml")


def test_twilio_routes_refuse_get(app, client):
    for path in _twilio_rules(app):
        assert client.get(path).status_code in (403, 405), path
