"""Pure functions for the web chat: parse and validate what the browser sends, build view models.

Nothing here touches Flask, the database or the router (only its snapshot type), so every rule
is unit-testable on its own.
The views in `channels/web.py` stay thin: read the request, call the router, hand the result here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.identity import phone_problem
from core.vocabulary import ACTIVE_STATES, ConversationState
from handoff.router import ConversationSnapshot

HANDOFF_PAYLOAD = "/request_human"
TALK_TO_A_PERSON = {"title": "Talk to a person", "payload": HANDOFF_PAYLOAD}
BOT, WAITING, ADVISOR, CLOSED = (ConversationState.BOT, ConversationState.WAITING,
                                 ConversationState.ADVISOR, ConversationState.CLOSED)


def resident_state(state: str) -> ConversationState:
    """What the resident's page shows: an abandoned chat they come back to just carries on."""
    state = ConversationState(state)
    return BOT if state == ConversationState.ABANDONED else state

SENDER_LABELS = {
    "resident": "You said",
    "bot": "Assistant",
    "advisor": "Advisor",
    "system": "Contact centre",
}

CALLBACK_TIMES = [
    ("asap", "As soon as possible"),
    ("morning", "In the morning (9am to 12pm)"),
    ("afternoon", "In the afternoon (12pm to 5pm)"),
]
RATING_LABELS = [
    (5, "Very satisfied"),
    (4, "Satisfied"),
    (3, "Neither satisfied nor dissatisfied"),
    (2, "Dissatisfied"),
    (1, "Very dissatisfied"),
]


class PayloadError(ValueError):
    """A JSON API request we refuse, with the HTTP status and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ChatInput:
    text: str
    is_button: bool  # a quick-reply payload ("/intent") rather than typed text
    after: int | None = None


# --- input ----------------------------------------------------------------------------------

def too_long_message(max_chars: int) -> str:
    return f"Your message must be {max_chars:,} characters or fewer"


def validate_text(text: Any, max_chars: int) -> tuple[str | None, str | None, int]:
    """Return (clean text, error message, HTTP status for the error)."""
    if not isinstance(text, str):
        return None, "Enter a message", 400
    clean = text.strip()
    if not clean:
        return None, "Enter a message", 400
    if len(clean) > max_chars:
        return None, too_long_message(max_chars), 413
    return clean, None, 200


def parse_after(raw: Any) -> int:
    """`after` is the id of the last message the browser has; 0 means "everything"."""
    if raw is None or raw == "":
        return 0
    if isinstance(raw, bool):
        raise PayloadError(400, "after must be a whole number")
    try:
        value = int(raw)
    except (TypeError, ValueError, OverflowError):  # OverflowError: JSON's 1e999 is infinity
        raise PayloadError(400, "after must be a whole number") from None
    if value < 0:
        raise PayloadError(400, "after must be 0 or more")
    return value


def parse_chat_request(mimetype: str | None, body: bytes, max_chars: int) -> ChatInput:
    """Parse a POST /api/chat body: {"text": "...", "after": <optional last message id>}."""
    if (mimetype or "").lower() != "application/json":
        raise PayloadError(415, "Send JSON with Content-Type: application/json")
    try:
        data = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        raise PayloadError(400, "The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise PayloadError(400, 'Send a JSON object like {"text": "your message"}')
    if "text" not in data:
        raise PayloadError(400, 'The "text" field is missing')
    if not isinstance(data["text"], str):
        raise PayloadError(400, 'The "text" field must be a string')
    text, error, status = validate_text(data["text"], max_chars)
    if error:
        raise PayloadError(status, error)
    after = parse_after(data["after"]) if "after" in data else None
    return ChatInput(text=text, is_button=text.startswith("/"), after=after)


def require_json(mimetype: str | None) -> None:
    if (mimetype or "").lower() != "application/json":
        raise PayloadError(415, "Send JSON with Content-Type: application/json")


def is_handoff_request(text: str) -> bool:
    return text.strip().split("{", 1)[0] == HANDOFF_PAYLOAD


def validate_callback(phone: Any, preferred_time: Any) -> tuple[dict[str, str], dict[str, str]]:
    """Return (values, errors) for the callback form; errors map field name to message."""
    values = {"phone": (phone or "").strip() if isinstance(phone, str) else "",
              "preferred_time": preferred_time if isinstance(preferred_time, str) else ""}
    errors: dict[str, str] = {}
    problem = phone_problem(values["phone"])  # core.identity: the one rule for numbers
    if problem:
        errors["phone"] = problem
    if values["preferred_time"] not in dict(CALLBACK_TIMES):
        errors["preferred_time"] = "Select when you would like us to call you"
    return values, errors


def callback_time_label(key: str) -> str:
    return dict(CALLBACK_TIMES).get(key, key)


def validate_rating(raw: Any) -> tuple[int | None, str | None]:
    try:
        value = int(raw)
    except (TypeError, ValueError, OverflowError):
        return None, "Select how satisfied you are with the help you got"
    if not 1 <= value <= 5:
        return None, "Select how satisfied you are with the help you got"
    return value, None


# --- output ---------------------------------------------------------------------------------

def _parse_time(sent_at: str | None) -> datetime | None:
    if not sent_at:
        return None
    try:
        moment = datetime.fromisoformat(sent_at.rstrip("Z"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def clock(moment: datetime | None, tz: str) -> str:
    """'2:05pm' in the council's time zone (GOV.UK style)."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(tz))
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"


def long_date(moment: datetime, tz: str) -> str:
    local = moment.astimezone(ZoneInfo(tz))
    return f"{local.day} {local:%B %Y} at {clock(moment, tz)}"


def as_dict(message: Any) -> dict[str, Any]:
    return message.as_dict() if hasattr(message, "as_dict") else dict(message)


def queue_dict(queue: Any) -> dict[str, Any] | None:
    if queue is None:
        return None
    return queue.as_dict() if hasattr(queue, "as_dict") else dict(queue)


def display_text(messages: list[dict[str, Any]]) -> list[str]:
    """What to show for each message: a resident's button press shows the button's title."""
    titles = {HANDOFF_PAYLOAD: TALK_TO_A_PERSON["title"]}
    shown = []
    for m in messages:
        text = m.get("text") or ""
        is_press = m.get("sender") == "resident" and text.startswith("/")
        shown.append(titles.get(text, text) if is_press else text)
        for b in m.get("buttons") or []:
            titles[b["payload"]] = b["title"]
    return shown


def api_message(message: dict[str, Any], shown: str | None = None,
                tz: str = "Europe/London") -> dict[str, Any]:
    return {
        "id": message["id"],
        "sender": message["sender"],
        "label": SENDER_LABELS.get(message["sender"], message["sender"].title()),
        "text": shown if shown is not None else message["text"],
        "buttons": list(message.get("buttons") or []),
        "sent_at": message.get("sent_at"),
        "time": clock(_parse_time(message.get("sent_at")), tz),
    }


def api_messages(messages: list[Any], tz: str = "Europe/London") -> list[dict[str, Any]]:
    rows = [as_dict(m) for m in messages]
    return [api_message(m, shown, tz) for m, shown in zip(rows, display_text(rows), strict=True)]


def actions_for(state: str) -> list[dict[str, str]]:
    return [dict(TALK_TO_A_PERSON)] if state in (BOT, CLOSED) else []


def api_body(conversation_id: str | None, state: str, *, replies: list[Any] = (),
             queue: Any = None, satisfaction: int | None = None) -> dict[str, Any]:
    """The JSON API's one response shape (POST and GET /api/chat; the views add `messages`)."""
    state = resident_state(state)
    body: dict[str, Any] = {
        "conversation_id": conversation_id,
        "state": state,
        "replies": [r.as_dict() if hasattr(r, "as_dict") else dict(r) for r in replies],
        "actions": actions_for(state),
    }
    q = queue_dict(queue)
    if state == WAITING and q is not None:
        body["queue"] = q
        body["queue_text"] = {"position": position_text(q), "wait": wait_text(q)}
    if state == CLOSED:
        body["rating"] = {"given": satisfaction is not None}
    return body


def quick_reply_ids(messages: list[dict[str, Any]], state: str) -> set[int]:
    """Quick replies belong to the assistant's latest turn, and only while it is talking."""
    if state != BOT:
        return set()
    ids: set[int] = set()
    for m in reversed(messages):
        if m["sender"] == "resident":
            break
        if m["sender"] == "bot" and m.get("buttons"):
            ids.add(m["id"])
    return ids


def position_text(queue: dict[str, Any] | None) -> str:
    position = (queue or {}).get("position")
    return str(position) if position else "Not known yet"


def wait_text(queue: dict[str, Any] | None) -> str:
    if not queue:
        return ""
    if not queue.get("open_now"):
        return "Our advisors are not working right now"
    if not queue.get("advisors_available"):
        return "We cannot tell you how long the wait will be: no advisor is free right now"
    minutes = queue.get("expected_wait_minutes") or 1
    return f"About {minutes} minute{'s' if minutes != 1 else ''}"


def status_view(state: str, queue: Any, *, callback_requested: bool, rated: bool,
                opening_hours: str) -> dict[str, Any]:
    q = queue_dict(queue) or {}
    return {
        "state": state,
        "waiting": state == WAITING,
        "advisor": state == ADVISOR,
        "closed": state == CLOSED,
        "position": q.get("position"),
        "position_text": position_text(q),
        "wait_text": wait_text(q) if state == WAITING else "",
        "open_now": q.get("open_now", True),
        "advisors_available": q.get("advisors_available", 0),
        "offer_callback": state == WAITING and bool(q.get("offer_callback")),
        "callback_requested": callback_requested,
        "rated": rated,
        "opening_hours": opening_hours,
    }


def chat_view(snapshot: ConversationSnapshot | None, *, tz: str, now: datetime,
              session_seconds: int, opening_hours: str, max_chars: int,
              errors: dict[str, str] | None = None,
              values: dict[str, str] | None = None, just_sent: bool = False,
              callback_requested: bool = False, notice: str | None = None,
              verification: Any = None) -> dict[str, Any]:
    """The whole chat page as plain data: messages, state panels, form values and errors."""
    errors = dict(errors or {})
    values = dict(values or {})
    rows = [as_dict(m) for m in snapshot.messages] if snapshot else []
    state = resident_state(snapshot.state) if snapshot else BOT
    with_buttons = quick_reply_ids(rows, state)
    messages = []
    for m, shown in zip(rows, display_text(rows), strict=True):
        moment = _parse_time(m.get("sent_at"))
        messages.append({
            "id": m["id"],
            "sender": m["sender"],
            "label": SENDER_LABELS.get(m["sender"], m["sender"].title()),
            "text": shown,
            "time": clock(moment, tz),
            "datetime": moment.isoformat() if moment else "",
            "buttons": list(m.get("buttons") or []) if m["id"] in with_buttons else [],
        })
    ends_at = now + timedelta(seconds=session_seconds)
    error_list = [{"text": text, "href": f"#{field}"} for field, text in errors.items()]
    return {
        "conversation_id": snapshot.conversation_id if snapshot else None,
        "state": state,
        "messages": messages,
        "last_id": rows[-1]["id"] if rows else 0,
        "has_conversation": bool(rows),
        "status": status_view(state, snapshot.queue if snapshot else None,
                              callback_requested=callback_requested,
                              rated=bool(snapshot and snapshot.satisfaction is not None),
                              opening_hours=opening_hours),
        "errors": errors,
        "error_list": error_list,
        "form": values,
        "just_sent": just_sent and not errors,
        "notice": notice,
        "max_chars": max_chars,
        "session_ends": clock(ends_at, tz),
        "session_minutes": max(1, session_seconds // 60),
        "callback_times": CALLBACK_TIMES,
        "ratings": RATING_LABELS,
        "polling": state in ACTIVE_STATES,
        "verify": verify_view(verification, callback_requested),
    }


def verify_view(verification: Any, callback_requested: bool) -> dict[str, Any]:
    """The "prove this number is yours" panel: offered once they asked for a callback."""
    return {
        "offer": callback_requested and not (verification and verification.verified),
        "code_sent": bool(verification and verification.code_sent),
        "verified": bool(verification and verification.verified),
        "number_ending": verification.number_ending if verification else None,
    }


def transcript(snapshot: ConversationSnapshot, *, council_name: str, service_name: str, tz: str,
               now: datetime) -> str:
    """A plain-text copy of the conversation for the resident to keep."""
    rows = [as_dict(m) for m in snapshot.messages]
    lines = [
        f"{council_name} – {service_name}",
        f"Copy of your conversation, downloaded {long_date(now, tz)}",
        "",
    ]
    for m, shown in zip(rows, display_text(rows), strict=True):
        label = SENDER_LABELS.get(m["sender"], m["sender"].title())
        when = clock(_parse_time(m.get("sent_at")), tz)
        lines.append(f"[{when}] {label}: {shown}")
        for b in m.get("buttons") or []:
            lines.append(f"    (option: {b['title']})")
    if not rows:
        lines.append("There are no messages yet.")
    return "\n".join(lines) + "\n"
