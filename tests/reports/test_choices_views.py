"""/advisor/choices: an advisor records a resident's choice on their behalf."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storage.models import AuditLog, OptOutEvent
from tests.govuk import error_page
from tests.reports.conftest import https_client

NUMBER = "07700 900123"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def token(client, url: str = "/advisor/choices/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return _TOKEN.search(response.get_data(as_text=True)).group(1)


def events(db) -> list[OptOutEvent]:
    with db.session() as s:
        return list(s.scalars(select(OptOutEvent).order_by(OptOutEvent.id)))


def test_sign_in_is_required(app):
    client = https_client(app)
    response = client.get("/advisor/choices/")
    assert response.status_code == 302 and "/advisor/login" in response.headers["Location"]
    response = client.post("/advisor/choices/", data={})
    assert response.status_code in (302, 400)
    assert not events(app.extensions["db"])


def test_an_advisor_records_an_opt_out_and_it_is_honoured(signed_in, router, fake_rasa, db):
    conv = router.start("phone", address=NUMBER, call_sid="CA1")
    client = signed_in("advisor")
    form = client.get(f"/advisor/choices/?conversation={conv}").get_data(as_text=True)
    assert f'value="{conv}"' in form
    response = client.post("/advisor/choices/", data={
        "csrf_token": _TOKEN.search(form).group(1), "conversation_id": conv,
        "scope": "automated_assistant", "action": "opt_out",
        "note": "Resident said on the phone: no robots, ring me on 07700 900123",
    })
    assert response.status_code == 200
    assert "opted out of: use of the automated assistant" in response.get_data(as_text=True)
    [event] = events(db)
    assert (event.scope, event.action, event.method, event.channel) == (
        "automated_assistant", "opt_out", "advisor", "phone")
    assert event.utterance == "Resident said on the phone: no robots, ring me on [redacted: phone]"
    with db.session() as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "record_choice")).one()
        assert audit.advisor_id == client.advisor_id and audit.target == f"conversation:{conv}"

    # Honoured on the next contact, by text.
    thread = router.sms_thread(NUMBER)
    assert router.handle(thread, "hello").handoff_reason == "opt_out"
    assert fake_rasa.calls == []


def test_an_advisor_records_a_withdrawal(signed_in, router, fake_rasa, db):
    conv = router.start("sms", address=NUMBER)
    router.record_choice(conv, "automated_assistant", "opt_out", method="text")
    client = signed_in("advisor")
    response = client.post("/advisor/choices/", data={
        "csrf_token": token(client), "conversation_id": conv, "scope": "automated_assistant",
        "action": "withdraw", "next": "/advisor/conversations/1"}, )
    assert response.status_code == 303
    assert response.headers["Location"] == "/advisor/conversations/1"
    call = router.start("phone", address=NUMBER, call_sid="CA2")
    assert router.handle(call, "hello").state == "bot"
    assert len(fake_rasa.calls) == 1


def test_json_callers_get_json(signed_in, router, db):
    conv = router.start("web", session_key="k")
    client = signed_in("supervisor")
    response = client.post("/advisor/choices/", headers={"Accept": "application/json"}, data={
        "csrf_token": token(client), "conversation_id": conv, "scope": "data_use",
        "action": "opt_out"})
    assert response.get_json() == {"recorded": {"scope": "data_use", "action": "opt_out"},
                                   "choices": ["data_use"]}


def test_the_form_is_csrf_protected(signed_in, router, db):
    conv = router.start("web", session_key="k")
    response = signed_in("advisor").post("/advisor/choices/", data={
        "conversation_id": conv, "scope": "sms", "action": "opt_out"})
    assert response.status_code == 400
    assert events(db) == []


@pytest.mark.parametrize("data,field,message", [
    ({"conversation_id": "", "scope": "sms", "action": "opt_out"}, "conversation_id",
     "Enter the conversation ID"),
    ({"conversation_id": "no-such-conversation", "scope": "sms", "action": "opt_out"},
     "conversation_id", "There is no conversation with that ID"),
    ({"conversation_id": "CONV", "scope": "marketing", "action": "opt_out"}, "scope",
     "Select what the choice is about"),
    ({"conversation_id": "CONV", "scope": "sms", "action": "delete"}, "action",
     "Select whether they are opting out or withdrawing an opt-out"),
])
def test_mistakes_are_explained(signed_in, router, db, data, field, message):
    conv = router.start("web", session_key="k")
    client = signed_in("advisor")
    data = {k: (conv if v == "CONV" else v) for k, v in data.items()}
    error_page(client.post("/advisor/choices/", data={"csrf_token": token(client), **data}),
               {field: message})
    assert events(db) == []


def test_next_only_follows_console_paths(signed_in, router):
    conv = router.start("web", session_key="k")
    client = signed_in("advisor")
    response = client.post("/advisor/choices/", data={
        "csrf_token": token(client), "conversation_id": conv, "scope": "sms",
        "action": "opt_out", "next": "https://evil.example/advisor"})
    assert response.status_code == 200
