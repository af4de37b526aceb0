"""The phone line, webhook by webhook, as Twilio would drive it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from handoff import queue as ops
from storage.models import (
    CallbackRequest,
    Conversation,
    HandoffTicket,
    Message,
    OptOutEvent,
)
from tests.channels.conftest import CALLER, Phone, closed_hours, parse, says, spoken
from tests.conftest import add_advisor_row

BASE = "https://assistant.example.gov.uk"
RESPOND = f"{BASE}/voice/respond"
CLOSED = pytest.mark.parametrize("settings", [{"opening_hours": closed_hours()}], indirect=True)


def _gather(root):
    gathers = root.findall("Gather")
    assert len(gathers) == 1, "each assistant turn ends by listening"
    return gathers[0]


def _assert_listening(root):
    gather = _gather(root)
    assert gather.get("action") == RESPOND
    assert gather.get("input") == "speech dtmf"
    assert gather.get("language") == "en-GB"
    assert gather.get("speechTimeout") == "3"
    assert gather.get("actionOnEmptyResult") == "true"
    assert gather.get("numDigits") == "1"
    return gather


def _tickets(db):
    with db.session() as s:
        tickets = s.scalars(select(HandoffTicket).order_by(HandoffTicket.id))
        return [(t.reason, t.status) for t in tickets]


def _enqueue(root):
    enqueue = root.find("Enqueue")
    assert enqueue is not None, "the caller must be put in the advisors' queue"
    assert enqueue.text == "advisors"
    assert enqueue.get("waitUrl") == f"{BASE}/voice/wait"
    assert enqueue.get("action") == f"{BASE}/voice/queue-exit"
    return enqueue


# --- the greeting --------------------------------------------------------------------------------


def test_greeting_says_automated_gives_the_notice_and_the_controls(phone, db):
    root = phone.dial()
    gather = _assert_listening(root)
    hints = gather.get("hints")
    for word in ("bin", "recycling", "pothole", "council tax"):
        assert word in hints
    say = gather.find("Say")
    assert say.get("voice") == "Polly.Amy-Neural" and say.get("language") == "en-GB"
    text = spoken(root)
    assert "automated assistant" in text
    assert "Press 0 or say 'person' at any time to talk to someone." in text
    assert "Press 8 to hear how we use your information." in text
    # The version means nothing to a caller: recorded with the call, not read out. The other
    # keys wait until they help (after a failed turn, or "options").
    assert "test-v1" not in text and "version" not in text.lower()
    assert "Press 9" not in text and "star" not in text
    assert len(text.split()) < 35
    with db.session() as s:
        conv = s.scalars(select(Conversation)).one()
        greeting, note = s.scalars(select(Message).where(Message.conversation_id == conv.id)
                                   .order_by(Message.id)).all()
    assert (conv.channel, conv.call_sid, conv.address) == ("phone", phone.sid, CALLER)
    assert greeting.sender == "bot" and greeting.text == text
    assert (note.sender, note.text) == ("system", "Privacy notice test-v1 applies to this call.")


def test_press_8_tells_the_caller_how_we_use_their_information(phone, db, settings, fake_rasa):
    phone.dial()
    root = phone.press("8")
    _assert_listening(root)
    text = spoken(root)
    assert text.startswith("We keep a record of this call to help you")
    assert f"We delete the record after {settings.retention_days} days." in text
    assert "say 'do not keep a record'" in text and "Press 0 for a person." in text
    assert text.endswith("How can I help?")
    assert spoken(phone.press("*")).startswith("We keep a record of this call")  # star repeats
    with db.session() as s:
        notes = s.scalars(select(Message.text).where(Message.sender == "system")).all()
    assert "The caller pressed 8 and heard how we use their information (notice test-v1)." in notes
    assert fake_rasa.calls == []


@pytest.mark.parametrize("utterance", ["options", "what are my options", "Menu, please."])
def test_saying_options_lists_the_other_keys(phone, fake_rasa, utterance):
    phone.dial()
    root = phone.say(utterance)
    _assert_listening(root)
    assert spoken(root) == (
        "You can also press 9 to skip the automated assistant, star to hear something again, "
        "or 2 for slower speech. How can I help?")
    assert fake_rasa.calls == []


def test_a_repeated_incoming_webhook_reuses_the_conversation(phone, db):
    phone.dial()
    phone.dial()
    with db.session() as s:
        assert len(s.scalars(select(Conversation)).all()) == 1


def test_speech_goes_to_the_phone_channel_and_the_reply_is_spoken(phone, fake_rasa, db):
    fake_rasa.reply_to("when is my bin day", [{"text": "What is your postcode?"}],
                       intent="bin_collection_day")
    phone.dial()
    root = phone.say("when is my bin day")
    gather = _assert_listening(root)
    assert [s.text for s in gather.findall("Say")] == ["What is your postcode?"]
    assert gather.find("Say").get("voice") == "Polly.Amy-Neural"
    call = fake_rasa.calls[0]
    assert call["channel"] == "phone" and call["text"] == "when is my bin day"
    with db.session() as s:
        resident = s.scalars(select(Message).where(Message.sender == "resident")).one()
    assert (resident.text, resident.intent) == ("when is my bin day", "bin_collection_day")


def test_buttons_are_read_out_as_things_to_say(phone, fake_rasa):
    fake_rasa.reply_to("hello", [{"text": "What do you need?", "buttons": [
        {"title": "Bin day", "payload": "/bin_collection_day"},
        {"title": "Report a pothole", "payload": "/report_pothole"}]}], intent="greet")
    phone.dial()
    assert spoken(phone.say("hello")) == (
        "What do you need? You can say: Bin day or Report a pothole.")


# --- caller controls -----------------------------------------------------------------------------


def test_press_0_hands_over_to_the_queue_with_the_position(phone, db, advisor_online, fake_rasa):
    phone.dial()
    root = phone.press("0")
    _enqueue(root)
    text = spoken(root)
    assert "I am putting you through to a person." in text
    assert "You are number 1 in the queue. The wait is about 6 minutes." in text
    assert _tickets(db) == [("requested", "queued")]
    assert fake_rasa.calls == []


@pytest.mark.parametrize("utterance", ["person", "a real person please", "talk to someone",
                                       "Operator."])
def test_saying_person_hands_over_without_asking_the_assistant(phone, db, fake_rasa,
                                                                 advisor_online, utterance):
    phone.dial()
    root = phone.say(utterance)
    _enqueue(root)
    assert _tickets(db) == [("requested", "queued")]
    assert fake_rasa.calls == []


def test_a_sentence_that_mentions_someone_still_goes_to_the_assistant(phone, fake_rasa):
    phone.dial()
    _assert_listening(phone.say("someone has dumped rubbish in my lane"))
    assert fake_rasa.calls[0]["text"] == "someone has dumped rubbish in my lane"


def test_star_repeats_the_last_prompt(phone, fake_rasa):
    fake_rasa.reply_to("bin day", [{"text": "What is your postcode?"}], intent="bin_collection_day")
    root = phone.dial()
    greeting = spoken(root)
    assert spoken(phone.press("*")) == greeting
    phone.say("bin day")
    root = phone.press("*")
    _assert_listening(root)
    assert spoken(root) == "What is your postcode?"
    assert len(fake_rasa.calls) == 1  # repeating does not ask the assistant again


def test_press_2_slows_speech_for_the_rest_of_the_call(phone, fake_rasa):
    fake_rasa.reply_to("bin day", [{"text": "What is your postcode?"}], intent="bin_collection_day")
    phone.dial()
    root = phone.press("2")
    _assert_listening(root)
    prosody = [p.get("rate") for p in root.iter("prosody")]
    assert prosody and set(prosody) == {"slow"}
    assert says(root)[0] == "I will speak more slowly."
    root = phone.say("bin day")
    assert [p.text for p in root.iter("prosody")] == ["What is your postcode?"]
    assert root.iter("prosody").__next__().get("rate") == "slow"
    assert root.find("Gather").find("Say").get("voice") == "Polly.Amy-Neural"


def test_press_9_records_the_opt_out_and_hands_over(phone, db, advisor_online, fake_rasa):
    phone.dial()
    root = phone.press("9")
    _enqueue(root)
    assert "do not want to use the automated assistant" in spoken(root)
    with db.session() as s:
        event = s.scalars(select(OptOutEvent)).one()
    assert (event.scope, event.action, event.method, event.channel, event.utterance,
            event.notice_version) == ("automated_assistant", "opt_out", "keypad", "phone",
                                      "pressed 9", "test-v1")
    assert _tickets(db) == [("opt_out", "queued")]
    assert fake_rasa.calls == []


def test_an_opted_out_caller_goes_straight_through_on_the_next_call(twilio, db, advisor_online,
                                                                    fake_rasa):
    first = Phone(twilio)
    first.dial()
    first.press("9")
    again = Phone(twilio)  # the same number, a new call
    root = again.dial()
    assert root.find("Gather") is None, "the assistant is skipped"
    _enqueue(root)
    text = spoken(root)
    assert "You told us you do not want to use the automated assistant" in text
    assert "Notice version" not in text and "Press 9" not in text
    with db.session() as s:
        conv = s.scalars(select(Conversation).where(Conversation.call_sid == again.sid)).one()
        ticket = s.scalars(
            select(HandoffTicket).where(HandoffTicket.conversation_id == conv.id)).one()
    assert ticket.reason == "opt_out"
    assert fake_rasa.calls == []


def test_another_number_still_gets_the_assistant(twilio, fake_rasa):
    Phone(twilio).dial()
    Phone(twilio).press("9")
    _assert_listening(Phone(twilio, "+447700900999").dial())


def test_other_keys_are_explained_not_counted(phone, fake_rasa, db):
    phone.dial()
    for key in ("5", "#", "5"):
        root = phone.press(key)
        _assert_listening(root)
        assert "That key does not do anything" in spoken(root)
    assert _tickets(db) == []


# --- turns not heard or not understood ----------------------------------------------------------


def test_one_silent_turn_asks_again(phone, db):
    phone.dial()
    root = phone.silence()
    _assert_listening(root)
    assert "I did not hear anything" in spoken(root)
    assert _tickets(db) == []


def test_two_silent_turns_in_a_row_hand_over(phone, db, advisor_online):
    phone.dial()
    phone.silence()
    root = phone.silence()
    _enqueue(root)
    assert "I am not understanding you" in spoken(root)
    assert _tickets(db) == [("not_understood", "queued")]


def test_two_not_understood_turns_in_a_row_hand_over(phone, db, fake_rasa, advisor_online):
    fake_rasa.reply_to("blah", [{"text": "Sorry, I did not understand that."}],
                       intent="nlu_fallback", confidence=0.2)
    phone.dial()
    root = phone.say("blah")
    _assert_listening(root)
    assert spoken(root) == (
        "Sorry, I did not understand that. You can also press 9 to skip the automated "
        "assistant, star to hear something again, or 2 for slower speech.")
    root = phone.say("blah")
    _enqueue(root)
    assert _tickets(db) == [("not_understood", "queued")]


def test_a_good_turn_resets_the_count(phone, db, fake_rasa):
    fake_rasa.reply_to("blah", [{"text": "Sorry?"}], intent="nlu_fallback")
    phone.dial()
    phone.silence()
    phone.say("when is my bin day")
    _assert_listening(phone.say("blah"))  # one failure since the good turn: keep going
    assert _tickets(db) == []


# --- handover: advisors, nobody free, closed --------------------------------------------------


def test_nobody_free_is_said_honestly_with_callback_voicemail_or_wait(phone, db):
    phone.dial()
    root = phone.press("0")
    offer = root.find("Gather")
    assert offer.get("action") == f"{BASE}/voice/callback?from=offer"
    text = spoken(offer)
    assert "No advisor is free right now." in text
    assert "To be called back on the number ending 0 1 2 3, press 1." in text
    assert "To leave a message, press 2." in text
    assert "stay on the line" in text
    _enqueue(root)  # no choice: they wait in the queue
    assert [v.tag for v in root] == ["Say", "Gather", "Enqueue"]


def test_callback_on_the_callers_number_is_logged_with_the_ticket(phone, db):
    phone.dial()
    phone.press("0")
    root = phone.post("/voice/callback?from=offer", Digits="1")
    assert "We will call you back on the number ending 0 1 2 3" in spoken(root)
    assert root[-1].tag == "Hangup"
    with db.session() as s:
        callback = s.scalars(select(CallbackRequest)).one()
        ticket = s.scalars(select(HandoffTicket)).one()
    assert callback.phone == CALLER and callback.ticket_id == ticket.id
    assert callback.recording_url is None


def test_callback_by_saying_call_me_back(phone, db):
    phone.dial()
    phone.press("0")
    root = phone.post("/voice/callback?from=offer", SpeechResult="call me back please")
    assert "We will call you back" in spoken(root)
    with db.session() as s:
        assert s.scalars(select(CallbackRequest)).one().phone == CALLER


def test_voicemail_is_recorded_and_logged_as_a_callback(phone, db):
    phone.dial()
    phone.press("0")
    root = phone.post("/voice/callback?from=offer", Digits="2")
    record = root.find("Record")
    assert record.get("maxLength") == "120"
    assert record.get("action") == f"{BASE}/voice/voicemail"
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE123"
    root = phone.post("/voice/voicemail", RecordingUrl=url, RecordingDuration="14")
    assert "We have your message" in spoken(root)
    with db.session() as s:
        callback = s.scalars(select(CallbackRequest)).one()
    assert callback.recording_url == url and callback.phone == CALLER


def test_voicemail_from_somewhere_else_is_not_stored(phone, db):
    phone.dial()
    phone.press("0")
    root = phone.post("/voice/voicemail", RecordingUrl="https://evil.example/x.mp3",
                      RecordingDuration="14")
    assert "nothing was saved" in spoken(root)
    with db.session() as s:
        assert s.scalars(select(CallbackRequest)).all() == []


def test_choosing_to_wait_goes_into_the_queue(phone):
    phone.dial()
    phone.press("0")
    _enqueue(phone.post("/voice/callback?from=offer", Digits="3"))


@pytest.mark.parametrize("scope", ["call_recording", "data_use"])
def test_no_recording_is_ever_offered_after_a_recording_opt_out(phone, router, db, scope):
    phone.dial()
    conv = router.find_by_call(phone.sid)
    router.record_choice(conv, scope, "opt_out", method="speech", utterance="do not record me")
    root = phone.press("0")
    assert "leave a message" not in spoken(root)
    root = phone.post("/voice/callback?from=offer", Digits="2")
    assert root.find(".//Record") is None
    assert "leave a message" not in spoken(root)


def test_a_withheld_number_is_not_offered_a_callback_on_it(twilio, db):
    hidden = Phone(twilio, "anonymous")
    hidden.dial()
    root = hidden.press("0")
    assert "number ending" not in spoken(root)
    assert "To leave a message, press 2." in spoken(root)
    with db.session() as s:
        assert s.scalars(select(Conversation)).one().address is None


@CLOSED
def test_outside_opening_hours_the_caller_is_told_and_offered_a_callback(phone, db, settings):
    phone.dial()
    root = phone.press("0")
    assert root.find("Enqueue") is None, "nobody would answer: no queue"
    text = spoken(root)
    day = {"Mon": "Monday", "Tue": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday",
           "Fri": "Friday", "Sat": "Saturday", "Sun": "Sunday"}[settings.opening_hours[:3]]
    assert f"Our advisors are not working right now. They are here {day}, 9am to 5pm." in text
    assert "number ending 0 1 2 3, press 1" in text
    assert root[-1].tag == "Hangup"
    root = phone.post("/voice/callback?from=offer", Digits="1")
    assert "when we are open" in spoken(root)
    with db.session() as s:
        assert s.scalars(select(CallbackRequest)).one().phone == CALLER


@CLOSED
def test_outside_hours_waiting_is_not_an_option(phone):
    phone.dial()
    phone.press("0")
    root = phone.post("/voice/callback?from=offer", Digits="3")
    assert root.find("Enqueue") is None
    assert "press 1" in spoken(root)


# --- waiting in the queue --------------------------------------------------------------------


def test_wait_url_tells_the_position_and_offers_a_callback(phone, advisor_online):
    phone.dial()
    phone.press("0")
    root = phone.post("/voice/wait", QueuePosition="3", QueueTime="40", CurrentQueueSize="3")
    gather = root.find("Gather")
    assert gather.get("action") == f"{BASE}/voice/callback?from=queue"
    assert gather.get("numDigits") == "1"
    assert "You are number 3 in the queue." in spoken(gather)
    assert "To be called back instead, press 1." in spoken(gather)
    assert root.find("Pause") is not None
    assert root.find("Record") is None and root.find("Dial") is None


def test_pressing_1_while_waiting_logs_a_callback_and_leaves_the_queue(phone, db, advisor_online):
    phone.dial()
    phone.press("0")
    root = phone.post("/voice/callback?from=queue", Digits="1")
    assert "We will call you back on the number ending 0 1 2 3" in spoken(root)
    assert [v.tag for v in root][-1] == "Leave"
    with db.session() as s:
        assert s.scalars(select(CallbackRequest)).one().phone == CALLER
    root = phone.post("/voice/wait", QueuePosition="1")
    assert "press 1" not in spoken(root), "no second offer once a callback is booked"
    root = phone.post("/voice/queue-exit", QueueResult="leave")
    assert [v.tag for v in root] == ["Hangup"]


def test_other_keys_while_waiting_keep_the_caller_holding(phone, advisor_online):
    phone.dial()
    phone.press("0")
    root = phone.post("/voice/callback?from=queue", Digits="7")
    assert "Please keep holding." in spoken(root) and root.find("Leave") is None


def test_queue_full_falls_back_to_the_councils_line(phone):
    phone.dial()
    root = phone.post("/voice/queue-exit", QueueResult="queue-full")
    assert root.find("Dial").text == "+441432260000"


# --- failures ------------------------------------------------------------------------------------


def test_rasa_down_apologises_and_puts_the_caller_through(phone, fake_rasa, db, advisor_online):
    fake_rasa.fail = True
    phone.dial()
    root = phone.say("when is my bin day")
    text = spoken(root)
    assert text.startswith("Sorry, our automated assistant is not working right now.")
    _enqueue(root)
    assert _tickets(db) == [("system_failure", "queued")]


def test_an_unexpected_error_still_answers_valid_twiml(phone, router, monkeypatch):
    phone.dial()

    def broken(*_a, **_k):
        raise RuntimeError("a bug")

    monkeypatch.setattr(router, "handle", broken)
    root = phone.say("hello")
    assert "something went wrong on our side" in spoken(root)
    assert root.find("Dial").text == "+441432260000"


def test_a_database_error_still_answers_valid_twiml(phone, router, monkeypatch):
    phone.dial()

    def down(*_a, **_k):
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    monkeypatch.setattr(router, "find_by_call", down)
    for path in ("/voice/incoming", "/voice/respond", "/voice/callback?from=offer",
                 "/voice/voicemail", "/voice/queue-exit"):
        root = phone.post(path)
        assert root.find("Dial").text == "+441432260000", path
    for path in ("/voice/wait", "/voice/callback?from=queue"):
        root = phone.post(path)
        assert "Please keep holding." in spoken(root) and root.find("Dial") is None, path
    assert phone.post("/voice/status", CallStatus="completed").tag == "Response"


def test_a_missing_database_still_answers_valid_twiml(twilio, db, settings):
    db.engine.dispose()
    Path(settings.database_url.removeprefix("sqlite:///")).unlink()
    root = Phone(twilio).dial()
    assert root.find("Dial") is not None and "something went wrong" in spoken(root)


# --- bad input -------------------------------------------------------------------------------


def test_oversized_speech_is_asked_again_in_fewer_words(phone, fake_rasa):
    phone.dial()
    root = phone.say("bins " * 2000)
    _assert_listening(root)
    assert "too long" in spoken(root)
    assert fake_rasa.calls == []


@pytest.mark.parametrize("params", [
    {"CallSid": ""},
    {"CallSid": "../../etc/passwd"},
    {"CallSid": "CA" + "x" * 5000},
])
def test_a_malformed_call_sid_gets_a_short_message_not_an_error(twilio, params):
    for path in ("/voice/incoming", "/voice/respond"):
        root = parse(twilio.post(path, params))
        assert "something went wrong" in spoken(root)


def test_malformed_digits_from_and_confidence_are_survived(twilio, fake_rasa):
    call = Phone(twilio, "x" * 3000)
    _assert_listening(call.dial())
    root = call.post("/voice/respond", Digits="\u00e9\u00e9", Confidence="lots")
    assert "That key does not do anything" in spoken(root)
    root = call.post("/voice/respond", Digits="45", SpeechResult="")
    assert "That key does not do anything" in spoken(root)


# --- status callbacks ----------------------------------------------------------------------------


def test_call_end_is_recorded(phone, db):
    phone.dial()
    phone.post("/voice/status", CallStatus="ringing")
    phone.post("/voice/status", CallStatus="completed", CallDuration="42")
    with db.session() as s:
        texts = s.scalars(select(Message.text).where(Message.sender == "system")).all()
    assert texts == ["Privacy notice test-v1 applies to this call.", "Call ended."]


def test_call_ending_while_waiting_is_marked_for_advisors(phone, db):
    phone.dial()
    phone.press("0")
    phone.post("/voice/status", CallStatus="completed")
    with db.session() as s:
        texts = s.scalars(select(Message.text).where(Message.sender == "system")).all()
    assert texts[-1] == "Call ended while the caller was waiting for an advisor."


# --- handovers are data: the phone words them, never the text chat's sentences ------------------


def test_a_handover_is_worded_for_the_phone_not_the_text_chat(phone, fake_rasa, db,
                                                              advisor_online):
    from handoff.notices import TEXT_FAILURE

    fake_rasa.reply_to("i need help with my housing", [
        {"text": "I will get a person to help you."},
        {"custom": {"handoff": {"reason": "housing", "priority": 2}}}])
    phone.dial()
    text = spoken(phone.say("i need help with my housing"))
    assert text.startswith("I will get a person to help you.")
    assert "You are number 1 in the queue." in text       # the phone's own words
    assert "I have passed you to a person" not in text    # the text chat's, never spoken
    with db.session() as s:  # the transcript keeps the text wording for the advisor
        notes = s.scalars(select(Message.text).where(Message.sender == "system")).all()
    assert any(n.startswith("I have passed you to a person") for n in notes)
    assert TEXT_FAILURE not in text


def test_a_standing_opt_out_met_mid_call_is_said_in_phone_words(phone, router, fake_rasa, db):
    phone.dial()
    conv = router.find_by_call(phone.sid)
    router.record_choice(conv, "automated_assistant", "opt_out", method="text")
    text = spoken(phone.say("when is my bin day"))
    assert text.startswith("You told us you do not want to use the automated assistant, "
                           "so I am putting you straight through to a person.")
    assert fake_rasa.calls == []


# --- the keypad score at the end of a call the assistant handled (issue 13) -----------------------

SCORE_URL = f"{BASE}/voice/score"


def _asks_bin_day(phone, fake_rasa) -> None:
    """A caller asks about their bin day and gets an answer; the assistant will also answer
    "thanks bye" with a goodbye."""
    fake_rasa.reply_to("when is my bin day", [{"text": "Your next bin day is Tuesday."}],
                       intent="bin_collection_day")
    fake_rasa.reply_to("thanks bye", [{"text": "Thank you for contacting the council. Goodbye."}],
                       intent="goodbye")
    phone.dial()
    phone.say("when is my bin day")


def _helped_then_goodbye(phone, fake_rasa):
    """A caller gets an answer about their bin day, then says goodbye."""
    _asks_bin_day(phone, fake_rasa)
    return phone.say("thanks bye")


def _score_of(db, sid):
    with db.session() as s:
        conv = s.scalars(select(Conversation).where(Conversation.call_sid == sid)).one()
        return conv.satisfaction, conv.satisfaction_at is not None


def test_a_caller_the_assistant_helped_is_asked_once_for_a_keypad_score(phone, fake_rasa, db):
    root = _helped_then_goodbye(phone, fake_rasa)
    gather = root.find("Gather")
    assert gather is not None
    assert (gather.get("action"), gather.get("input"), gather.get("numDigits")) == (
        SCORE_URL, "dtmf", "1")
    question = spoken(gather)
    assert question == ("Before you go, how did we do? "
                        "Press a number from 1 for very poor to 5 for very good.")
    assert len(question.split()) < 25
    # Pressing nothing: Twilio falls through the <Gather> to a polite goodbye and the hang-up.
    assert says(root)[-1] == "Thank you for calling. Goodbye."
    assert [child.tag for child in root] == ["Gather", "Say", "Hangup"]

    done = phone.post("/voice/score", Digits="4")
    assert spoken(done) == "Thank you for your score. Goodbye."
    assert [child.tag for child in done] == ["Say", "Hangup"]
    assert _score_of(db, phone.sid) == (4, True)
    # The call then ends: a caller who had their answer is not "abandoned".
    phone.post("/voice/status", CallStatus="completed")
    with db.session() as s:
        assert s.scalars(select(Conversation)).one().state == "bot"


def test_the_score_is_asked_and_recorded_only_once_per_call(phone, fake_rasa, db):
    _helped_then_goodbye(phone, fake_rasa)
    phone.post("/voice/score", Digits="5")
    # A replayed or second key press changes nothing; a second goodbye is not asked again.
    assert spoken(phone.post("/voice/score", Digits="1")) == "Thank you for calling. Goodbye."
    assert _score_of(db, phone.sid) == (5, True)
    again = phone.say("thanks bye")
    _assert_listening(again)
    assert "how did we do" not in spoken(again)


@pytest.mark.parametrize("key", ["6", "9", "#", "*"])
def test_a_key_that_is_not_a_score_simply_ends_the_call(phone, fake_rasa, db, key):
    _helped_then_goodbye(phone, fake_rasa)
    root = phone.post("/voice/score", Digits=key)
    assert spoken(root) == "Thank you for calling. Goodbye."
    assert root.find("Hangup") is not None
    assert _score_of(db, phone.sid) == (None, False)


def test_0_at_the_score_question_still_reaches_a_person(phone, fake_rasa, db):
    _helped_then_goodbye(phone, fake_rasa)
    root = phone.post("/voice/score", Digits="0")
    assert "I am putting you through to a person." in spoken(root)
    assert _tickets(db) == [("requested", "queued")]
    assert _score_of(db, phone.sid) == (None, False)


def test_a_goodbye_before_any_help_is_not_asked_for_a_score(phone, fake_rasa):
    fake_rasa.reply_to("bye", [{"text": "Thank you for contacting the council. Goodbye."}],
                       intent="goodbye")
    phone.dial()
    root = phone.say("bye")
    _assert_listening(root)
    assert "how did we do" not in spoken(root)


def test_no_score_question_after_a_handover_to_a_person(phone, fake_rasa, db, router):
    _asks_bin_day(phone, fake_rasa)
    phone.press("0")  # the caller went to the queue ...
    with db.session() as s:
        conv = s.scalars(select(Conversation)).one()
        ticket = s.scalars(select(HandoffTicket)).one()
        conv_id, ticket_id, advisor_id = conv.id, ticket.id, add_advisor_row(s)
    ops.claim(db, ticket_id, advisor_id)
    ops.hand_back(db, ticket_id, advisor_id)  # ... and an advisor passed them back
    root = phone.say("thanks bye")
    assert "how did we do" not in spoken(root)
    assert router.snapshot(conv_id, with_messages=False).satisfaction_asked is False


def test_a_score_key_without_the_question_is_not_recorded(phone, fake_rasa, db):
    phone.dial()
    root = phone.post("/voice/score", Digits="5")
    assert spoken(root) == "Thank you for calling. Goodbye."
    assert _score_of(db, phone.sid) == (None, False)


def test_an_unknown_call_at_the_score_url_still_gets_valid_twiml(phone):
    root = phone.post("/voice/score", Digits="5")
    assert spoken(root) == "Thank you for calling. Goodbye."
    assert root.find("Hangup") is not None
