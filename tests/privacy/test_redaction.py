"""PII redaction: each kind in realistic messages, what must survive, and that nothing redacted
reaches the database, the assistant (Rasa's tracker store) or the logs."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import inspect, select, text

from core.settings import ALL_REDACT_KINDS, ConfigError, load_settings, test_settings
from handoff import queue
from privacy.redaction import ALL_KINDS, found_kinds, redact, redact_data
from storage.models import HandoffTicket, utcnow
from tests.conftest import add_advisor_row

# --- each kind --------------------------------------------------------------------------------

PHONE = [
    ("Can you call me back on 07700 900123 please",
     "Can you call me back on [redacted: phone] please"),
    ("my mobile is +44 7700 900123", "my mobile is [redacted: phone]"),
    ("ring the house on 01432 260000 after 5", "ring the house on [redacted: phone] after 5"),
    ("landline (01432) 260000, ask for Sam", "landline [redacted: phone], ask for Sam"),
    ("I tried 0800 234 6034 but nobody answered", "I tried [redacted: phone] but nobody answered"),
    ("text me at 07700900123.", "text me at [redacted: phone]."),
    ("abroad at the moment, 0044 7700 900123", "abroad at the moment, [redacted: phone]"),
    ("work number +44 (0)1432 260000 ext 12", "work number [redacted: phone] ext 12"),
    ("07700-900-123 is my number", "[redacted: phone] is my number"),
]
EMAIL = [
    ("my email is jo.bloggs@example.com", "my email is [redacted: email]"),
    ("Send it to SAM_SMITH+council@mail.example.co.uk please",
     "Send it to [redacted: email] please"),
    ("email: o'neill@hotmail.co.uk", "email: [redacted: email]"),
    ("reply to a.n.other123@gmail.com or phone", "reply to [redacted: email] or phone"),
    ("(jo@example.org)", "([redacted: email])"),
]
CARD = [
    ("my card number is 4111 1111 1111 1111 expiry 09/27",
     "my card number is [redacted: card] expiry 09/27"),
    ("pay with 5555555555554444", "pay with [redacted: card]"),
    ("card 4012-8888-8888-1881 for the parking fine", "card [redacted: card] for the parking fine"),
    ("amex 3782 822463 10005 please", "amex [redacted: card] please"),
    ("4000056655665556 is my debit card", "[redacted: card] is my debit card"),
    ("visa 4242 4242 4242 4242", "visa [redacted: card]"),
]
NI = [
    ("my NI number is QQ 12 34 56 C", "my NI number is [redacted: ni_number]"),
    ("national insurance AB123456D", "national insurance [redacted: ni_number]"),
    ("it's jk 65 43 21 a", "it's [redacted: ni_number]"),
    ("NINO: QQ-12-34-56-C for the benefit claim",
     "NINO: [redacted: ni_number] for the benefit claim"),
    ("national insurance number is AB 12 34 56",
     "national insurance number is [redacted: ni_number]"),
]
SORT_CODE = [
    ("sort code 12-34-56", "sort code [redacted: sort_code]"),
    ("my sort code is 123456", "my sort code is [redacted: sort_code]"),
    ("bank 20-00-00 for the direct debit", "bank [redacted: sort_code] for the direct debit"),
    ("sortcode: 40 47 84", "sortcode: [redacted: sort_code]"),
    ("pay from 30-90-89 please", "pay from [redacted: sort_code] please"),
    ("bank details 12-03-24", "bank details [redacted: sort_code]"),
]
ACCOUNT = [
    ("account number 12345678", "account number [redacted: account_number]"),
    ("my acc is 87654321 with Lloyds", "my acc is [redacted: account_number] with Lloyds"),
    ("sort code 12-34-56 account 41234567",
     "sort code [redacted: sort_code] account [redacted: account_number]"),
    ("take the direct debit from 55667788",
     "take the direct debit from [redacted: account_number]"),
    ("bank account 1234 5678", "bank account [redacted: account_number]"),
    ("a/c 20240115 please", "a/c [redacted: account_number] please"),
]


@pytest.mark.parametrize("message,expected", PHONE + EMAIL + CARD + NI + SORT_CODE + ACCOUNT)
def test_each_kind_is_redacted(message, expected):
    assert redact(message) == expected


@pytest.mark.parametrize("kind,examples", [("phone", PHONE), ("email", EMAIL), ("card", CARD),
                                           ("ni_number", NI), ("sort_code", SORT_CODE),
                                           ("account_number", ACCOUNT)])
def test_at_least_five_realistic_messages_per_kind(kind, examples):
    assert len(examples) >= 5
    for message, _ in examples:
        assert kind in found_kinds(message)


# --- what must survive ------------------------------------------------------------------------

KEPT = [
    "What is the status of case HC-104233?",
    "my reference is hc-558201",
    "planning application P231456/F",
    "has P231456/FH been decided",
    "I live at 12 Broad Street, Hereford HR4 0LE",
    "bins at HR1 2ZB and HR9 7AA",
    "the pothole near WR15 8HQ",
    "it was missed on 12/03/2024",
    "missed bin on 12-03-24",
    "from 2024-01-15 to 2024-02-01",
    "my son was born 20240115",
    "at 10:30 on Monday 3 March",
    "not a card 1234 5678 9012 3456",
    "that number was 1234567890123456",
    "I paid £1,234.56 in council tax",
    "there are 3 bags and 2 boxes",
    "flat 104233, 2nd floor",
    "my council tax reference is 104233",
    "library card 2000",
    "123 High Street",
]


@pytest.mark.parametrize("message", KEPT)
def test_references_postcodes_dates_and_other_numbers_survive(message):
    assert redact(message) == message


def test_non_luhn_sixteen_digits_are_not_cards():
    assert redact("4111 1111 1111 1112") == "4111 1111 1111 1112"
    assert redact("4111 1111 1111 1111") == "[redacted: card]"


def test_kinds_are_configurable():
    message = "call 07700 900123 or email jo@example.com, card 4111111111111111"
    assert redact(message, ["email"]) == (
        "call 07700 900123 or email [redacted: email], card 4111111111111111")
    assert redact(message, []) == message
    assert set(ALL_KINDS) == set(ALL_REDACT_KINDS)
    with pytest.raises(ValueError):
        redact(message, ["postcode"])


def test_redact_kinds_setting(monkeypatch):
    for name, value in (("SECRET_KEY", "s"), ("RASA_TOKEN", "t"), ("OPTOUT_HMAC_KEY", "k")):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REDACT_KINDS", "email, phone")
    assert load_settings().redact_kinds == ("email", "phone")
    monkeypatch.setenv("REDACT_KINDS", "email,postcode")
    with pytest.raises(ConfigError):
        load_settings()


def test_redact_data_walks_json():
    data = {"said": ["my number is 07700 900123"], "slots": {"email": "jo@example.com", "n": 3},
            "ok": None}
    assert redact_data(data) == {"said": ["my number is [redacted: phone]"],
                                 "slots": {"email": "[redacted: email]", "n": 3}, "ok": None}


# --- nothing redacted is kept, sent or logged -------------------------------------------------

SECRETS = {
    "phone": ("07700 900456", "07700"),
    "email": ("jo.bloggs@example.com", "jo.bloggs"),
    "card": ("4111 1111 1111 1111", "4111"),
    "ni_number": ("QQ 12 34 56 C", "QQ 12"),
    "sort_code": ("sort code 40-47-84", "40-47-84"),
    "account_number": ("account 41234567", "41234567"),
}
PII_MESSAGE = ("Please call 07700 900456 or email jo.bloggs@example.com. Pay with card "
               "4111 1111 1111 1111, NI QQ 12 34 56 C, sort code 40-47-84 account 41234567.")
PII_FRAGMENTS = ["07700 900456", "07700900456", "jo.bloggs", "4111", "QQ 12", "40-47-84",
                 "41234567"]


def _every_stored_text(db) -> str:
    """Every value in every table, as one string (the callback's own phone column aside,
    which holds the number we were asked to ring)."""
    out = []
    with db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f"SELECT * FROM {table}")).mappings():  # noqa: S608
                out.extend(str(v) for k, v in row.items()
                           if not (table == "callback_requests" and k == "phone")
                           and not (table == "conversations" and k == "address"))
    return "\n".join(out)


def _pii_conversation(router, fake_rasa, db):
    clean = redact(PII_MESSAGE)
    fake_rasa.reply_to(clean, [
        {"text": "I will get a person to help with your payment."},
        # A careless action echoing the raw message in its summary and signal.
        {"custom": {"handoff": {"reason": "requested", "summary": {"resident_said": PII_MESSAGE}}}},
        {"custom": {"opt_out": {"scope": "data_use", "utterance": PII_MESSAGE}}},
    ], intent="pay_council_tax", slots={"contact": "jo.bloggs@example.com"})
    conv = router.start("web", session_key="browser-1")
    router.handle(conv, PII_MESSAGE)
    router.request_callback(conv, phone="01432 260000", preferred_time=f"after 5, {PII_MESSAGE}",
                            notes=PII_MESSAGE)
    router.record_choice(conv, "sms", "opt_out", method="text", utterance=PII_MESSAGE)
    with db.session() as s:
        advisor_id = add_advisor_row(s, last_seen_at=utcnow())
        ticket_id = s.scalar(select(HandoffTicket.id))
    queue.claim(db, ticket_id, advisor_id)
    queue.reply(db, ticket_id, advisor_id, f"I have noted {PII_MESSAGE}",
                router.settings.redact_kinds)
    return conv


def test_nothing_redacted_reaches_the_database(router, fake_rasa, db):
    _pii_conversation(router, fake_rasa, db)
    stored = _every_stored_text(db)
    for fragment in PII_FRAGMENTS:
        assert fragment not in stored, fragment
    for kind in ALL_KINDS:
        assert f"[redacted: {kind}]" in stored


def test_ticket_summary_and_callback_notes_are_redacted(router, fake_rasa, db):
    _pii_conversation(router, fake_rasa, db)
    with db.session() as s:
        summary = s.scalar(select(HandoffTicket.summary))
        row = s.execute(text("SELECT phone, notes, preferred_time FROM callback_requests")).one()
    assert summary["resident_said"] == redact(PII_MESSAGE)
    assert summary["said"] == [redact(PII_MESSAGE)]
    assert summary["slots"] == {"contact": "[redacted: email]"}
    assert row.phone == "+441432260000"  # the number to ring, kept on purpose
    assert row.notes == redact(PII_MESSAGE)
    assert row.preferred_time.startswith("after 5, Please call [redacted: phone]")


def test_what_is_sent_to_the_assistant_is_redacted(router, fake_rasa, db):
    """The router redacts before Rasa, so Rasa's tracker store never holds the raw text."""
    conv = router.start("sms", address="07700 900123")
    router.handle(conv, PII_MESSAGE)
    [call] = fake_rasa.calls
    assert call["text"] == redact(PII_MESSAGE)
    for fragment in PII_FRAGMENTS:
        assert fragment not in str(call)
    assert "07700 900123" not in str(call) and "+447700900123" not in str(call)


def test_configured_kinds_reach_the_router(database_url, fake_rasa, fake_twilio):
    from contact_assistant.app import create_app

    app = create_app(test_settings(database_url, redact_kinds=("email",)), rasa=fake_rasa,
                     twilio=fake_twilio)
    router = app.extensions["router"]
    conv = router.start("web", session_key="k")
    router.handle(conv, "call 07700 900123 or jo@example.com")
    assert fake_rasa.calls[0]["text"] == "call 07700 900123 or [redacted: email]"
    app.extensions["db"].engine.dispose()


def test_nothing_redacted_reaches_the_logs(app, router, fake_rasa, db, caplog):
    caplog.set_level(logging.DEBUG)
    # A handler added after the app started (as gunicorn or basicConfig would) is covered too.
    stream = io.StringIO()
    late = logging.StreamHandler(stream)
    logging.getLogger().addHandler(late)
    try:
        _pii_conversation(router, fake_rasa, db)
        fake_rasa.fail = True
        conv = router.start("phone", address="07700 900123", call_sid="CA1")
        router.handle(conv, PII_MESSAGE)  # logs a warning about the assistant failing
        logging.getLogger("handoff.router").warning("resident said %s", PII_MESSAGE)
        logging.getLogger("channels.sms").info(PII_MESSAGE)
        logging.getLogger().error("unhandled: %r", {"text": PII_MESSAGE})
    finally:
        logging.getLogger().removeHandler(late)
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records) + stream.getvalue()
    assert "[redacted: phone]" in logged and "resident said" in stream.getvalue()
    for fragment in PII_FRAGMENTS:
        assert fragment not in logged, fragment
