"""`contact-assistant phone call|sms`, driven against the app through the test client."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from channels.simulator import TwilioSimulator, path_of, phone
from storage.models import Conversation, Message


class TestClientTransport:
    def __init__(self, client) -> None:
        self.client = client

    def post(self, path, data, headers):
        r = self.client.post(path, data=data, headers=headers)
        return r.status_code, r.get_data(as_text=True)


def _simulator(client, settings, lines, token=None):
    out: list[str] = []
    answers = iter(lines)
    sim = TwilioSimulator(TestClientTransport(client), settings.public_base_url,
                          token or settings.twilio_auth_token, out=out.append,
                          ask=lambda _prompt: next(answers, None))
    return sim, out


def test_a_simulated_call_hears_the_greeting_answers_and_goes_to_the_queue(client, settings,
                                                                         fake_rasa, db):
    fake_rasa.reply_to("when is my bin day", [{"text": "What is your postcode?"}])
    sim, out = _simulator(client, settings, ["when is my bin day", "2", "0", "", "/hangup"])
    sim.call()
    printed = "\n".join(out)
    assert "assistant: Hello. This is Herefordshire Council's automated assistant." in printed
    assert "assistant: What is your postcode?" in printed
    assert "assistant (slowly): I will speak more slowly." in printed
    assert "No advisor is free right now." in printed
    assert "waiting in the 'advisors' queue" in printed
    assert "You are number 1 in the queue." in printed
    assert out[-1] == "(call ended)"
    with db.session() as s:
        conv = s.scalars(select(Conversation)).one()
        # Hung up in the queue: abandoned, so no advisor claims an empty call.
        assert conv.state == "abandoned"
        assert "Call ended while the caller was waiting for an advisor." in s.scalars(
            select(Message.text).where(Message.sender == "system")).all()


def test_a_simulated_callback_request_from_the_queue(client, settings):
    sim, out = _simulator(client, settings, ["0", "", "1"])
    sim.call()
    assert any("We will call you back on the number ending 0 1 2 3" in line for line in out)


def test_a_simulated_text(client, settings, fake_rasa):
    fake_rasa.reply_to("hello", [{"text": "Hello."}])
    sim, _ = _simulator(client, settings, [])
    assert sim.text("hello") == ["Hello.\nReply PERSON to talk to someone."]
    assert sim.text("STOP") == []


def test_a_wrong_token_is_reported_not_crashed(client, settings):
    sim, out = _simulator(client, settings, [], token="wrong")
    sim.call()
    assert "HTTP 403" in out[1]


def test_path_of_keeps_the_query():
    assert path_of("https://a.gov.uk/voice/callback?from=queue") == "/voice/callback?from=queue"


def test_the_cli_group_has_call_and_sms(monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.setattr("core.local_secrets.load_local_secrets", lambda *a, **k: None)
    result = CliRunner().invoke(phone, ["--help"])
    assert "call" in result.output and "sms" in result.output
    result = CliRunner().invoke(phone, ["call"])
    assert result.exit_code != 0 and "TWILIO_AUTH_TOKEN is not set" in result.output
