"""Every response in bot/domain.yml is plain English (reading age about 9), and what a caller
hears or a texter reads is short.

- Flesch reading ease >= 60 for every variation. Web addresses, email addresses, phone numbers
  and codes (anything with a digit, like HR4 9AB or HC-123456) are left out of the score: they
  are read as units, not words. Placeholders are filled with typical values first.
- What each channel gets (Rasa's choice: a `channel:` variation if there is one, else the
  default) is 40 words or fewer on phone and SMS, and on the phone never reads out a web address.
The score is services/readability.py's, the same one the service catalogue is held to; it counts
syllables by rule, so the test needs no dictionary download and runs offline.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from services.readability import URL, flesch, word_count

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "bot" / "domain.yml").read_text())
RESPONSES: dict[str, list[dict]] = DOMAIN["responses"]
MIN_FLESCH = 60
MAX_SHORT_WORDS = 40

# Typical values for placeholders. Where the actions write the words (bin days, opening hours,
# planning status) these are real outputs; where the words are the council's data or the
# resident's (a planning description, an address, a report's details) they are short and plain,
# because this test checks our wording.
SAMPLE_VALUES = {
    "postcode": "HR1 2AB",
    "collections": "Green bin (recycling): Tuesday 1 December. Black bin (rubbish): Tuesday "
                   "8 December. Brown bin (garden waste): Tuesday 8 December. Each bin is emptied "
                   "every 2 weeks.",
    "reference": "HC-123456",
    "reference_spoken": "H C, 1 2 3, 4 5 6",
    "kind": "pothole",
    "status": "Work booked",
    "note": "A repair is booked.",
    "description": "A new garage",
    "address": "12 Aylestone Hill, Hereford",
    "name": "Ledbury Library",
    "hours": "Monday to Friday, 9am to 5pm. Closed on Saturday and Sunday.",
    "today": "Today it is open from 9:30am to 5pm.",
    "library": "Ledbury",
    "location": "Kings Acre Road by the school",
    "details": "A deep hole in the road",
    "contact_preference": "email",
    # "Did you mean ...?" (bot/actions/catalogue.py): service titles from the catalogue.
    "choices": "Bulky waste collection, or Household recycling centres",
    "service": "Free school meals",
}
# Where a placeholder means something different in one response.
SAMPLE_VALUES_FOR = {
    "utter_planning_status": {
        "reference": "P231456/F", "address": "12 Aylestone Hill, Hereford",
        "status": "Status: awaiting decision. We aim to decide by Friday 15 January 2027.",
    },
    "utter_planning_not_found": {"reference": "P231456/F"},
    "utter_library_hours": {"address": "Bye Street, Ledbury"},
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(text: str, response: str = "") -> str:
    values = SAMPLE_VALUES | SAMPLE_VALUES_FOR.get(response, {})
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


# --- every variation ----------------------------------------------------------------------

VARIATIONS = [
    pytest.param(name, i, v, id=f"{name}[{i}]{'-' + v['channel'] if v.get('channel') else ''}")
    for name, variations in RESPONSES.items()
    for i, v in enumerate(variations)
]


@pytest.mark.parametrize(("name", "index", "variation"), VARIATIONS)
def test_every_response_is_plain_english(name, index, variation):
    text = fill(variation["text"], name)
    score = flesch(text)
    assert score >= MIN_FLESCH, f"{name}[{index}] scores {score:.0f}: {text}"


def test_placeholders_are_all_known():
    for name, variations in RESPONSES.items():
        for v in variations:
            for placeholder in _PLACEHOLDER.findall(v["text"]):
                assert placeholder in SAMPLE_VALUES, f"{name} uses {{{placeholder}}}"


# --- what phone and SMS actually get --------------------------------------------------------

def _condition_sets(variations: list[dict]) -> list[dict]:
    seen, out = set(), [{}]
    for v in variations:
        if v.get("condition"):
            slots = {c["name"]: c["value"] for c in v["condition"]}
            key = json.dumps(slots, sort_keys=True)
            if key not in seen:
                seen.add(key)
                out.append(slots)
    return out


def chosen(name: str, channel: str, slots: dict) -> list[dict]:
    """The variations Rasa picks for `channel` (rasa.core.nlg.generator.ResponseVariationFilter)."""
    from rasa.core.nlg.generator import ResponseVariationFilter

    return ResponseVariationFilter(RESPONSES).responses_for_utter_action(name, channel, slots)


SHORT_CASES = [
    pytest.param(name, channel, slots, id=f"{name}-{channel}-{json.dumps(slots)}")
    for name, variations in RESPONSES.items()
    for channel in ("phone", "sms")
    for slots in _condition_sets(variations)
]


@pytest.mark.parametrize(("name", "channel", "slots"), SHORT_CASES)
def test_phone_and_sms_get_short_answers(name, channel, slots):
    picked = chosen(name, channel, slots)
    assert picked, f"{name} has no variation for {channel} with {slots}"
    for v in picked:
        text = fill(v["text"], name) if "{collections}" not in v["text"] else v["text"]
        assert word_count(text) <= MAX_SHORT_WORDS, f"{name} on {channel}: {word_count(text)} words"
        if channel == "phone":
            assert not URL.search(v["text"]), f"{name} reads a web address out on the phone"


def test_web_addresses_are_on_the_councils_or_fastershires_site():
    for name, variations in RESPONSES.items():
        for v in variations:
            for url in URL.findall(v["text"]):
                assert url.startswith(("www.herefordshire.gov.uk", "www.fastershire.com")), \
                    f"{name}: {url}"


def test_clarifying_answers_offer_a_person():
    person = {"title": "Talk to a person", "payload": "/request_human"}
    for name in ("utter_rephrase", "utter_out_of_scope", "utter_inform_unclear",
                 "utter_postcode_invalid", "utter_case_not_found", "utter_planning_not_found",
                 "utter_bin_no_round"):
        web = [v for v in RESPONSES[name] if not v.get("channel")]
        assert all(person in v.get("buttons", []) for v in web), name
