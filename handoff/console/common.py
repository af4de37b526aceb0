"""Helpers shared by the console's screens: the database, local times, ticket rows, messages,
the conversation page's context and Twilio SMS delivery. No routes live here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from core.vocabulary import CHANNEL_LABELS, PRIORITY_LABELS, REASON_LABELS, STATE_LABELS
from handoff import queue as ops
from handoff.console.auth import has_role, wants_json
from storage.models import Advisor, CallbackRequest, Conversation, HandoffTicket, utcnow

DEFAULT_DIAL_TARGET = "client:advisor-{id}"

SENDER_LABELS = {"resident": "Resident", "bot": "Assistant", "system": "Update"}
SMS_FAILED = "We could not send your text message. Try again."
SMS_OPTED_OUT = "This resident has asked not to get text messages from us. Phone them instead."
CALL_FAILED = "We could not connect the call. The caller may have hung up."


class DeliveryFailed(RuntimeError):
    """Twilio refused an SMS or a call update."""


def db():
    return current_app.extensions["db"]


def settings():
    return current_app.extensions["settings"]


def _tz() -> ZoneInfo:
    try:
        return ZoneInfo(current_app.config.get("TIMEZONE") or "Europe/London")
    except (KeyError, ValueError):
        return ZoneInfo("Europe/London")


def local_time(at: datetime | None, fmt: str = "%H:%M") -> str:
    if at is None:
        return ""
    return at.replace(tzinfo=ZoneInfo("UTC")).astimezone(_tz()).strftime(fmt)


def waiting_text(seconds: float) -> str:
    """Pure: "less than a minute", "1 minute", "1 hour 5 minutes"."""
    minutes = int(max(seconds, 0) // 60)
    if minutes < 1:
        return "Less than a minute"
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour" + ("" if hours == 1 else "s"))
    if minutes:
        parts.append(f"{minutes} minute" + ("" if minutes == 1 else "s"))
    return " ".join(parts)


def humanise(key: Any) -> str:
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def as_advisor(operation: Callable[..., Any], target_id: int, *args: Any) -> Any:
    """A queue operation by the signed-in advisor on a ticket, callback or advisor (by id);
    one that does not exist is a 404."""
    try:
        return operation(db(), target_id, current_user.id, *args)
    except LookupError:
        abort(404)


def see_other(endpoint: str, **values: Any):
    return redirect(url_for(endpoint, **values), code=303)


def json_or_redirect(payload: dict[str, Any], status: int, endpoint: str, **values: Any):
    if wants_json():
        return jsonify(payload), status
    return see_other(endpoint, **values)


def form_errors(form: Any) -> dict[str, str]:
    """A WTForms form's errors as {field id: first message}, the shape the macros take."""
    return {name: messages[0] for name, messages in form.errors.items() if messages}


def canned_replies() -> list[str]:
    replies = current_app.config.get("CANNED_REPLIES") or ops.CANNED_REPLIES
    name = getattr(current_user, "name", "") or "an advisor"
    return [str(r).replace("{name}", name) for r in replies]


def dial_target(advisor_id: int) -> str:
    target = current_app.config.get("ADVISOR_DIAL_TARGET") or DEFAULT_DIAL_TARGET
    return str(target).replace("{id}", str(advisor_id))


def send_sms(to: str, body: str) -> None:
    """The Twilio REST request for one advisor SMS (passed into handoff.queue)."""
    try:
        current_app.extensions["twilio"].messages.create(
            to=to, from_=current_app.config["TWILIO_PHONE_NUMBER"], body=body
        )
    except Exception as exc:  # noqa: BLE001 - any Twilio or network failure
        current_app.logger.warning("SMS to resident failed: %s", type(exc).__name__)
        raise DeliveryFailed(SMS_FAILED) from exc


def ticket_row(ticket: HandoffTicket, conv: Conversation, now: datetime) -> dict[str, Any]:
    summary = ticket.summary or {}
    channel = conv.channel or summary.get("channel") or ""
    waited = (now - ticket.queued_at).total_seconds() if ticket.queued_at else 0
    row = {
        "id": ticket.id,
        "status": ticket.status,
        "reason": ticket.reason,
        "reason_label": REASON_LABELS.get(ticket.reason, humanise(ticket.reason)),
        "priority": ticket.priority,
        "priority_label": PRIORITY_LABELS.get(ticket.priority, str(ticket.priority)),
        "channel": channel,
        "channel_label": CHANNEL_LABELS.get(channel, humanise(channel)),
        "waiting_seconds": int(waited),
        "waiting_text": waiting_text(waited),
        "queued_at": local_time(ticket.queued_at),
        "snippet": ops.snippet(summary),
        "url": url_for("console.conversation.show", ticket_id=ticket.id),
        "claim_url": url_for("console.queue.claim", ticket_id=ticket.id),
        "take_call_url": (url_for("console.conversation.take_call", ticket_id=ticket.id)
                          if channel == "phone" and conv.call_sid else None),
    }
    if ticket.claimed_at:
        row["claimed_at"] = local_time(ticket.claimed_at)
    return row


def rows(s, tickets: list[HandoffTicket]) -> list[dict[str, Any]]:
    now = utcnow()
    convs = {}
    ids = {t.conversation_id for t in tickets}
    if ids:
        convs = {c.id: c for c in s.scalars(select(Conversation).where(Conversation.id.in_(ids)))}
    return [ticket_row(t, convs[t.conversation_id], now) for t in tickets]


def message_view(m, names: dict[int, str]) -> dict[str, Any]:
    if m.sender == "advisor":
        label = ("You" if m.advisor_id == current_user.id
                 else f"Advisor ({names.get(m.advisor_id, 'unknown')})")
    else:
        label = SENDER_LABELS.get(m.sender, humanise(m.sender))
    return {"id": m.id, "sender": m.sender, "sender_label": label, "text": m.text,
            "time": local_time(m.sent_at), "sent_at": m.sent_at.isoformat() + "Z"}


def advisor_names(s, messages) -> dict[int, str]:
    ids = {m.advisor_id for m in messages if m.advisor_id}
    if not ids:
        return {}
    return dict(s.execute(select(Advisor.id, Advisor.name).where(Advisor.id.in_(ids))).all())


def summary_view(ticket: HandoffTicket, conv: Conversation) -> dict[str, Any]:
    """Pure-ish: what the resident has told us, ready for a govuk-summary-list."""
    summary = ticket.summary or {}
    said = summary.get("said") or []
    if isinstance(said, str):
        said = [said]
    intents = [humanise(i) for i in summary.get("intents") or [] if i]
    slots = summary.get("slots") if isinstance(summary.get("slots"), dict) else {}
    details = [(humanise(k), v if isinstance(v, str) else ", ".join(map(str, v))
                if isinstance(v, list) else str(v))
               for k, v in sorted(slots.items()) if v not in (None, "", [], {})]
    entities = []
    for e in summary.get("entities") or []:
        if isinstance(e, dict) and e.get("value") not in (None, ""):
            entities.append((humanise(e.get("entity") or "detail"), str(e.get("value"))))
    channel = conv.channel or summary.get("channel") or ""
    shown = {"said", "intents", "slots", "entities", "channel", "reason", "note"}
    other = [(humanise(k), str(v)) for k, v in summary.items()
             if k not in shown and v not in (None, "", [], {}) and not isinstance(v, dict | list)]
    return {
        "reason": REASON_LABELS.get(ticket.reason, humanise(ticket.reason)),
        "priority": PRIORITY_LABELS.get(ticket.priority, str(ticket.priority)),
        "channel": CHANNEL_LABELS.get(channel, humanise(channel)),
        "said": [str(x) for x in said],
        "intents": intents,
        "details": details,
        "entities": entities,
        "note": summary.get("note"),
        "other": other,
    }


def load_ticket(s, ticket_id: int) -> tuple[HandoffTicket, Conversation]:
    ticket = s.get(HandoffTicket, ticket_id)
    if ticket is None:
        abort(404)
    return ticket, s.get(Conversation, ticket.conversation_id)


def may_view(ticket: HandoffTicket) -> bool:
    return (ticket.status == "queued" or ticket.advisor_id == current_user.id
            or has_role(current_user, "supervisor"))


def conversation_context(ticket_id: int) -> dict[str, Any] | None:
    """Everything the conversation page shows, or None if this advisor may not see it."""
    with db().session() as s:
        ticket, conv = load_ticket(s, ticket_id)
        if not may_view(ticket):
            return None
        messages = ops.transcript(s, conv.id)
        names = advisor_names(s, messages)
        handler = s.get(Advisor, ticket.advisor_id) if ticket.advisor_id else None
        callbacks = list(s.scalars(select(CallbackRequest).where(
            CallbackRequest.conversation_id == conv.id).order_by(CallbackRequest.id)))
        mine = ticket.status == "claimed" and ticket.advisor_id == current_user.id
        views = [message_view(m, names) for m in messages]
        return {
            "ticket": ticket,
            "conv": conv,
            "row": ticket_row(ticket, conv, utcnow()),
            "summary": summary_view(ticket, conv),
            "messages": views,
            "last_id": views[-1]["id"] if views else 0,
            "handler_name": handler.name if handler else None,
            "mine": mine,
            "state_label": STATE_LABELS.get(conv.state, humanise(conv.state)),
            "is_phone": conv.channel == "phone",
            "can_take_call": bool(conv.channel == "phone" and conv.call_sid
                                  and (ticket.status == "queued" or mine)),
            "can_reply": mine and conv.channel in ("web", "sms"),
            "callbacks": callbacks,
        }


def render_conversation(ticket_id: int, errors: dict[str, str] | None = None,
                        form: dict[str, str] | None = None, status: int = 200):
    ctx = conversation_context(ticket_id)
    if ctx is None:
        flash(ops.CLAIM_LOST_TEXT, "error")
        return see_other("console.queue.index")
    return render_template(
        "console/conversation.html", errors=errors or {}, form=form or {},
        canned=canned_replies(), outcomes=ops.OUTCOMES, **ctx,
    ), status
