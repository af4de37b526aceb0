"""Channel-aware responses: Rasa picks `channel: phone` / `channel: sms` variations by the
output channel's name, so our input channels must collect replies under their own names."""

from __future__ import annotations

import pytest
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator

from bot.input_channels import PhoneInput, SmsInput, WebChatInput, collector_for


@pytest.mark.parametrize("channel", [WebChatInput, PhoneInput, SmsInput])
def test_replies_are_collected_under_the_input_channels_name(channel):
    assert collector_for(channel.name()).name() == channel.name()


def test_phone_callers_hear_the_phone_wording_and_no_web_address(domain):
    nlg = TemplatedNaturalLanguageGenerator(domain["responses"])
    web = nlg.generate_from_slots("utter_council_tax_pay", {}, collector_for("webchat").name())
    phone = nlg.generate_from_slots("utter_council_tax_pay", {}, collector_for("phone").name())
    sms = nlg.generate_from_slots("utter_council_tax_pay", {}, collector_for("sms").name())
    assert "www.herefordshire.gov.uk" in web["text"]
    assert "www." not in phone["text"] and "on our website" in phone["text"]
    assert sms["text"] != web["text"] and len(sms["text"].split()) <= 40


def test_report_questions_follow_the_kind_of_report_on_every_channel(domain):
    nlg = TemplatedNaturalLanguageGenerator(domain["responses"])
    for channel in ("webchat", "phone", "sms"):
        text = nlg.generate_from_slots(
            "utter_ask_location", {"report_kind": "streetlight"}, channel
        )["text"]
        assert text.startswith("Where is the street light?"), (channel, text)
    filled = nlg.generate_from_slots(
        "utter_report_created",
        {"report_kind": "pothole"},
        "phone",
        reference="HC-123456",
        reference_spoken="H C, 1 2 3, 4 5 6",
    )
    assert "H C, 1 2 3, 4 5 6" in filled["text"] and "inspector" in filled["text"]
