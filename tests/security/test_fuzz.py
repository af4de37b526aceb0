"""Property-based fuzzing of every channel's input parsing: nothing a client or the assistant
sends may crash a parser with anything but its documented error."""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

# Imported outright: a missing module fails the run, never silently skips a fuzz test.
from channels import sms, twilio_auth, twiml, voice, web_render
from handoff.rasa_client import parse_envelope
from handoff.signals import ParsedReplies, Reply, parse_bot_messages
from privacy.redaction import redact

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
keys = st.sampled_from(["text", "buttons", "custom", "image", "handoff", "opt_out", "withdraw",
                        "choices", "reason", "priority", "summary", "scope", "utterance",
                        "title", "payload", "messages", "nlu", "slots", "intent", "confidence",
                        "entities"])
shaped = st.recursive(
    json_values,
    lambda children: st.dictionaries(keys | st.text(max_size=6), children, max_size=5)
    | st.lists(children, max_size=4),
    max_leaves=30,
)
# Text with the characters that matter: digits, separators, @, unicode, controls.
texty = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(list("0123456789 -+@.()")),
                max_size=200)
pii_like = st.lists(st.sampled_from(["4111 1111 1111 1111", "07700 900982", "+44 7700 900982",
                                     "a.b@example.com", "QQ123456C", "12-34-56", "12345678",
                                     "sort code 123456", "HR1 2AB", " ", "-", "0", "x"]),
                    max_size=8).map(" ".join)




# --- the assistant's side: envelopes and custom payloads ---------------------------------------

@FUZZ
@example({"messages": [], "nlu": "not an object"})
@example({"messages": [{"text": "hi"}], "nlu": {"entities": 5}, "slots": [1]})
@given(shaped)
def test_parse_envelope_accepts_or_refuses_cleanly(body):
    try:
        turn = parse_envelope(body)
    except (ValueError, TypeError, KeyError):
        return  # RasaClient.send turns these into AssistantUnavailable (a handoff)
    assert all(isinstance(m, dict) for m in turn.messages)
    parse_bot_messages(turn.messages)


@FUZZ
@given(st.lists(st.dictionaries(keys, shaped, max_size=4), max_size=4))
def test_parse_bot_messages_never_crashes(messages):
    parsed = parse_bot_messages(messages)
    assert isinstance(parsed, ParsedReplies)
    for reply in parsed.replies:
        assert isinstance(reply, Reply) and isinstance(reply.text, str) and reply.text.strip()
        for b in reply.buttons:
            assert isinstance(b["title"], str) and isinstance(b["payload"], str)
    if parsed.handoff:
        assert 1 <= parsed.handoff.priority <= 3 and isinstance(parsed.handoff.summary, dict)


# --- redaction ---------------------------------------------------------------------------------

@FUZZ
@given(texty | pii_like)
def test_redaction_never_crashes_and_is_idempotent(text):
    once = redact(text)
    assert isinstance(once, str)
    assert redact(once) == once


@FUZZ
@example("sort code 123456 4111 1111 1111 1111", ["email", "sort_code", "account_number"])
@given(pii_like, st.lists(st.sampled_from(["card", "email", "phone", "ni_number", "sort_code",
                                           "account_number"]), unique=True))
def test_redaction_with_any_kinds_is_idempotent(text, kinds):
    once = redact(text, kinds)
    assert redact(once, kinds) == once


# --- web chat -----------------------------------------------------------------------------------

@FUZZ
@given(st.sampled_from(["application/json", "text/plain", None, "", "APPLICATION/JSON"]),
       st.binary(max_size=300) | shaped.map(lambda v: json.dumps(v).encode()))
def test_chat_request_parsing_only_raises_payload_errors(mimetype, body):
    try:
        data = web_render.parse_chat_request(mimetype, body, 1000)
    except web_render.PayloadError as exc:
        assert exc.status in (400, 413, 415) and exc.message
        return
    assert data.text and data.text == data.text.strip() and len(data.text) <= 1000
    assert data.after is None or data.after >= 0


@FUZZ
@given(json_values, json_values, json_values)
def test_web_form_validation_never_crashes(a, b, c):
    web_render.validate_text(a, 1000)
    web_render.validate_callback(a, b)
    web_render.validate_rating(c)
    if isinstance(a, str):
        web_render.is_handoff_request(a)
    with contextlib.suppress(web_render.PayloadError):
        assert web_render.parse_after(a) >= 0


# --- Twilio (voice and SMS) -------------------------------------------------------------------

twilio_form = st.dictionaries(
    st.sampled_from(["CallSid", "MessageSid", "From", "To", "Body", "SpeechResult", "Confidence",
                     "Digits", "QueuePosition", "RecordingUrl", "CallStatus", "NumMedia"]),
    texty, max_size=8)


@FUZZ
@given(twilio_form)
def test_voice_parameter_parsing_never_crashes(form):
    sid = voice.parse_call_sid(form)
    assert sid is None or sid.isalnum()
    heard = voice.parse_gather(form)
    assert len(heard.digits) <= 1
    position = voice.parse_count(form.get("QueuePosition"))
    assert position is None or 0 < position < 10_000
    url = voice.twilio_recording_url(form.get("RecordingUrl"))
    assert url is None or url.startswith("https://")


@FUZZ
@given(texty, st.lists(st.tuples(texty, st.lists(st.tuples(texty, texty), max_size=3)),
                       max_size=4))
def test_twiml_and_sms_building_never_crash(number, replies):
    assert twiml.caller_number(number) is None or twiml.caller_number(number).startswith("+")
    twiml.last_four(number)
    objs = [Reply(text, [{"title": t, "payload": p} for t, p in buttons])
            for text, buttons in replies]
    body, payloads = twiml.sms_body(objs, footer="Reply STOP to stop")
    assert len(payloads) <= 9
    xml = twiml.sms_reply(body)
    assert xml.startswith("<?xml")


@FUZZ
@given(texty, twilio_form, texty)
def test_signature_check_never_crashes(path, form, signature):
    url = twilio_auth.signed_url("https://assistant.example.gov.uk", "/" + path, b"")
    assert twilio_auth.signature_valid("token", url, form, signature) in (True, False)


@FUZZ
@given(twilio_form)
def test_sms_parameter_parsing_never_crashes(form):
    for name in dir(sms):
        fn = getattr(sms, name)
        if name.startswith("parse_") and callable(fn):
            try:
                fn(form)
            except (ValueError, TypeError) as exc:  # documented refusals only
                assert str(exc)
