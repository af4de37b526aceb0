"""core.identity: one rule for phone numbers (phonenumbers, UK by default) and email addresses."""

from __future__ import annotations

import pytest

from core.identity import EMAIL_FORMAT_ERROR as FORMAT
from core.identity import (
    PHONE_FORMAT_ERROR,
    PHONE_MISSING,
    email_problem,
    find_email,
    find_phone,
    normalise_address,
    normalise_phone,
    phone_problem,
)


@pytest.mark.parametrize(("written", "expected"), [
    # Every way of writing a UK mobile is one number.
    *((written, "+447700900123") for written in [
        "07700 900123", "+44 7700 900123", "0044 7700 900123", "+44 (0)7700 900123",
        "07700900123 ", "(07700) 900 123",
    ]),
    # Landlines and other countries.
    ("01432 260000", "+441432260000"),
    ("+1 202 555 0100", "+12025550100"),
    ("0800 123 4567", "+448001234567"),
])
def test_every_way_of_writing_a_phone_number_is_one_number(written, expected):
    assert normalise_phone(written) == expected
    assert normalise_address(written) == expected


@pytest.mark.parametrize("not_a_number", ["", "   ", "12345", "999", "anonymous", "call me",
                                          "0" * 41, None])
def test_things_that_are_not_phone_numbers(not_a_number):
    assert normalise_phone(not_a_number) is None


def test_addresses_that_are_not_numbers_keep_their_old_form():
    # Twilio sends "anonymous" for withheld numbers; emails are lower-cased.
    assert normalise_address("anonymous") == "anonymous"
    assert normalise_address(" Sam@Example.GOV.uk ") == "sam@example.gov.uk"


@pytest.mark.parametrize("email,problem", [
    ("sam@example.gov.uk", None),
    ("", "Enter an email address"),
    ("sam@", FORMAT),
    ("sam example@gov.uk", FORMAT),
    ("sam@localhost", FORMAT),
    ("a" * 250 + "@x.uk", FORMAT),
])
def test_email_addresses_are_checked_by_email_validator(email, problem):
    assert email_problem(email) == problem


# An email address written in a sentence or spoken, and a phone number in a sentence: what is
# found. tests/services/test_contact_details.py holds contact_details.extract to the same table.
ADDRESSES_IN_SENTENCES = [
    ("email", "Sam@Example.org", "sam@example.org"),
    ("email", "it's sam@example.org thanks", "sam@example.org"),
    ("email", "sam at example dot org", "sam@example.org"),
    ("email", "sam at example", None),
    ("email", "no email here", None),
    ("phone", "my number is 07700 900123", "+447700900123"),
    ("phone", "+44 (0)1432 260000", "+441432260000"),
    ("phone", "ring 0044 7700 900123 please", "+447700900123"),
    ("phone", "12345", None),
    ("phone", "", None),
]
FINDERS = {"email": find_email, "phone": find_phone}


@pytest.mark.parametrize(("kind", "text", "found"), ADDRESSES_IN_SENTENCES)
def test_an_email_or_phone_number_is_found_in_a_sentence(kind, text, found):
    assert FINDERS[kind](text) == found


def test_phone_problem_says_what_to_enter():
    assert phone_problem("") == PHONE_MISSING
    assert phone_problem("12345") == PHONE_FORMAT_ERROR
    assert phone_problem("07700 900123") is None
    assert "07700 900 982" in PHONE_FORMAT_ERROR


IDENTITY_USERS = ("channels/twiml.py", "channels/voice.py", "channels/web_render.py",
                  "delivery/worker.py", "services/contact_details.py")


@pytest.mark.parametrize("path", IDENTITY_USERS)
def test_call_sites_take_parsing_from_core_identity(path):
    """One identity module: these import from core.identity, not through privacy.register,
    and none parses numbers or addresses itself."""
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).parents[2] / path).read_text())
    imported = {(node.module, alias.name) for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) for alias in node.names}
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names} | {module for module, _ in imported}
    assert any(module == "core.identity" for module, _ in imported)
    assert ("privacy.register", "normalise_address") not in imported
    assert not modules & {"phonenumbers", "email_validator"}
