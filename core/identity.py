"""Phone numbers and email addresses: the one place they are parsed, checked and normalised.

Phone numbers go through Google's `phonenumbers` (UK numbers by default, so "01432 260000" and
"+44 (0)1432 260000" are the same number); email addresses through `email-validator`. Every
channel, the opt-out register and the console use these, so the same resident is recognised
everywhere and one rule decides what a valid number or address is.
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_REGION = "GB"
PHONE_EXAMPLE = "01632 960 001 or 07700 900 982"
EMAIL_FORMAT_ERROR = "Enter an email address in the correct format, like name@example.gov.uk"
MAX_EMAIL = 254


def parse_phone(raw: str, region: str = DEFAULT_REGION) -> phonenumbers.PhoneNumber | None:
    """The number if `raw` could be a real phone number (UK unless it has a country code)."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 40:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    # "Possible" (right length for the country), not "valid": Ofcom's drama ranges (07700 900xxx)
    # that tests and training use must still count as numbers.
    reason = phonenumbers.is_possible_number_with_reason(number)
    return number if reason == phonenumbers.ValidationResult.IS_POSSIBLE else None


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """E.164 ("+447700900123") for a possible number, else None."""
    number = parse_phone(raw, region)
    if number is None:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _legacy_digits(address: str) -> str:
    """What the register did before phonenumbers, kept for things that are not phone numbers
    (Twilio's "anonymous", short codes) so their pseudonyms do not change."""
    address = re.sub(r"\(0\)", "", address)
    digits = re.sub(r"[^\d+]", "", address)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("0"):
        digits = "+44" + digits[1:]
    if digits.startswith("+440"):
        digits = "+44" + digits[4:]
    return digits or address


def normalise_address(address: str) -> str:
    """A resident's contact address in one form: phone numbers in E.164, emails lower-cased,
    anything else stripped. "07700 900123", "+44 7700 900123", "0044 7700 900123" and
    "+44 (0)7700 900123" all become "+447700900123"."""
    address = (address or "").strip()
    if "@" in address:
        return address.lower()
    return normalise_phone(address) or _legacy_digits(address)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def email_problem(email: str) -> str | None:
    """A plain-English reason `email` is not an email address, or None."""
    email = (email or "").strip()
    if not email:
        return "Enter an email address"
    if len(email) > MAX_EMAIL:
        return EMAIL_FORMAT_ERROR
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return EMAIL_FORMAT_ERROR
    return None


PHONE_MISSING = f"Enter a phone number, like {PHONE_EXAMPLE}"
PHONE_FORMAT_ERROR = f"Enter a phone number in the correct format, like {PHONE_EXAMPLE}"


def phone_problem(raw: str) -> str | None:
    """A plain-English reason `raw` is not a phone number (with an example), or None."""
    if not isinstance(raw, str) or not raw.strip():
        return PHONE_MISSING
    return None if parse_phone(raw) is not None else PHONE_FORMAT_ERROR


# --- finding an address in what a resident typed or said ---------------------------------------

# A run that could be a phone number inside a sentence ("my number is 07700 900123 thanks").
_PHONE_RUN = re.compile(r"\+?[\d()][\d\s().-]{7,}\d")
_EMAIL_RUN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]{2,}")


def find_phone(text: str, region: str = DEFAULT_REGION) -> str | None:
    """The first phone number in a sentence, in E.164, or None."""
    found = _PHONE_RUN.search(text or "")
    return normalise_phone(found.group(0), region) if found else None


def find_email(text: str) -> str | None:
    """The email address in a sentence, lower-cased: 'Sam@Example.org', 'it's sam@example.org'
    or, said aloud on the phone, 'sam at example dot org'. None if there is none."""
    low = " ".join((text or "").lower().split()).rstrip(".")
    found = _EMAIL_RUN.search(low)
    if found:
        candidate = found.group(0).rstrip(".,;")
    else:
        spoken = re.sub(r"\s+at\s+", "@", low)
        candidate = re.sub(r"\s+dot\s+", ".", spoken).replace(" ", "")
    return normalise_email(candidate) if email_problem(candidate) is None else None
