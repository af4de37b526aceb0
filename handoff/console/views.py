"""The advisor console: sign in, the live queue, conversations (reply, hand back, close),
phone calls (take call), callback requests, the team view and advisor management.

Every route refuses anonymous users (a redirect to sign-in for pages, 401 JSON for
/advisor/api/*). Pages work without JavaScript; handoff/console/static/console.js makes the
queue and the transcript update themselves by polling the JSON endpoints every second.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from core.extensions import limiter, login_manager
from core.vocabulary import CHANNEL_LABELS, PRIORITY_LABELS, REASON_LABELS
from handoff import queue as ops
from handoff.availability import advisors_available
from handoff.console.auth import (
    LOGIN_FAILED,
    authenticate,
    create_advisor,
    find_by_email,
    has_role,
    role_required,
    safe_next,
    wants_json,
)
from storage.models import (
    ROLES,
    Advisor,
    CallbackRequest,
    Conversation,
    HandoffTicket,
    utcnow,
)

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/advisor",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

PUBLIC_ENDPOINTS = {"console.login"}
DEFAULT_DIAL_TARGET = "client:advisor-{id}"

SENDER_LABELS = {"resident": "Resident", "bot": "Assistant", "system": "Update"}
STATE_LABELS = {
    "bot": "With the assistant",
    "waiting": "Waiting for an advisor",
    "advisor": "With an advisor",
    "closed": "Closed",
}
SMS_FAILED = "We could not send your text message. Try again."
SMS_OPTED_OUT = "This resident has asked not to get text messages from us. Phone them instead."
CALL_FAILED = "We could not connect the call. The caller may have hung up."


class DeliveryFailed(RuntimeError):
    """Twilio refused an SMS or a call update."""


# --- helpers ----------------------------------------------------------------------------------


def _db():
    return current_app.extensions["db"]


def _settings():
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


def _redirect(endpoint: str, **values: Any):
    return redirect(url_for(endpoint, **values), code=303)


def _json_or_redirect(payload: dict[str, Any], status: int, endpoint: str, **values: Any):
    if wants_json():
        return jsonify(payload), status
    return _redirect(endpoint, **values)


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


def _ticket_row(ticket: HandoffTicket, conv: Conversation, now: datetime) -> dict[str, Any]:
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
        "url": url_for("console.conversation", ticket_id=ticket.id),
        "claim_url": url_for("console.claim", ticket_id=ticket.id),
        "take_call_url": (url_for("console.take_call", ticket_id=ticket.id)
                          if channel == "phone" and conv.call_sid else None),
    }
    if ticket.claimed_at:
        row["claimed_at"] = local_time(ticket.claimed_at)
    return row


def _rows(s, tickets: list[HandoffTicket]) -> list[dict[str, Any]]:
    now = utcnow()
    convs = {}
    ids = {t.conversation_id for t in tickets}
    if ids:
        convs = {c.id: c for c in s.scalars(select(Conversation).where(Conversation.id.in_(ids)))}
    return [_ticket_row(t, convs[t.conversation_id], now) for t in tickets]


def _queue_data() -> dict[str, Any]:
    with _db().session() as s:
        waiting = _rows(s, ops.queued(s))
        mine = _rows(s, ops.claimed_by(s, current_user.id))
        available = advisors_available(s)
    return {"tickets": waiting, "mine": mine, "count": len(waiting),
            "advisors_available": available}


def _message_view(m, names: dict[int, str]) -> dict[str, Any]:
    if m.sender == "advisor":
        label = ("You" if m.advisor_id == current_user.id
                 else f"Advisor ({names.get(m.advisor_id, 'unknown')})")
    else:
        label = SENDER_LABELS.get(m.sender, humanise(m.sender))
    return {"id": m.id, "sender": m.sender, "sender_label": label, "text": m.text,
            "time": local_time(m.sent_at), "sent_at": m.sent_at.isoformat() + "Z"}


def _advisor_names(s, messages) -> dict[int, str]:
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


def _load_ticket(s, ticket_id: int) -> tuple[HandoffTicket, Conversation]:
    ticket = s.get(HandoffTicket, ticket_id)
    if ticket is None:
        abort(404)
    return ticket, s.get(Conversation, ticket.conversation_id)


def _may_view(ticket: HandoffTicket) -> bool:
    return (ticket.status == "queued" or ticket.advisor_id == current_user.id
            or has_role(current_user, "supervisor"))


def _conversation_context(ticket_id: int) -> dict[str, Any] | None:
    """Everything the conversation page shows, or None if this advisor may not see it."""
    with _db().session() as s:
        ticket, conv = _load_ticket(s, ticket_id)
        if not _may_view(ticket):
            return None
        messages = ops.transcript(s, conv.id)
        names = _advisor_names(s, messages)
        handler = s.get(Advisor, ticket.advisor_id) if ticket.advisor_id else None
        callbacks = list(s.scalars(select(CallbackRequest).where(
            CallbackRequest.conversation_id == conv.id).order_by(CallbackRequest.id)))
        mine = ticket.status == "claimed" and ticket.advisor_id == current_user.id
        views = [_message_view(m, names) for m in messages]
        return {
            "ticket": ticket,
            "conv": conv,
            "row": _ticket_row(ticket, conv, utcnow()),
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


def _render_conversation(ticket_id: int, errors: dict[str, str] | None = None,
                         form: dict[str, str] | None = None, status: int = 200):
    ctx = _conversation_context(ticket_id)
    if ctx is None:
        flash(ops.CLAIM_LOST_TEXT, "error")
        return _redirect("console.queue_page")
    return render_template(
        "console/conversation.html", errors=errors or {}, form=form or {},
        canned=canned_replies(), outcomes=ops.OUTCOMES, **ctx,
    ), status


# --- every request: sign-in required, presence -------------------------------------------------


@bp.before_request
def _require_advisor():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    # Each page load and poll counts as "at the console", so availability is real.
    ops.touch(_db(), current_user.id)
    return None


@bp.app_context_processor
def _console_context() -> dict[str, Any]:
    return {"console_has_role": lambda role: has_role(current_user, role)}


@bp.errorhandler(403)
def _forbidden(_error):
    if wants_json():
        return jsonify(error="You do not have permission to do this"), 403
    return render_template("console/forbidden.html"), 403


@bp.errorhandler(429)
def _too_many(_error):
    if wants_json():
        return jsonify(error="Too many attempts. Wait a minute, then try again."), 429
    return render_template("console/too_many.html"), 429


@bp.errorhandler(404)
def _not_found(_error):
    if wants_json():
        return jsonify(error="Not found"), 404
    return render_template("console/not_found.html"), 404


# --- sign in and out --------------------------------------------------------------------------


def _login_limit() -> str:
    return current_app.config.get("RATELIMIT_LOGIN") or "5 per minute"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"],
               deduct_when=lambda response: response.status_code != 303)
def login():
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("console.queue_page"))
    errors: dict[str, str] = {}
    email = ""
    if request.method == "POST":
        email = (request.form.get("email") or "").strip()
        password = request.form.get("password") or ""
        if not email:
            errors["email"] = "Enter your email address"
        if not password:
            errors["password"] = "Enter your password"  # noqa: S105 - a message
        advisor = None
        if not errors:
            with _db().session() as s:
                advisor = authenticate(s, email, password)
                if advisor is None:
                    known = find_by_email(s, email)
                    ops.audit(s, known.id if known else None, "login_failed",
                              f"advisor:{known.id}" if known else None)
                    errors["email"] = LOGIN_FAILED
                else:
                    ops.audit(s, advisor.id, "login", f"advisor:{advisor.id}")
        if advisor is not None:
            session.clear()  # a fresh session on sign-in (no fixation)
            login_user(advisor)
            session.permanent = True
            return redirect(next_url or url_for("console.queue_page"), code=303)
    return render_template("console/login.html", errors=errors, email=email, next_url=next_url)


@bp.post("/logout")
def logout():
    with _db().session() as s:
        ops.audit(s, current_user.id, "logout", f"advisor:{current_user.id}")
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return _redirect("console.login")


# --- the queue ----------------------------------------------------------------------------------


@bp.get("/")
@bp.get("")  # registered first, so url_for builds "/advisor"
def queue_page():
    return render_template("console/queue.html", **_queue_data())


@bp.get("/api/queue")
def api_queue():
    return jsonify(_queue_data())


@bp.post("/tickets/<int:ticket_id>/claim")
def claim(ticket_id: int):
    try:
        ops.claim(_db(), ticket_id, current_user.id)
    except LookupError:
        abort(404)
    except ops.ClaimLost:
        with _db().session() as s:
            ticket = s.get(HandoffTicket, ticket_id)
            already_mine = ticket.status == "claimed" and ticket.advisor_id == current_user.id
        if already_mine:  # a double click: just carry on
            return _json_or_redirect({"ok": True}, 200, "console.conversation", ticket_id=ticket_id)
        if wants_json():
            return jsonify(error=ops.CLAIM_LOST_TEXT), 409
        flash(ops.CLAIM_LOST_TEXT, "error")
        return _redirect("console.queue_page")
    return _json_or_redirect({"ok": True}, 200, "console.conversation", ticket_id=ticket_id)


# --- a conversation -----------------------------------------------------------------------------


@bp.get("/conversation/<int:ticket_id>")
def conversation(ticket_id: int):
    return _render_conversation(ticket_id)


@bp.get("/api/conversation/<int:ticket_id>")
def api_conversation(ticket_id: int):
    after = request.args.get("after", default=0, type=int) or 0
    with _db().session() as s:
        ticket, conv = _load_ticket(s, ticket_id)
        if not _may_view(ticket):
            return jsonify(error=ops.CLAIM_LOST_TEXT), 403
        messages = ops.transcript(s, conv.id, after)
        views = [_message_view(m, _advisor_names(s, messages)) for m in messages]
        handler = s.get(Advisor, ticket.advisor_id) if ticket.advisor_id else None
        return jsonify(
            ticket={"id": ticket.id, "status": ticket.status,
                    "mine": ticket.status == "claimed" and ticket.advisor_id == current_user.id,
                    "advisor": handler.name if handler else None, "outcome": ticket.outcome},
            state=conv.state,
            state_label=STATE_LABELS.get(conv.state, humanise(conv.state)),
            messages=views,
            last_id=views[-1]["id"] if views else after,
        )


@bp.post("/conversation/<int:ticket_id>/reply")
def reply(ticket_id: int):
    text = (request.form.get("message") or "").strip()
    canned = request.form.get("canned") or ""
    if not text and canned.isdigit():
        options = canned_replies()
        if int(canned) < len(options):
            text = options[int(canned)]
    with _db().session() as s:
        _ticket, conv = _load_ticket(s, ticket_id)
        channel, conv_id = conv.channel, conv.id
    error = None
    if channel == "phone":
        error = "This is a phone call: take the call to talk to the resident"
    elif channel == "sms" and "sms" in current_app.extensions["router"].choices(conv_id):
        error = SMS_OPTED_OUT
    else:
        try:
            message_id = ops.reply(
                _db(), ticket_id, current_user.id, text, _settings().redact_kinds,
                send_sms=send_sms if channel == "sms" else None,
            )
        except PermissionError:
            if wants_json():
                return jsonify(error="Claim this conversation before you reply"), 403
            flash("Claim this conversation before you reply.", "error")
            return _redirect("console.conversation", ticket_id=ticket_id)
        except (ValueError, DeliveryFailed) as exc:
            error = str(exc)
    if error:
        if wants_json():
            return jsonify(error=error), 400
        return _render_conversation(ticket_id, errors={"message": error},
                                    form={"message": text}, status=400)
    return _json_or_redirect({"ok": True, "message_id": message_id}, 200,
                             "console.conversation", ticket_id=ticket_id, _anchor="reply")


@bp.post("/conversation/<int:ticket_id>/hand-back")
def hand_back(ticket_id: int):
    with _db().session() as s:
        _ticket, conv = _load_ticket(s, ticket_id)
        channel = conv.channel
    try:
        ops.hand_back(_db(), ticket_id, current_user.id,
                      send_sms=send_sms if channel == "sms" else None)
    except PermissionError:
        flash("Claim this conversation before you hand it back.", "error")
        return _redirect("console.conversation", ticket_id=ticket_id)
    except DeliveryFailed as exc:
        flash(str(exc), "error")
        return _redirect("console.conversation", ticket_id=ticket_id)
    flash("You passed the resident back to the automated assistant.", "success")
    return _redirect("console.queue_page")


@bp.post("/conversation/<int:ticket_id>/close")
def close(ticket_id: int):
    outcome = request.form.get("outcome") or ""
    if outcome not in ops.OUTCOMES:
        return _render_conversation(ticket_id, errors={"outcome": "Choose an outcome"}, status=400)
    with _db().session() as s:
        _ticket, conv = _load_ticket(s, ticket_id)
        channel = conv.channel
    try:
        ops.close(_db(), ticket_id, current_user.id, outcome,
                  send_sms=send_sms if channel == "sms" else None)
    except PermissionError:
        flash("Claim this conversation before you close it.", "error")
        return _redirect("console.conversation", ticket_id=ticket_id)
    except DeliveryFailed:
        return _render_conversation(
            ticket_id, status=502,
            errors={"outcome": "We could not text the resident to say the conversation has "
                               "ended, so it is still open. Try again."})
    flash(f"Conversation closed: {ops.OUTCOMES[outcome].lower()}.", "success")
    return _redirect("console.queue_page")


@bp.post("/conversation/<int:ticket_id>/take-call")
def take_call(ticket_id: int):
    twiml = ops.dial_twiml(dial_target(current_user.id))
    twilio = current_app.extensions["twilio"]

    def connect(call_sid: str) -> None:
        try:
            twilio.calls(call_sid).update(twiml=twiml)
        except Exception as exc:  # noqa: BLE001 - any Twilio or network failure
            current_app.logger.warning("take call failed: %s", type(exc).__name__)
            raise DeliveryFailed(CALL_FAILED) from exc

    try:
        ops.take_call(_db(), ticket_id, current_user.id, connect)
    except LookupError:
        abort(404)
    except ops.NotAPhoneCall as exc:
        flash(str(exc), "error")
        return _redirect("console.conversation", ticket_id=ticket_id)
    except (ops.ClaimLost, PermissionError):
        flash(ops.CLAIM_LOST_TEXT, "error")
        return _redirect("console.queue_page")
    except DeliveryFailed as exc:
        flash(str(exc), "error")
        return _redirect("console.conversation", ticket_id=ticket_id)
    flash("The caller is being connected to you.", "success")
    return _redirect("console.conversation", ticket_id=ticket_id)


# --- callbacks ----------------------------------------------------------------------------------


@bp.get("/callbacks")
def callbacks():
    with _db().session() as s:
        rows = []
        for status in ("open", "done"):
            for cb in ops.callbacks(s, status, limit=200 if status == "open" else 20):
                ticket = s.get(HandoffTicket, cb.ticket_id) if cb.ticket_id else None
                conv = s.get(Conversation, cb.conversation_id)
                handler = s.get(Advisor, cb.handled_by) if cb.handled_by else None
                rows.append({
                    "id": cb.id, "status": cb.status, "phone": cb.phone or "",
                    "preferred_time": cb.preferred_time or "", "notes": cb.notes or "",
                    "recording_url": cb.recording_url if (cb.recording_url or "").startswith(
                        "https://") else None,
                    "requested": local_time(cb.created_at, "%d %b %Y, %H:%M"),
                    "done": local_time(cb.done_at, "%d %b %Y, %H:%M"),
                    "handled_by": handler.name if handler else "",
                    "channel": CHANNEL_LABELS.get(conv.channel, conv.channel) if conv else "",
                    "ticket_url": url_for("console.conversation", ticket_id=ticket.id)
                    if ticket else None,
                    "reason": REASON_LABELS.get(ticket.reason, "") if ticket else "",
                })
    return render_template("console/callbacks.html",
                           open_rows=[r for r in rows if r["status"] == "open"],
                           done_rows=[r for r in rows if r["status"] == "done"])


@bp.post("/callbacks/<int:callback_id>/done")
def callback_done(callback_id: int):
    try:
        ops.mark_callback_done(_db(), callback_id, current_user.id)
    except LookupError:
        abort(404)
    flash("Callback marked as done.", "success")
    return _redirect("console.callbacks")


# --- supervisors: the team ----------------------------------------------------------------------


@bp.get("/team")
@role_required("supervisor")
def team():
    with _db().session() as s:
        members = []
        for m in ops.team(s):
            tickets = _rows(s, m.tickets)
            members.append({
                "name": m.advisor.name, "email": m.advisor.email, "role": humanise(m.advisor.role),
                "active": m.advisor.active, "available": m.available,
                "last_seen": local_time(m.advisor.last_seen_at, "%d %b, %H:%M") or "Never",
                "tickets": tickets,
            })
        waiting = len(ops.queued(s))
    return render_template("console/team.html", members=members, waiting=waiting)


# --- admins: manage advisors --------------------------------------------------------------------


@bp.route("/admin/advisors", methods=["GET", "POST"])
@role_required("admin")
def admin_advisors():
    errors: dict[str, str] = {}
    form: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = {k: (request.form.get(k) or "").strip() for k in ("name", "email", "role")}
        password = request.form.get("password") or ""
        confirm = request.form.get("password_confirm") or ""
        if not form["name"]:
            errors["name"] = "Enter a name"
        if form["role"] not in ROLES:
            errors["role"] = "Choose a role"
        if password != confirm:
            errors["password_confirm"] = "Passwords do not match"  # noqa: S105 - a message
        if not errors:
            try:
                with _db().session() as s:
                    advisor = create_advisor(s, name=form["name"], email=form["email"],
                                             role=form["role"], password=password)
                    ops.audit(s, current_user.id, "advisor_create", f"advisor:{advisor.id}",
                              role=advisor.role)
            except ValueError as exc:
                message = str(exc)
                field = ("password" if "Password" in message else
                         "email" if "email" in message.lower() else "name")
                errors[field] = message
        if not errors:
            flash(f"Advisor {form['name']} created.", "success")
            return _redirect("console.admin_advisors")
        status = 400
    with _db().session() as s:
        advisors = list(s.scalars(select(Advisor).order_by(Advisor.active.desc(), Advisor.name)))
        rows = [{"id": a.id, "name": a.name, "email": a.email, "role": humanise(a.role),
                 "active": a.active, "last_seen": local_time(a.last_seen_at, "%d %b, %H:%M")
                 or "Never", "is_me": a.id == current_user.id} for a in advisors]
    return render_template("console/admin_advisors.html", advisors=rows, errors=errors,
                           form=form, roles=ROLES), status


@bp.post("/admin/advisors/<int:advisor_id>/deactivate")
@role_required("admin")
def admin_deactivate(advisor_id: int):
    if advisor_id == current_user.id:
        flash("You cannot deactivate your own account.", "error")
        return _redirect("console.admin_advisors")
    try:
        released = ops.deactivate_advisor(_db(), advisor_id, current_user.id)
    except LookupError:
        abort(404)
    note = f" {released} conversation(s) went back to the queue." if released else ""
    flash(f"Advisor deactivated.{note}", "success")
    return _redirect("console.admin_advisors")


@bp.post("/admin/advisors/<int:advisor_id>/reactivate")
@role_required("admin")
def admin_reactivate(advisor_id: int):
    with _db().session() as s:
        advisor = s.get(Advisor, advisor_id)
        if advisor is None:
            abort(404)
        advisor.active = True
        ops.audit(s, current_user.id, "advisor_reactivate", f"advisor:{advisor_id}")
    flash("Advisor reactivated.", "success")
    return _redirect("console.admin_advisors")
