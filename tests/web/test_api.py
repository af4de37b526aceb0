"""The web chat's JSON API: shape, errors, session binding and the handoff."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import HandoffTicket, Message

BUTTONS = [{"title": "Bin collections", "payload": "/ask_bins"},
           {"title": "Council tax", "payload": "/ask_council_tax"}]


def _chat(client, text, **extra):
    return client.post("/api/chat", json={"text": text, **extra})


def test_post_returns_the_documented_shape(client, fake_rasa):
    fake_rasa.reply_to("hello", [{"text": "Hello. What can I help with?", "buttons": BUTTONS}])
    r = _chat(client, "hello")
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) >= {"conversation_id", "state", "replies", "actions"}
    assert len(body["conversation_id"]) >= 32  # the router's unguessable id
    assert body["state"] == "bot"
    assert body["replies"] == [{"text": "Hello. What can I help with?", "buttons": BUTTONS}]
    assert {"title": "Talk to a person", "payload": "/request_human"} in body["actions"]
    assert "queue" not in body
    assert fake_rasa.calls[0]["channel"] == "web"
    assert fake_rasa.calls[0]["sender"] == body["conversation_id"]


def test_the_conversation_is_kept_across_requests(client, fake_rasa):
    first = _chat(client, "hello").get_json()["conversation_id"]
    second = _chat(client, "and again").get_json()["conversation_id"]
    assert first == second
    assert {c["sender"] for c in fake_rasa.calls} == {first}


def test_post_with_after_includes_the_new_messages(client, fake_rasa):
    fake_rasa.reply_to("hello", [{"text": "Hi", "buttons": BUTTONS}])
    body = _chat(client, "hello", after=0).get_json()
    assert [(m["sender"], m["text"]) for m in body["messages"]] == [("resident", "hello"),
                                                                   ("bot", "Hi")]
    last = body["messages"][-1]["id"]
    body = _chat(client, "/ask_bins", after=last).get_json()
    # A button press is shown as the button's title, not the payload.
    assert body["messages"][0]["sender"] == "resident"
    assert body["messages"][0]["text"] == "Bin collections"
    assert all(m["id"] > last for m in body["messages"])


def test_button_payload_goes_to_rasa_as_a_button_press(client, fake_rasa, db):
    fake_rasa.reply_to("hello", [{"text": "Hi", "buttons": BUTTONS}])
    _chat(client, "hello")
    _chat(client, "/ask_bins")
    assert fake_rasa.calls[-1]["text"] == "/ask_bins"


def test_get_returns_the_whole_transcript_and_supports_after(client, fake_rasa):
    fake_rasa.reply_to("hello", [{"text": "Hi there"}])
    _chat(client, "hello")
    body = client.get("/api/chat").get_json()
    assert body["state"] == "bot"
    assert [(m["sender"], m["text"]) for m in body["messages"]] == [("resident", "hello"),
                                                                   ("bot", "Hi there")]
    for m in body["messages"]:
        assert set(m) >= {"id", "sender", "text", "sent_at"}
        assert m["sent_at"].endswith("Z")
    first_id = body["messages"][0]["id"]
    later = client.get(f"/api/chat?after={first_id}").get_json()
    assert [m["text"] for m in later["messages"]] == ["Hi there"]
    assert client.get("/api/chat?after=nonsense").status_code == 400
    assert client.get("/api/chat?after=-1").status_code == 400


def test_get_without_a_conversation_is_empty(client):
    body = client.get("/api/chat").get_json()
    assert body["conversation_id"] is None and body["messages"] == [] and body["state"] == "bot"


def test_request_human_opens_a_requested_ticket_and_reports_the_queue(client, fake_rasa, db,
                                                                      advisor_online):
    _chat(client, "hello")
    r = _chat(client, "/request_human")
    body = r.get_json()
    assert r.status_code == 200
    assert body["state"] == "waiting"
    assert body["queue"] == {"position": 1, "expected_wait_minutes": 6, "advisors_available": 1,
                             "open_now": True, "offer_callback": False}
    assert {"title": "Talk to a person", "payload": "/request_human"} not in body["actions"]
    assert "number 1 in the queue" in body["replies"][-1]["text"]
    with db.session() as s:
        ticket = s.scalars(select(HandoffTicket)).one()
    assert ticket.reason == "requested" and ticket.status == "queued"
    assert len(fake_rasa.calls) == 1  # the payload did not go to Rasa

    # While waiting, messages go to the queue (not to Rasa) and the queue is reported again.
    again = _chat(client, "are you there?").get_json()
    assert again["state"] == "waiting" and again["queue"]["position"] == 1
    assert len(fake_rasa.calls) == 1
    polled = client.get("/api/chat").get_json()
    assert polled["queue"]["position"] == 1


def test_waiting_with_nobody_available_offers_a_callback(client):
    body = _chat(client, "/request_human").get_json()
    assert body["state"] == "waiting"
    assert body["queue"]["advisors_available"] == 0
    assert body["queue"]["offer_callback"] is True
    assert body["queue"]["expected_wait_minutes"] is None


def test_advisor_replies_are_visible_to_polling(client, db):
    conv = _chat(client, "/request_human").get_json()["conversation_id"]
    last = client.get("/api/chat").get_json()["messages"][-1]["id"]
    with db.session() as s:
        s.add(Message(conversation_id=conv, sender="advisor", text="Hello, I am Sam."))
    body = client.get(f"/api/chat?after={last}").get_json()
    assert [(m["sender"], m["label"], m["text"]) for m in body["messages"]] == [
        ("advisor", "Advisor", "Hello, I am Sam.")]


def test_rasa_down_hands_over_to_a_person(client, fake_rasa):
    fake_rasa.fail = True
    body = _chat(client, "hello").get_json()
    assert body["state"] == "waiting"
    assert "not working" in body["replies"][0]["text"]


# --- errors ---------------------------------------------------------------------------------

def test_bad_json_is_400(client):
    r = client.post("/api/chat", data="{not json", content_type="application/json")
    assert r.status_code == 400 and "JSON" in r.get_json()["error"]


def test_json_that_is_not_an_object_is_400(client):
    r = client.post("/api/chat", json=["hello"])
    assert r.status_code == 400


def test_missing_or_wrong_type_text_is_400(client):
    assert client.post("/api/chat", json={}).status_code == 400
    r = client.post("/api/chat", json={"text": 42})
    assert r.status_code == 400 and "string" in r.get_json()["error"]
    assert client.post("/api/chat", json={"text": None}).status_code == 400


def test_empty_message_is_400(client, fake_rasa):
    r = _chat(client, "   ")
    assert r.status_code == 400
    assert r.get_json()["error"] == "Enter a message"
    assert fake_rasa.calls == []


def test_over_1000_characters_is_413(client, fake_rasa):
    r = _chat(client, "x" * 1001)
    assert r.status_code == 413
    assert "1,000 characters or fewer" in r.get_json()["error"]
    assert _chat(client, "x" * 1000).status_code == 200


def test_body_over_max_content_length_is_413_json(client, app):
    big = '{"text": "' + "x" * (app.config["MAX_CONTENT_LENGTH"] + 10) + '"}'
    r = client.post("/api/chat", data=big, content_type="application/json")
    assert r.status_code == 413
    assert r.is_json and r.get_json()["status"] == 413


def test_non_json_content_type_is_415(client, fake_rasa):
    r = client.post("/api/chat", data={"text": "hello"})
    assert r.status_code == 415 and r.is_json
    r = client.post("/api/chat", data='{"text": "hello"}', content_type="text/plain")
    assert r.status_code == 415
    assert fake_rasa.calls == []


def test_bad_after_in_post_is_400(client):
    assert _chat(client, "hello", after="x").status_code == 400


def test_rate_limit_is_429_json(client, app):
    app.config["RATELIMIT_CHAT"] = "2 per minute"
    assert _chat(client, "one").status_code == 200
    assert _chat(client, "two").status_code == 200
    r = _chat(client, "three")
    assert r.status_code == 429
    assert r.is_json and "Too many" in r.get_json()["error"]


def test_unknown_api_path_is_json_404(client):
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and r.get_json()["status"] == 404


def test_api_does_not_need_a_csrf_token_but_forms_do(client):
    assert _chat(client, "hello").status_code == 200
    r = client.post("/", data={"message": "hello"})
    assert r.status_code == 400  # no CSRF token


# --- session binding ------------------------------------------------------------------------

def test_a_second_client_cannot_read_or_write_the_first_conversation(app, fake_rasa):
    alice, mallory = app.test_client(), app.test_client()
    alice_id = _chat(alice, "my address is 1 High Street").get_json()["conversation_id"]

    seen = mallory.get("/api/chat").get_json()
    assert seen["conversation_id"] is None and seen["messages"] == []
    # Naming someone else's id in the request does nothing: only the signed session counts.
    seen = mallory.get(f"/api/chat?conversation_id={alice_id}").get_json()
    assert seen["conversation_id"] is None
    theirs = mallory.post("/api/chat", json={"text": "hi", "conversation_id": alice_id}).get_json()
    assert theirs["conversation_id"] != alice_id
    assert mallory.get("/transcript.txt").status_code == 404 or \
        "High Street" not in mallory.get("/transcript.txt").get_data(as_text=True)

    texts = [m["text"] for m in alice.get("/api/chat").get_json()["messages"]]
    assert "hi" not in texts


def test_a_forged_session_cookie_is_ignored(app, client, fake_rasa):
    alice_id = _chat(client, "hello").get_json()["conversation_id"]
    forger = app.test_client()
    forger.set_cookie("session", f'{{"web_conversation_id": "{alice_id}"}}')
    assert forger.get("/api/chat").get_json()["conversation_id"] is None


def test_the_session_cookie_is_permanent_and_http_only(client):
    r = _chat(client, "hello")
    cookie = r.headers["Set-Cookie"]
    assert "Expires=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_extending_the_session_needs_json_and_refreshes_the_cookie(client, app):
    _chat(client, "hello")
    assert client.post("/api/session/extend").status_code == 415
    r = client.post("/api/session/extend", json={})
    assert r.status_code == 200
    assert r.get_json()["session_seconds"] == int(app.permanent_session_lifetime.total_seconds())
    assert "Expires=" in r.headers["Set-Cookie"]
