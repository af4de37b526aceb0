"""core.identity: one rule for phone numbers (phonenumbers, UK by default) and email addresses."""

from __future__ import annotations

import pytest

from core.identity import EMAIL_FORMAT_ERROR as FORMAT
from core.identity import email_problem, normalise_address, normalise_phone


@pytest.mark.parametrize("written", [
    "07700 900123", "+44 7700 900123", "0044 7700 900123", "+44 (0)7700 900123",
    "07700900123 ", "(07700) 900 123",
])
def test_every_way_of_writing_a_uk_mobile_is_one_number(written):
    assert normalise_phone(written) == "+447700900123"
    assert normalise_address(written) == "+447700900123"


@pytest.mark.parametrize("written,expected", [
    ("01432 260000", "+441432260000"),
    ("+1 202 555 0100", "+12025550100"),
    ("0800 123 4567", "+448001234567"),
])
def test_landlines_and_other_countries(written, expected):
    assert normalise_phone(written) == expected


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
