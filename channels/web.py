"""The web chat: an accessible page that works without JavaScript, and the JSON API chat.js uses.

Without JavaScript the chat is a form that posts and re-renders the whole conversation
(post/redirect/get). With JavaScript, chat.js sends to the JSON API without reloading.
The conversation lives in the database (the router owns it); the signed, permanent Flask session
only holds its unguessable id, so a browser can only ever see its own conversation.

Views are thin: parsing, validation and view models are pure functions in `web_render`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address

from channels import web_render as render
from core import ratelimits
from core.extensions import csrf, limiter
from core.vocabulary import ConversationState
from handoff.router import (
    ConversationNotFound,
    ConversationRouter,
    ConversationSnapshot,
    InvalidMessage,
)
from handoff.verification import VerificationError

bp = Blueprint("web", __name__, template_folder="templates")

SESSION_ID = "web_conversation_id"
SESSION_KEY = "web_resident_key"
SESSION_JUST_SENT = "web_just_sent"
SESSION_CALLBACK = "web_callback_for"
SESSION_NOTICE = "web_notice"


# Every way of sending (form, quick reply, JSON API, handoff) shares one budget per conversation
# and a larger one per address (many residents share a library's address): core/ratelimits.py.
_per_conversation = limiter.shared_limit(
    ratelimits.configured("RATELIMIT_CHAT", "60 per minute"), scope="web-chat",
    key_func=ratelimits.conversation_key)
_per_address = limiter.shared_limit(
    ratelimits.configured("RATELIMIT_CHAT_IP", "600 per minute"), scope="web-chat-ip",
    key_func=ratelimits.client_ip)


def chat_limit(view):
    return _per_address(_per_conversation(view))
def _poll_key() -> str:
    # Per conversation, so many residents behind one address (a library, a care home) can all
    # wait for an advisor at once; the per-address chat limit above still guards sending.
    return session.get(SESSION_ID) or get_remote_address()


# Polling is once a second while waiting for an advisor: allow that, stop floods.
poll_limit = limiter.limit("300 per minute", key_func=_poll_key)
# One-time codes: the database also limits codes per number and attempts per code.
code_send_limit = limiter.limit("5 per hour", key_func=_poll_key)
code_check_limit = limiter.limit("20 per hour", key_func=_poll_key)


# --- helpers -------------------------------------------------------------------------------

def _router() -> ConversationRouter:
    return current_app.extensions["router"]


def _settings():
    return current_app.extensions["settings"]


def _session_seconds() -> int:
    lifetime = current_app.permanent_session_lifetime
    return int(lifetime.total_seconds()) if isinstance(lifetime, timedelta) else int(lifetime)


def _now() -> datetime:
    return datetime.now(UTC)


def _current_id() -> str | None:
    """The conversation bound to this browser's session, if it still exists."""
    conv_id = session.get(SESSION_ID)
    if conv_id and _router().exists(conv_id):
        return conv_id
    if conv_id:
        session.pop(SESSION_ID, None)
    return None


def _to_chat(anchor: str | None = None) -> Response:
    return redirect(url_for("web.chat", _anchor=anchor), code=303)


def _in_conversation(view: Callable[[str], Any]) -> Callable[[], Any]:
    """A form about this browser's conversation: with none (any more), back to the chat page."""

    @wraps(view)
    def wrapper() -> Any:
        conv_id = _current_id()
        if conv_id is None:
            return _to_chat()
        return view(conv_id)

    return wrapper


def _ensure_id() -> str:
    conv_id = _current_id()
    if conv_id:
        return conv_id
    session.permanent = True
    key = session.setdefault(SESSION_KEY, secrets.token_urlsafe(24))
    conv_id = _router().start("web", session_key=key)
    session[SESSION_ID] = conv_id
    return conv_id


def _send(text: str, *, is_button: bool) -> Any:
    """One resident message (or button press) to the router; returns its RouteResult."""
    router = _router()
    # No existence check first: the router raises ConversationNotFound for a stale id, below.
    conv_id = session.get(SESSION_ID) or _ensure_id()
    try:
        if render.is_handoff_request(text):
            return router.request_handoff(conv_id, "requested")
        return router.handle(conv_id, text, method="button" if is_button else "text")
    except ConversationNotFound:
        session.pop(SESSION_ID, None)  # deleted under us (retention): start afresh once
        conv_id = _ensure_id()
        if render.is_handoff_request(text):
            return router.request_handoff(conv_id, "requested")
        return router.handle(conv_id, text, method="button" if is_button else "text")


def _read(conv_id: str, after: int) -> tuple[ConversationSnapshot, list[dict[str, Any]]]:
    """Snapshot from `after` and its messages for the API (a button press shows its title,
    which needs the earlier message that offered the button)."""
    router = _router()
    tz = _settings().timezone
    snap = router.snapshot(conv_id, after_id=after, seen="poll")
    pressed = any(m.sender == "resident" and m.text.startswith("/") for m in snap.messages)
    if after and pressed:
        shown = render.api_messages(router.snapshot(conv_id).messages, tz)
        return snap, [m for m in shown if m["id"] > after]
    return snap, render.api_messages(snap.messages, tz)


def _api_error(error: render.PayloadError):
    return jsonify({"error": error.message, "status": error.status}), error.status


def _render_chat(status: int = 200, *, errors: dict[str, str] | None = None,
                 values: dict[str, str] | None = None):
    conv_id = _current_id()
    snapshot = _router().snapshot(conv_id, seen="page") if conv_id else None
    verification = _router().number_verification(conv_id) if conv_id else None
    settings = _settings()
    view = render.chat_view(
        snapshot,
        tz=settings.timezone,
        now=_now(),
        session_seconds=_session_seconds(),
        opening_hours=_router().hours.describe(),
        max_chars=settings.max_message_chars,
        errors=errors,
        values=values,
        just_sent=bool(session.pop(SESSION_JUST_SENT, False)),
        callback_requested=bool(conv_id) and session.get(SESSION_CALLBACK) == conv_id,
        notice=session.pop(SESSION_NOTICE, None),
        verification=verification,
    )
    return render_template("web/chat.html", chat=view), status


# --- the page (works without JavaScript) ------------------------------------------------------

@bp.get("/")
def chat():
    return _render_chat()


@bp.post("/")
@chat_limit
def send():
    payload = request.form.get("payload")
    is_button = bool(payload)
    raw = payload if is_button else request.form.get("message", "")
    text, error, _status = render.validate_text(raw, _settings().max_message_chars)
    if error:
        return _render_chat(400, errors={"message": error}, values={"message": raw})
    try:
        _send(text, is_button=is_button)
    except InvalidMessage as exc:
        return _render_chat(400, errors={"message": str(exc)}, values={"message": raw})
    session[SESSION_JUST_SENT] = True
    return _to_chat()


@bp.post("/talk-to-a-person")
@chat_limit
def talk_to_person():
    _send(render.HANDOFF_PAYLOAD, is_button=True)
    return _to_chat("conversation-status")


@bp.post("/callback")
@chat_limit
@_in_conversation
def callback(conv_id: str):
    values, errors = render.validate_callback(request.form.get("phone"),
                                              request.form.get("preferred_time"))
    if errors:
        return _render_chat(400, errors=errors, values=values)
    _router().request_callback(
        conv_id, phone=values["phone"],
        preferred_time=render.callback_time_label(values["preferred_time"]))
    # Only where to call back: anyone can type any number, so it is not their identity (their
    # choices by phone or SMS apply here only once they prove it with a code: verify_number).
    session[SESSION_CALLBACK] = conv_id
    return _to_chat("conversation-status")


def _send_sms(to: str, body: str) -> None:
    current_app.extensions["twilio"].messages.create(
        to=to, from_=current_app.config["TWILIO_PHONE_NUMBER"], body=body)


@bp.post("/verify-number")
@chat_limit
@code_send_limit
@_in_conversation
def send_code(conv_id: str):
    return _verification_step(
        lambda: _router().send_verification_code(conv_id, _send_sms),
        "We have sent a code by text message. It works for 10 minutes.", "verify-number")


@bp.post("/verify-number/check")
@chat_limit
@code_check_limit
@_in_conversation
def check_code(conv_id: str):
    return _verification_step(
        lambda: _router().verify_number(conv_id, request.form.get("code") or ""),
        "Thank you. Choices you made by phone or text now apply to this chat too.",
        "conversation-status")


def _verification_step(step: Callable[[], Any], notice: str, anchor: str) -> Any:
    """Send or check the code; a refusal is shown by the code field, success as a notice."""
    try:
        step()
    except VerificationError as exc:
        return _render_chat(400, errors={"code": str(exc)})
    session[SESSION_NOTICE] = notice
    return _to_chat(anchor)


@bp.post("/end-chat")
@chat_limit
def end_chat():
    """Shared computers: forget this browser's chat, so the next person cannot see or continue
    it. The conversation stays for the advisors (and any callback still happens)."""
    conv_id = _current_id()
    if conv_id is not None:
        _router().end_chat(conv_id)
    session.clear()
    session[SESSION_NOTICE] = ("Your chat has ended and is no longer shown on this computer. "
                               "You can start a new chat below, or call us.")
    return _to_chat()


@bp.after_request
def _never_cached(response: Response) -> Response:
    # Every page here can show a conversation: no browser or proxy may keep a copy, so the next
    # person at a shared computer cannot bring it back with the back button or the cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/rating")
@chat_limit
@_in_conversation
def rate(conv_id: str):
    score, error = render.validate_rating(request.form.get("rating"))
    if error:
        return _render_chat(400, errors={"rating": error})
    _router().rate(conv_id, score)
    session[SESSION_NOTICE] = "Thank you for your feedback."
    return _to_chat("conversation-status")


@bp.get("/transcript.txt")
def transcript():
    conv_id = _current_id()
    if conv_id is None:
        abort(404)
    settings = _settings()
    now = _now()
    text = render.transcript(_router().snapshot(conv_id), council_name=settings.council_name,
                             service_name="Contact assistant", tz=settings.timezone, now=now)
    filename = f"conversation-{now:%Y-%m-%d}.txt"
    return Response(text, mimetype="text/plain", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


# --- the JSON API (cookie session; Content-Type must be application/json) -----------------------

@bp.post("/api/chat")
@chat_limit
@csrf.exempt
def api_send():
    settings = _settings()
    try:
        data = render.parse_chat_request(request.mimetype, request.get_data(cache=False),
                                         settings.max_message_chars)
    except render.PayloadError as exc:
        return _api_error(exc)
    try:
        result = _send(data.text, is_button=data.is_button)
    except InvalidMessage as exc:
        status = 413 if "characters" in str(exc) else 400
        return _api_error(render.PayloadError(status, str(exc)))
    body = render.api_body(result.conversation_id, result.state, replies=result.replies,
                           queue=result.queue)
    if data.after is not None:
        _snap, body["messages"] = _read(result.conversation_id, data.after)
    return jsonify(body)


@bp.get("/api/chat")
@poll_limit
def api_read():
    try:
        after = render.parse_after(request.args.get("after"))
    except render.PayloadError as exc:
        return _api_error(exc)
    conv_id = _current_id()
    if conv_id is None:
        body = render.api_body(None, ConversationState.BOT)
        body["messages"] = []
        return jsonify(body)
    snap, messages = _read(conv_id, after)
    body = render.api_body(conv_id, snap.state, queue=snap.queue,
                           satisfaction=snap.satisfaction)
    body["messages"] = messages
    return jsonify(body)


@bp.post("/api/session/extend")
@poll_limit
@csrf.exempt
def api_extend_session():
    try:
        render.require_json(request.mimetype)
    except render.PayloadError as exc:
        return _api_error(exc)
    session.permanent = True
    session["web_extended_at"] = _now().isoformat()  # marks the session modified: new expiry
    seconds = _session_seconds()
    expires = _now() + timedelta(seconds=seconds)
    return jsonify({"session_seconds": seconds,
                    "expires_at": expires.isoformat().replace("+00:00", "Z")})
