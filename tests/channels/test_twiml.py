"""The pure builders and parsers: no app, no database."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from channels import phone_prompts as P
from channels import twiml
from handoff.availability import QueueStatus
from handoff.signals import Reply

URLS = twiml.Urls("https://a.gov.uk")
VOICE = twiml.Voice("Polly.Amy-Neural")


def xml(s: str) -> ET.Element:
    return ET.fromstring(s)  # noqa: S314 - our own builder's output


def test_turn_listens_in_british_english_with_a_fixed_speech_timeout():
    root = xml(twiml.turn(["Hello."], VOICE, URLS))
    gather = root.find("Gather")
    assert gather.attrib == {
        "input": "speech dtmf", "action": "https://a.gov.uk/voice/respond", "method": "POST",
        "language": "en-GB", "hints": P.HINTS, "speechTimeout": "3",
        "actionOnEmptyResult": "true", "numDigits": "1"}
    assert gather.find("Say").attrib == {"voice": "Polly.Amy-Neural", "language": "en-GB"}


def test_slow_voice_uses_ssml_prosody():
    root = xml(twiml.turn(["One.", "Two."], twiml.Voice("Polly.Amy-Neural", slow=True), URLS))
    assert [(p.get("rate"), p.text) for p in root.iter("prosody")] == [("slow", "One."),
                                                                        ("slow", "Two.")]
    assert root.find("Gather").find("Pause") is not None


@pytest.mark.parametrize("status,expect", [
    (None, ["Enqueue"]),
    (QueueStatus(2, 12, 1, True), ["Say", "Enqueue"]),
    (QueueStatus(2, None, 0, True), ["Gather", "Enqueue"]),
    (QueueStatus(2, None, 0, False), ["Gather", "Say", "Hangup"]),
])
def test_handover_shapes(status, expect):
    h = twiml.Handover(queue=status, hours="Monday to Friday, 9am to 5pm", callback_digits="1234")
    root = xml(twiml.handover([], h, VOICE, URLS))
    assert [v.tag for v in root] == expect


def test_handover_without_a_number_or_recording_offers_nothing_it_cannot_do():
    h = twiml.Handover(queue=QueueStatus(1, None, 0, False), hours="Monday, 9am to 5pm",
                       callback_digits=None, allow_record=False)
    root = xml(twiml.handover([], h, VOICE, URLS))
    text = " ".join(root.itertext())
    assert "press 1" not in text and "press 2" not in text
    assert "Please call again when we are open. Goodbye." in text


def test_every_builder_returns_valid_twiml():
    for doc in (twiml.greeting("X Council", "v1", VOICE, URLS), twiml.voicemail_prompt(VOICE, URLS),
                twiml.wait(3, "1234", VOICE, URLS), twiml.wait(None, None, VOICE, URLS),
                twiml.keep_holding(VOICE), twiml.system_error(VOICE, "+441432260000"),
                twiml.queue_exit("bridged", VOICE, "+441432260000"), twiml.empty(),
                twiml.callback_confirmed("1234", True, VOICE, in_queue=True),
                twiml.sms_reply("hi"), twiml.sms_empty()):
        assert xml(doc).tag == "Response"


@pytest.mark.parametrize("raw,expected", [
    ("+447700900123", "+447700900123"), ("07700 900123", "+447700900123"),
    ("anonymous", None), ("+266696687", None), ("", None), (None, None), ("COUNCIL", None),
    ("+44" + "1" * 40, None),
])
def test_caller_number(raw, expected):
    assert twiml.caller_number(raw) == expected


@pytest.mark.parametrize("said,person", [
    ("person", True), ("A person please", True), ("I want to talk to someone", True),
    ("agent", True), ("someone stole my bin", False), ("", False),
    ("a person dumped rubbish outside my house last night", False),
])
def test_asks_for_person(said, person):
    assert P.asks_for_person(said) is person


@pytest.mark.parametrize("digits,speech,choice", [
    ("1", "", "callback"), ("2", "", "voicemail"), ("3", "", "wait"), ("7", "", None),
    ("", "call me back", "callback"), ("", "leave a message", "voicemail"),
    ("", "I'll hold", "wait"), ("", "what", None),
])
def test_callback_choice(digits, speech, choice):
    assert P.callback_choice(digits, speech) == choice


def test_sms_body_joins_replies_and_numbers_buttons():
    body, payloads = twiml.sms_body([
        Reply("Hello."), Reply("Pick one:", [{"title": "Bins", "payload": "/bins"},
                                            {"title": "Roads", "payload": "/roads"}])],
        footer="Reply PERSON to talk to someone.")
    assert body == ("Hello.\n\nPick one:\nReply 1 for Bins\nReply 2 for Roads\n"
                    "Reply PERSON to talk to someone.")
    assert payloads == ["/bins", "/roads"]


def test_sms_body_does_not_repeat_a_footer_the_reply_already_ends_with():
    body, _ = twiml.sms_body([Reply("Sorry, I can't help with that. Reply PERSON to talk to "
                                    "someone.")], footer="Reply PERSON to talk to someone.")
    assert body == "Sorry, I can't help with that. Reply PERSON to talk to someone."


def test_sms_body_does_not_add_the_footer_when_the_reply_says_it_in_other_words():
    """Found texting through the simulator: "Did you mean A, or B? Reply with the one you
    want, or reply PERSON to talk to someone." was followed by the footer again."""
    for said in ("Did you mean A, or B? Reply with the one you want, or reply PERSON to talk "
                 "to someone.", "Sorry, I don't know. Reply PERSON to talk to someone who can "
                 "help."):
        body, _ = twiml.sms_body([Reply(said)], footer="Reply PERSON to talk to someone.")
        assert body == said
        assert body.lower().count("reply person") == 1


def test_sms_body_keeps_to_three_segments_and_keeps_the_options():
    body, payloads = twiml.sms_body([Reply("word " * 300, [{"title": "Bins", "payload": "/b"}])])
    assert len(body) <= 459 and body.endswith("...\nReply 1 for Bins")
    assert payloads == ["/b"]


def test_sms_body_with_unicode_fits_three_ucs2_segments():
    body, _ = twiml.sms_body([Reply("Café ☕ " * 100)])
    assert len(body) <= 201 and body.endswith("...")


def test_sms_body_turns_curly_quotes_into_plain_ones():
    body, _ = twiml.sms_body([Reply("It’s “fine” – really")])
    assert body == "It's \"fine\" - really"
    assert twiml.sms_limit(body) == 459
