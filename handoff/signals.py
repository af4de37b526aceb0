"""Pure parsing of the bot's replies: text, buttons and machine-readable signals.

Bot actions send signals as custom payloads (json_message) that the router acts on:
  {"handoff": {"reason": "safeguarding", "priority": 1, "summary": {...}}}
  {"opt_out": {"scope": "automated_assistant", "utterance": "..."}}
  {"withdraw": {"scope": "automated_assistant"}}
  {"choices": true}   # the resident asked what we hold about their choices
  {"send_link": {"service_id": "bulky-waste", "title": "...", "url": "https://..."}}
      text a catalogue answer's page to the caller (phone only; bot/actions/catalogue.py)
  {"unanswered": {"team": "waste" | null, "candidates": ["bulky-waste", ...]}}
      nothing in the service catalogue answered: log the (redacted) question for the council
A handoff summary may carry "team": the catalogue team the ticket is filed under.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from storage.models import HANDOFF_REASONS, OPTOUT_SCOPES

REASON_PRIORITY = {
    "safeguarding": 1,
    "housing": 2,
    "system_failure": 2,
    "opt_out": 3,
    "requested": 3,
    "complaint": 3,
    "not_understood": 3,
}


@dataclass
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": self.buttons}


@dataclass
class HandoffSignal:
    reason: str
    priority: int
    summary: dict[str, Any]


@dataclass
class ChoiceSignal:
    scope: str
    action: str  # opt_out | withdraw
    utterance: str | None = None


@dataclass
class SendLinkSignal:
    service_id: str
    title: str
    url: str


@dataclass
class UnansweredSignal:
    team: str | None
    candidates: list[str]


@dataclass
class ParsedReplies:
    replies: list[Reply] = field(default_factory=list)
    handoff: HandoffSignal | None = None
    choices: list[ChoiceSignal] = field(default_factory=list)
    wants_choices_report: bool = False
    # The bot asked for an email address or phone number (services/contact_details.py).
    collect: str | None = None
    send_link: SendLinkSignal | None = None
    unanswered: UnansweredSignal | None = None


def _catalogue_signals(custom: dict[str, Any], parsed: ParsedReplies) -> None:
    """The service catalogue's signals, checked strictly (they come from another process)."""
    link = custom.get("send_link")
    if (isinstance(link, dict)
            and all(isinstance(link.get(k), str) and link.get(k)
                    for k in ("service_id", "title", "url"))
            and link["url"].startswith("https://")):
        parsed.send_link = SendLinkSignal(link["service_id"][:64], link["title"][:120],
                                          link["url"][:300])
    unanswered = custom.get("unanswered")
    if isinstance(unanswered, dict):
        team = unanswered.get("team")
        candidates = unanswered.get("candidates")
        parsed.unanswered = UnansweredSignal(
            team[:64] if isinstance(team, str) and team else None,
            [c[:64] for c in candidates if isinstance(c, str)][:5]
            if isinstance(candidates, list) else [],
        )


def _buttons(raw: Any) -> list[dict[str, str]]:
    out = []
    for b in raw or []:
        if (
            isinstance(b, dict)
            and isinstance(b.get("title"), str)
            and isinstance(b.get("payload"), str)
        ):
            out.append({"title": b["title"][:80], "payload": b["payload"][:200]})
    return out


def parse_bot_messages(messages: list[dict[str, Any]]) -> ParsedReplies:
    parsed = ParsedReplies()
    for message in messages:
        text = message.get("text")
        if isinstance(text, str) and text.strip():
            parsed.replies.append(
                Reply(text=text.strip(), buttons=_buttons(message.get("buttons")))
            )
        custom = message.get("custom")
        if not isinstance(custom, dict):
            continue
        handoff = custom.get("handoff")
        if isinstance(handoff, dict):
            reason = handoff.get("reason")
            reason = reason if reason in HANDOFF_REASONS else "requested"
            priority = handoff.get("priority")
            if not isinstance(priority, int) or not 1 <= priority <= 3:
                priority = REASON_PRIORITY[reason]
            summary = handoff.get("summary") if isinstance(handoff.get("summary"), dict) else {}
            # The most urgent signal wins if a turn carries more than one.
            if parsed.handoff is None or priority < parsed.handoff.priority:
                parsed.handoff = HandoffSignal(reason, priority, summary)
        for key, action in (("opt_out", "opt_out"), ("withdraw", "withdraw")):
            signal = custom.get(key)
            if isinstance(signal, dict) and signal.get("scope") in OPTOUT_SCOPES:
                utterance = signal.get("utterance")
                parsed.choices.append(
                    ChoiceSignal(
                        signal["scope"], action, utterance if isinstance(utterance, str) else None
                    )
                )
        if custom.get("choices") is True:
            parsed.wants_choices_report = True
        if custom.get("collect") in ("email", "phone", "proof"):
            parsed.collect = custom["collect"]
        _catalogue_signals(custom, parsed)
    return parsed


# --- resident text that looks like a button payload ("/intent{...}") -------------------------

PAYLOAD_PREFIX = "/"


def is_payload(text: str) -> bool:
    return text.startswith(PAYLOAD_PREFIX)


def as_plain_text(text: str) -> str:
    """Resident text that must not reach Rasa as intent syntax: without the leading slashes,
    so Rasa's NLU classifies the words ('/safeguarding_concern' -> 'safeguarding_concern')."""
    return re.sub(r"^[\s/]+", "", text)
