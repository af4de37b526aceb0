"""A conversation from the console: the summary, the live transcript, replies on web and SMS,
phone calls, hand back and close (with the resident's rating), and stored XSS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from handoff import queue as ops
from storage.models import Advisor, AuditLog, CallbackRequest, Conversation, HandoffTicket, Message
from tests.fakes import RecordedCall
from tests.govuk import error_page

SMS_FROM = "+441432000000"


def _claimed(console, ticket_for, channel="web", **kw):
    conv, ticket_id = ticket_for(channel, **kw)
    sam = console("advisor", "Sam")
    assert sam.post(f"/advisor/tickets/{ticket_id}/claim").status_code == 303
    return sam, conv, ticket_id


def _audit(db, ticket_id):
    with db.session() as s:
        return s.execute(select(AuditLog.action, AuditLog.advisor_id)
                         .where(AuditLog.target == f"ticket:{ticket_id}")
                         .order_by(AuditLog.id)).all()


def test_summary_of_what_the_resident_told_us_comes_first(console, ticket_for):
    _conv, ticket_id = ticket_for(
        "web", "my bin was not collected on HR1 2AB", reason="not_understood",
        slots={"postcode": "HR1 2AB", "bin_type": "recycling", "empty": None},
        summary={"note": "The assistant did not understand twice."})
    sam = console("advisor")
    page = sam.get(f"/advisor/conversation/{ticket_id}").get_data(as_text=True)
    top = page.index("What the resident has told us")
    assert top < page.index('data-transcript')
    summary = page[top:page.index('data-transcript')]
    for text in ("Assistant did not understand", "Web chat", "my bin was not collected on HR1 2AB",
                 "Request human", "Postcode", "HR1 2AB", "Bin type", "recycling",
                 "The assistant did not understand twice.", "govuk-summary-list"):
        assert text in summary, text
    assert "Empty" not in summary
    assert "Claim this conversation" in page  # not yet claimed: a preview with a claim button
    assert 'name="message"' not in page


def test_web_conversation_both_sides_see_each_other(console, ticket_for, router, db, fake_rasa):
    sam, conv, ticket_id = _claimed(console, ticket_for)
    page = sam.get(f"/advisor/conversation/{ticket_id}").get_data(as_text=True)
    assert "You are handling this conversation." in page
    after = int(re.search(r'data-after="(\d+)"', page).group(1))
    assert '<label class="govuk-label govuk-label--m" for="message">Your reply</label>' in page

    response = sam.post(f"/advisor/conversation/{ticket_id}/reply",
                        data={"message": "Hello, I am Sam. How can I help?"})
    assert response.status_code == 303
    snap = router.snapshot(conv)
    assert snap.state == "advisor"
    assert snap.messages[-1].sender == "advisor"
    assert snap.messages[-1].text == "Hello, I am Sam. How can I help?"

    rasa_calls = len(fake_rasa.calls)
    result = router.handle(conv, "My council tax bill is wrong")
    assert result.state == "advisor" and len(fake_rasa.calls) == rasa_calls  # not the bot

    body = sam.get(f"/advisor/api/conversation/{ticket_id}?after={after}").get_json()
    assert [(m["sender"], m["sender_label"], m["text"]) for m in body["messages"]] == [
        ("advisor", "You", "Hello, I am Sam. How can I help?"),
        ("resident", "Resident", "My council tax bill is wrong"),
    ]
    assert body["ticket"]["mine"] is True and body["state"] == "advisor"
    last = body["last_id"]
    assert sam.get(f"/advisor/api/conversation/{ticket_id}?after={last}").get_json()[
        "messages"] == []
    assert [a for a, _ in _audit(db, ticket_id)] == ["claim", "reply"]


def test_reply_by_fetch_gets_json(console, ticket_for):
    sam, _conv, ticket_id = _claimed(console, ticket_for)
    ok = sam.post(f"/advisor/conversation/{ticket_id}/reply", data={"message": "Hi"},
                  headers={"Accept": "application/json"})
    assert ok.status_code == 200 and ok.get_json()["ok"] is True
    bad = sam.post(f"/advisor/conversation/{ticket_id}/reply", data={"message": "  "},
                   headers={"Accept": "application/json"})
    assert bad.status_code == 400 and bad.get_json()["error"] == "Enter a reply"


def test_empty_reply_shows_the_error_summary(console, ticket_for):
    sam, _conv, ticket_id = _claimed(console, ticket_for)
    page = error_page(sam.post(f"/advisor/conversation/{ticket_id}/reply",
                               data={"message": ""}), {"message": "Enter a reply"})
    assert "govuk-form-group--error" in page
    assert 'aria-describedby="message-hint message-error"' in page


def test_canned_reply_without_javascript(console, ticket_for, router, app):
    sam, conv, ticket_id = _claimed(console, ticket_for)
    page = sam.get(f"/advisor/conversation/{ticket_id}").get_data(as_text=True)
    assert '<select class="govuk-select" id="canned" name="canned"' in page
    assert "Hello, my name is Sam." in page  # the advisor's name is filled in
    sam.post(f"/advisor/conversation/{ticket_id}/reply", data={"message": "", "canned": "1"})
    assert router.snapshot(conv).messages[-1].text == ops.CANNED_REPLIES[1]
    app.config["CANNED_REPLIES"] = ["Our own saved reply"]
    sam.post(f"/advisor/conversation/{ticket_id}/reply", data={"message": "", "canned": "0"})
    assert router.snapshot(conv).messages[-1].text == "Our own saved reply"
    # Typed text wins over a chosen saved reply.
    sam.post(f"/advisor/conversation/{ticket_id}/reply", data={"message": "Typed", "canned": "0"})
    assert router.snapshot(conv).messages[-1].text == "Typed"


def test_sms_conversation_handled_from_the_console(console, router, fake_rasa, fake_twilio, db):
    fake_rasa.reply_to("can i talk to a real person", [
        {"text": "I will pass you to an advisor."},
        {"custom": {"handoff": {"reason": "requested", "priority": 3,
                                "summary": {"topic": "council tax"}}}},
    ], intent="request_human")
    conv = router.sms_thread("07700 900123")
    result = router.handle(conv, "can i talk to a real person")
    assert result.state == "waiting"
    ticket_id = result.ticket_id

    sam = console("advisor", "Sam")
    row = sam.get("/advisor/api/queue").get_json()["tickets"][0]
    assert (row["id"], row["channel"], row["snippet"]) == (ticket_id, "sms",
                                                           "can i talk to a real person")
    sam.post(f"/advisor/tickets/{ticket_id}/claim")
    response = sam.post(f"/advisor/conversation/{ticket_id}/reply",
                        data={"message": "Hello, this is Sam from the council."})
    assert response.status_code == 303
    assert fake_twilio.requests == [RecordedCall("messages.create", {
        "to": "+447700900123", "from_": SMS_FROM, "body": "Hello, this is Sam from the council."})]

    # The resident texts back: the SMS channel finds the same thread; the advisor sees it.
    assert router.sms_thread("+447700900123") == conv
    router.handle(conv, "It is about my council tax")
    body = sam.get(f"/advisor/api/conversation/{ticket_id}").get_json()
    assert body["messages"][-1]["text"] == "It is about my council tax"

    sam.post(f"/advisor/conversation/{ticket_id}/close", data={"outcome": "resolved"})
    assert fake_twilio.requests[-1] == RecordedCall("messages.create", {
        "to": "+447700900123", "from_": SMS_FROM, "body": ops.CLOSED_SMS_TEXT})
    with db.session() as s:
        assert s.get(Conversation, conv).state == "closed"
    assert [a for a, _ in _audit(db, ticket_id)] == ["claim", "reply", "close"]


def test_sms_reply_twilio_refuses_nothing_is_recorded(console, ticket_for, fake_twilio, router):
    sam, conv, ticket_id = _claimed(console, ticket_for, "sms")
    before = len(router.snapshot(conv).messages)
    fake_twilio.fail = True
    response = sam.post(f"/advisor/conversation/{ticket_id}/reply", data={"message": "Hello"})
    assert response.status_code == 400
    assert "We could not send your text message. Try again." in response.get_data(as_text=True)
    assert len(router.snapshot(conv).messages) == before


def test_sms_reply_respects_the_residents_sms_opt_out(console, ticket_for, fake_twilio, router):
    sam, conv, ticket_id = _claimed(console, ticket_for, "sms")
    router.record_choice(conv, "sms", "opt_out", "text", "stop texting me")
    response = sam.post(f"/advisor/conversation/{ticket_id}/reply", data={"message": "Hello"})
    assert response.status_code == 400
    assert "asked not to get text messages" in response.get_data(as_text=True)
    assert fake_twilio.requests == []


def test_take_call_connects_the_caller_to_the_advisor(console, ticket_for, fake_twilio, db, app):
    sid = "CA" + "7" * 32
    conv, ticket_id = ticket_for("phone", "I need to speak to someone", call_sid=sid)
    sam = console("advisor", "Sam")
    row = sam.get("/advisor/api/queue").get_json()["tickets"][0]
    assert row["take_call_url"] == f"/advisor/conversation/{ticket_id}/take-call"
    page = sam.get(f"/advisor/conversation/{ticket_id}").get_data(as_text=True)
    assert "Take call" in page and "I need to speak to someone" in page
    assert "+447700900456" in page  # the caller's number, for the advisor

    response = sam.post(f"/advisor/conversation/{ticket_id}/take-call")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/advisor/conversation/{ticket_id}"
    assert fake_twilio.requests == [RecordedCall("calls.update", {
        "sid": sid,
        "twiml": f"<Response><Dial><Client>advisor-{sam.id}</Client></Dial></Response>",
    })]
    with db.session() as s:
        ticket = s.get(HandoffTicket, ticket_id)
        assert (ticket.status, ticket.advisor_id) == ("claimed", sam.id)
        assert s.get(Conversation, conv).state == "advisor"
    assert [a for a, _ in _audit(db, ticket_id)] == ["claim", "take_call"]


def test_take_call_can_dial_a_phone_number_from_config(console, ticket_for, fake_twilio, app):
    app.config["ADVISOR_DIAL_TARGET"] = "+441432111222"
    _conv, ticket_id = ticket_for("phone", "operator", call_sid="CA" + "8" * 32)
    sam = console("advisor")
    sam.post(f"/advisor/conversation/{ticket_id}/take-call")
    assert fake_twilio.requests[0].args["twiml"] == (
        "<Response><Dial><Number>+441432111222</Number></Dial></Response>")


def test_take_call_lost_race_and_twilio_failure(console, ticket_for, fake_twilio, db):
    _conv, ticket_id = ticket_for("phone", "operator", call_sid="CA" + "9" * 32)
    sam, alex = console("advisor"), console("advisor")
    fake_twilio.fail = True
    response = sam.post(f"/advisor/conversation/{ticket_id}/take-call")
    assert response.headers["Location"] == f"/advisor/conversation/{ticket_id}"
    page = sam.get(response.headers["Location"]).get_data(as_text=True)
    assert "We could not connect the call" in page
    assert "take_call" not in [a for a, _ in _audit(db, ticket_id)]
    fake_twilio.fail = False
    # Sam holds the ticket (claimed first); Alex is told someone else has it.
    lost = alex.post(f"/advisor/conversation/{ticket_id}/take-call")
    assert lost.headers["Location"] == "/advisor"
    assert "Another advisor has taken this conversation" in alex.get("/advisor").get_data(
        as_text=True)
    # Sam tries again and the call is connected.
    sam.post(f"/advisor/conversation/{ticket_id}/take-call")
    assert [r.kind for r in fake_twilio.requests] == ["calls.update"]


def test_phone_tickets_get_no_text_replies(console, ticket_for, router):
    sam, conv, ticket_id = _claimed(console, ticket_for, "phone")
    page = sam.get(f"/advisor/conversation/{ticket_id}").get_data(as_text=True)
    assert 'name="message"' not in page and "Take call" in page
    response = sam.post(f"/advisor/conversation/{ticket_id}/reply", data={"message": "hi"})
    assert response.status_code == 400
    assert all(m.sender != "advisor" for m in router.snapshot(conv).messages)


def test_take_call_on_a_web_ticket_is_refused(console, ticket_for, fake_twilio, db):
    _conv, ticket_id = ticket_for("web")
    sam = console("advisor")
    response = sam.post(f"/advisor/conversation/{ticket_id}/take-call", follow_redirects=True)
    assert "This conversation is not a phone call" in response.get_data(as_text=True)
    assert fake_twilio.requests == []
    with db.session() as s:
        assert s.get(HandoffTicket, ticket_id).status == "queued"


XSS = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def test_stored_xss_in_a_resident_message_is_shown_as_text(console, ticket_for, router):
    conv, ticket_id = ticket_for("web", XSS)
    sam = console("advisor")
    for url in ("/advisor", f"/advisor/conversation/{ticket_id}"):
        page = sam.get(url).get_data(as_text=True)
        assert "<script>alert(" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;alert(" in page, url
    sam.post(f"/advisor/tickets/{ticket_id}/claim")
    router.handle(conv, "<b>bold</b>")
    body = sam.get(f"/advisor/api/conversation/{ticket_id}").get_json()
    assert body["messages"][-1]["text"] == "<b>bold</b>"  # raw in JSON; console.js uses textContent
    page = sam.get(f"/advisor/conversation/{ticket_id}").get_data(as_text=True)
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_console_script_never_writes_html():
    static = Path(__file__).resolve().parents[3] / "handoff" / "console" / "static"
    script = (static / "console.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    assert "textContent" in script


def test_console_pages_have_no_inline_script_without_nonce(console, ticket_for):
    _conv, ticket_id = ticket_for("web")
    sam = console("advisor")
    for url in ("/advisor", f"/advisor/conversation/{ticket_id}", "/advisor/callbacks"):
        response = sam.get(url)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        page = response.get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in tag or f'nonce="{nonce}"' in tag, tag
        assert " style=" not in page and " onclick=" not in page
        assert response.headers["Cache-Control"] == "no-store"


def test_close_tells_the_resident_and_their_rating_is_stored(console, ticket_for, router, db):
    sam, conv, ticket_id = _claimed(console, ticket_for)
    page = sam.get(f"/advisor/conversation/{ticket_id}").get_data(as_text=True)
    for label in ("Resolved", "Callback arranged", "Referred to service", "No response", "Other"):
        assert f">{label}</option>" in page
    missing = sam.post(f"/advisor/conversation/{ticket_id}/close", data={"outcome": ""})
    assert missing.status_code == 400
    assert '<a href="#outcome">Choose an outcome</a>' in missing.get_data(as_text=True)

    response = sam.post(f"/advisor/conversation/{ticket_id}/close",
                        data={"outcome": "referred"})
    assert response.status_code == 303 and response.headers["Location"] == "/advisor"
    assert "Conversation closed: referred to service." in sam.get("/advisor").get_data(
        as_text=True)
    snap = router.snapshot(conv)
    assert snap.state == "closed"
    assert snap.messages[-1].text == ops.CLOSED_TEXT
    router.rate(conv, 4)
    with db.session() as s:
        c = s.get(Conversation, conv)
        assert c.satisfaction == 4 and c.closed_at is not None
        t = s.get(HandoffTicket, ticket_id)
        assert (t.status, t.outcome) == ("closed", "referred")
        detail = s.scalar(select(AuditLog.detail).where(AuditLog.action == "close"))
        assert detail == {"outcome": "referred"}
    # Closed: no more replies.
    again = sam.post(f"/advisor/conversation/{ticket_id}/reply", data={"message": "one more"})
    assert again.status_code == 303
    assert router.snapshot(conv).messages[-1].text == ops.CLOSED_TEXT


def test_hand_back_returns_the_resident_to_the_assistant(console, ticket_for, router, db,
                                                        fake_rasa):
    sam, conv, ticket_id = _claimed(console, ticket_for)
    response = sam.post(f"/advisor/conversation/{ticket_id}/hand-back")
    assert response.status_code == 303 and response.headers["Location"] == "/advisor"
    snap = router.snapshot(conv)
    assert snap.state == "bot" and snap.messages[-1].text == ops.HANDED_BACK_TEXT
    calls = len(fake_rasa.calls)
    assert router.handle(conv, "when is my bin day").state == "bot"
    assert len(fake_rasa.calls) == calls + 1
    assert [a for a, _ in _audit(db, ticket_id)] == ["claim", "hand_back"]


def test_hand_back_by_sms_tells_the_resident(console, ticket_for, fake_twilio):
    sam, _conv, ticket_id = _claimed(console, ticket_for, "sms")
    sam.post(f"/advisor/conversation/{ticket_id}/hand-back")
    assert fake_twilio.requests == [RecordedCall("messages.create", {
        "to": "+447700900123", "from_": SMS_FROM, "body": ops.HANDED_BACK_TEXT})]


def test_only_the_claiming_advisor_acts_supervisors_may_read(console, ticket_for, router):
    sam, conv, ticket_id = _claimed(console, ticket_for)
    alex, boss = console("advisor", "Alex"), console("supervisor", "Boss")
    for url, data in ((f"/advisor/conversation/{ticket_id}/reply", {"message": "hijack"}),
                      (f"/advisor/conversation/{ticket_id}/close", {"outcome": "resolved"}),
                      (f"/advisor/conversation/{ticket_id}/hand-back", {})):
        for person in (alex, boss):
            person.post(url, data=data)
    assert router.snapshot(conv).state == "advisor"
    assert all(m.text != "hijack" for m in router.snapshot(conv).messages)
    assert alex.get(f"/advisor/conversation/{ticket_id}").status_code == 303
    page = boss.get(f"/advisor/conversation/{ticket_id}").get_data(as_text=True)
    assert "Sam is handling this conversation." in page and 'name="message"' not in page
    assert boss.get(f"/advisor/api/conversation/{ticket_id}").status_code == 200


def test_callbacks_list_and_mark_done(console, ticket_for, router, db):
    conv, ticket_id = ticket_for("web")
    callback_id = router.request_callback(conv, phone="07700 900999", preferred_time="Morning",
                                          notes="About my parking permit")
    sam = console("advisor")
    page = sam.get("/advisor/callbacks").get_data(as_text=True)
    for text in ("+447700900999", "Morning", "About my parking permit",
                 f'href="/advisor/conversation/{ticket_id}"', "Mark as done"):
        assert text in page, text
    response = sam.post(f"/advisor/callbacks/{callback_id}/done")
    assert response.status_code == 303
    with db.session() as s:
        cb = s.get(CallbackRequest, callback_id)
        assert (cb.status, cb.handled_by) == ("done", sam.id) and cb.done_at
        assert s.scalar(select(AuditLog.action).where(
            AuditLog.target == f"callback:{callback_id}")) == "callback_done"
    page = sam.get("/advisor/callbacks").get_data(as_text=True)
    assert "There are no callbacks to make." in page and "Recently done" in page
    assert sam.post("/advisor/callbacks/999/done").status_code == 404


def test_team_page_shows_who_is_handling_what(console, ticket_for):
    sam, _conv, ticket_id = _claimed(console, ticket_for)
    boss = console("supervisor", "Boss")
    page = boss.get("/advisor/team").get_data(as_text=True)
    assert "Sam" in page and "Boss" in page and "Available" in page
    assert f'href="/advisor/conversation/{ticket_id}"' in page


def test_admin_creates_and_deactivates_advisors(console, ticket_for, db, app, router):
    admin = console("admin", "Ada")
    response = admin.post("/advisor/admin/advisors", data={
        "name": "New Person", "email": "New@Example.gov.uk", "role": "advisor",
        "password": "a long enough password", "password_confirm": "a long enough password"})
    assert response.status_code == 303
    assert "Advisor New Person created." in admin.get("/advisor/admin/advisors").get_data(
        as_text=True)
    bad = admin.post("/advisor/admin/advisors", data={
        "name": "", "email": "new@example.gov.uk", "role": "advisor",
        "password": "short", "password_confirm": "short"})
    assert bad.status_code == 400
    assert '<a href="#name">Enter a name</a>' in bad.get_data(as_text=True)
    dup = admin.post("/advisor/admin/advisors", data={
        "name": "Dup", "email": "new@example.gov.uk", "role": "advisor",
        "password": "a long enough password", "password_confirm": "a long enough password"})
    assert "already exists" in dup.get_data(as_text=True)

    sam, conv, ticket_id = _claimed(console, ticket_for)
    response = admin.post(f"/advisor/admin/advisors/{sam.id}/deactivate")
    assert response.status_code == 303
    assert sam.get("/advisor").status_code == 302  # signed out
    with db.session() as s:
        ticket = s.get(HandoffTicket, ticket_id)
        assert (ticket.status, ticket.advisor_id) == ("queued", None)
        assert s.get(Conversation, conv).state == "waiting"
        assert s.scalar(select(Message.text).where(Message.conversation_id == conv)
                        .order_by(Message.id.desc()).limit(1)) == ops.RETURNED_TO_QUEUE_TEXT
        actions = set(s.scalars(select(AuditLog.action).where(AuditLog.advisor_id == admin.id)))
    assert {"advisor_create", "advisor_deactivate", "release"} <= actions
    # An admin cannot lock themselves out.
    admin.post(f"/advisor/admin/advisors/{admin.id}/deactivate")
    assert admin.get("/advisor").status_code == 200


@pytest.mark.parametrize("value,expected", [
    ("client:advisor-3", "<Response><Dial><Client>advisor-3</Client></Dial></Response>"),
    ("+441432000001", "<Response><Dial><Number>+441432000001</Number></Dial></Response>"),
    ("client:a&b<c>", "<Response><Dial><Client>a&amp;b&lt;c&gt;</Client></Dial></Response>"),
])
def test_dial_twiml(value, expected):
    assert ops.dial_twiml(value) == expected


@pytest.mark.parametrize("field,value,message", [
    ("email", "sam@", "Enter an email address in the correct format, like name@example.gov.uk"),
    ("email", "sam@localhost", "Enter an email address in the correct format"),
    ("email", "", "Enter an email address"),
    ("role", "owner", "Choose a role"),
    ("password", "short", "Password must be 12 characters or more"),
    ("password_confirm", "something else entirely", "Passwords do not match"),
    ("name", "x" * 121, "Name must be 120 characters or fewer"),
])
def test_the_add_advisor_form_explains_each_mistake(console, db, field, value, message):
    admin = console("admin")
    data = {"name": "New Person", "email": "new@example.gov.uk", "role": "advisor",
            "password": "a long enough password", "password_confirm": "a long enough password"}
    data[field] = value
    response = admin.post("/advisor/admin/advisors", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'<a href="#{field}">{message}' in page
    assert f'id="{field}-error"' in page
    with db.session() as s:
        assert s.scalar(select(Advisor).where(Advisor.email == "new@example.gov.uk")) is None
