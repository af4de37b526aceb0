"""`contact-assistant phone call|sms`: phone or text the running assistant from a terminal.

It behaves like Twilio: it signs and posts the same webhooks (signed for PUBLIC_BASE_URL,
sent to the local app), reads the TwiML that comes back and prints what a caller would
hear. Type what the caller says, or a key: 0 (person), * (repeat), 2 (slower), 9 (opt out).
Press Enter for silence; type /hangup (or Ctrl-D) to end the call.
"""

from __future__ import annotations

import os
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

import click
import requests
from twilio.request_validator import RequestValidator

KEYS = set("0123456789*#")
HANGUP = "/hangup"
MAX_STEPS = 500


class Transport(Protocol):
    def post(self, path: str, data: dict[str, str], headers: dict[str, str]) -> tuple[int, str]: ...


class HttpTransport:
    """Posts to the running app (e.g. http://127.0.0.1:8000)."""

    def __init__(self, base_url: str, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()

    def post(self, path: str, data: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        r = self.http.post(self.base_url + path, data=data, headers=headers, timeout=self.timeout)
        return r.status_code, r.text


def path_of(url: str) -> str:
    """'https://x.gov.uk/voice/callback?from=queue' -> '/voice/callback?from=queue'."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def spoken_text(say: ET.Element) -> str:
    return " ".join("".join(say.itertext()).split())


def read_line(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None


class TwilioSimulator:
    """Plays Twilio's part against our webhooks. Output and input are injectable for tests."""

    def __init__(self, transport: Transport, public_base_url: str, auth_token: str, *,
                 caller: str = "+447700900123", line: str = "+441432000000",
                 out: Callable[[str], Any] = click.echo,
                 ask: Callable[[str], str | None] = read_line) -> None:
        self.transport = transport
        self.public_base_url = public_base_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.caller, self.line = caller, line
        self.out, self.ask = out, ask
        self.call_sid = ""
        self.heard: list[str] = []

    # --- HTTP ------------------------------------------------------------------------------

    def post(self, url: str, params: dict[str, str]) -> ET.Element | None:
        path = path_of(url) if "://" in url else url
        signature = self.validator.compute_signature(self.public_base_url + path, params)
        status, body = self.transport.post(path, params, {"X-Twilio-Signature": signature})
        if status != 200:
            self.out(f"(the app answered HTTP {status}: Twilio would say 'an application error "
                     "has occurred' and hang up)")
            return None
        try:
            # Our own app's answer, fetched over a loopback connection; expat never loads
            # external entities.
            return ET.fromstring(body)  # noqa: S314
        except ET.ParseError:
            self.out("(the app answered with something that is not TwiML)")
            return None

    def _call_params(self, **extra: str) -> dict[str, str]:
        params = {"CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32, "From": self.caller,
                  "To": self.line, "Direction": "inbound", "CallStatus": "in-progress",
                  "ApiVersion": "2010-04-01"}
        params.update(extra)
        return params

    # --- a phone call ------------------------------------------------------------------------

    def call(self) -> None:
        self.call_sid = "CA" + secrets.token_hex(16)
        self.out(f"(calling the council from {self.caller}; Enter = silence, {HANGUP} = hang up)")
        doc = self.post("/voice/incoming", self._call_params(CallStatus="ringing"))
        steps = 0
        while doc is not None and steps < MAX_STEPS:
            doc = self.play(doc)
            steps += 1
        self.post("/voice/status", self._call_params(CallStatus="completed", CallDuration="60"))
        self.out("(call ended)")

    def speak(self, say: ET.Element) -> None:
        text = spoken_text(say)
        self.heard.append(text)
        slow = say.find("prosody") is not None
        self.out(f"assistant{' (slowly)' if slow else ''}: {text}")

    def caller_input(self) -> dict[str, str] | None:
        """None means the caller hung up."""
        line = self.ask("you> ")
        if line is None or line.strip().lower() == HANGUP:
            return None
        line = line.strip()
        if len(line) == 1 and line in KEYS:
            return {"Digits": line}
        if not line:
            return {}
        return {"SpeechResult": line, "Confidence": "0.92"}

    def play(self, doc: ET.Element) -> ET.Element | None:
        """Run one TwiML document; return the next document Twilio would fetch, if any."""
        for verb in doc:
            tag = verb.tag
            if tag == "Say":
                self.speak(verb)
            elif tag == "Pause":
                self.out(f"(pause {verb.get('length', '1')}s)")
            elif tag == "Gather":
                for child in verb:
                    if child.tag == "Say":
                        self.speak(child)
                answer = self.caller_input()
                if answer is None:
                    self.hangup()
                    return None
                if answer or verb.get("actionOnEmptyResult") == "true":
                    action = verb.get("action", "/voice/respond")
                    return self.post(action, self._call_params(**answer))
            elif tag == "Enqueue":
                return self.queue(verb)
            elif tag == "Record":
                self.out("(recording after the tone: type your message, Enter for silence)")
                message = self.ask("you> ")
                if message is None:
                    self.hangup()
                    return None
                if message.strip():
                    params = self._call_params(
                        RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE"
                                     + secrets.token_hex(16),
                        RecordingDuration=str(max(1, len(message.split()) // 2)),
                        Digits="#")
                    return self.post(verb.get("action", ""), params)
            elif tag == "Dial":
                number = "".join(verb.itertext()).strip()
                self.out(f"(the call is put through to {number}; the simulation ends here)")
                return None
            elif tag == "Hangup":
                return None
            elif tag == "Redirect":
                return self.post((verb.text or "").strip(), self._call_params())
            elif tag == "Leave":
                return None
        return None

    def hangup(self) -> None:
        self.out("(you hung up)")

    def queue(self, enqueue: ET.Element) -> ET.Element | None:
        """Hold in the queue: fetch the wait URL, let the caller press keys, until they leave."""
        name = (enqueue.text or "").strip()
        self.out(f"(you are waiting in the '{name}' queue; "
                 "an advisor would answer from the console)")
        wait_url = enqueue.get("waitUrl")
        position = 1
        for _ in range(MAX_STEPS):
            if wait_url:
                doc = self.post(wait_url, self._call_params(
                    QueuePosition=str(position), CurrentQueueSize=str(position),
                    QueueTime="30", AvgQueueTime="60", QueueSid="QU" + "0" * 32))
                if doc is not None and self.play_wait(doc) == "leave":
                    return self._left(enqueue, "leave")
            line = self.ask("(holding: Enter to keep waiting, /hangup to hang up) ")
            if line is None or line.strip().lower() == HANGUP:
                self.hangup()
                return None
        return None

    def _left(self, enqueue: ET.Element, result: str) -> ET.Element | None:
        action = enqueue.get("action")
        if not action:
            return None
        return self.post(action, self._call_params(QueueResult=result, QueueTime="30"))

    def play_wait(self, doc: ET.Element, depth: int = 0) -> str | None:
        """The wait URL's TwiML: Say, Pause, Gather (keys only) and Leave."""
        for verb in doc:
            if verb.tag == "Say":
                self.speak(verb)
            elif verb.tag == "Pause":
                self.out(f"(hold for {verb.get('length', '1')}s)")
            elif verb.tag == "Leave":
                return "leave"
            elif verb.tag == "Gather":
                for child in verb:
                    if child.tag == "Say":
                        self.speak(child)
                line = self.ask("you (a key, or Enter)> ")
                key = (line or "").strip()
                if key in KEYS and len(key) == 1 and depth < 3:
                    nxt = self.post(verb.get("action", ""), self._call_params(Digits=key))
                    return self.play_wait(nxt, depth + 1) if nxt is not None else None
        return None

    # --- a text message ---------------------------------------------------------------------

    def text(self, body: str) -> list[str]:
        params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "0" * 32,
                  "From": self.caller, "To": self.line, "Body": body, "NumMedia": "0"}
        doc = self.post("/sms/incoming", params)
        if doc is None:
            return []
        return ["".join(m.itertext()).strip() for m in doc.iter("Message")]


def _simulator(url: str | None, caller: str) -> TwilioSimulator:
    from core.local_secrets import load_local_secrets

    load_local_secrets()
    port = os.environ.get("PORT", "8000")
    public = os.environ.get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{port}"
    token = os.environ.get("TWILIO_AUTH_TOKEN")
    if not token:
        raise click.ClickException(
            "TWILIO_AUTH_TOKEN is not set. Set it in the environment (or run `make run` once, "
            "which writes a local one into var/secrets.env).")
    return TwilioSimulator(HttpTransport(url or f"http://127.0.0.1:{port}"), public, token,
                           caller=caller)


@click.group(help="Phone or text the running assistant from this terminal (signed like Twilio).")
def phone() -> None:
    pass


@phone.command("call", help="Call the assistant: type what you say, or a key (0 * 2 9).")
@click.option("--url", default=None, help="Where the app runs [default: http://127.0.0.1:$PORT].")
@click.option("--from", "caller", default="+447700900123", show_default=True,
              help="The number you are calling from.")
def call(url: str | None, caller: str) -> None:
    sim = _simulator(url, caller)
    try:
        sim.call()
    except requests.RequestException as exc:
        raise click.ClickException(f"could not reach the app: {exc}") from exc


@phone.command("sms", help="Text the assistant. With no MESSAGE, type messages until Ctrl-D.")
@click.argument("message", required=False)
@click.option("--url", default=None, help="Where the app runs [default: http://127.0.0.1:$PORT].")
@click.option("--from", "caller", default="+447700900123", show_default=True,
              help="The number you are texting from.")
def sms(message: str | None, url: str | None, caller: str) -> None:
    sim = _simulator(url, caller)
    messages = [message] if message else iter(lambda: read_line("you> "), None)
    try:
        for body in messages:
            replies = sim.text(body)
            for reply in replies:
                click.echo(f"council: {reply}")
            if not replies:
                click.echo("(no reply)")
    except requests.RequestException as exc:
        raise click.ClickException(f"could not reach the app: {exc}") from exc
