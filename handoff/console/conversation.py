"""The conversation screen: the transcript and summary, replying (web chat and SMS), handing back
to the assistant, closing with an outcome, and taking a phone call."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, request
from flask_login import current_user

from handoff import queue as ops
from handoff.console.auth import wants_json
from handoff.console.common import (
    CALL_FAILED,
    SMS_OPTED_OUT,
    STATE_LABELS,
    DeliveryFailed,
    advisor_names,
    as_advisor,
    canned_replies,
    db,
    dial_target,
    form_errors,
    humanise,
    json_or_redirect,
    load_ticket,
    may_view,
    message_view,
    render_conversation,
    see_other,
    send_sms,
    settings,
)
from handoff.console.forms import CloseForm, ReplyForm
from storage.models import Advisor

bp = Blueprint("conversation", __name__)


def _channel(ticket_id: int) -> tuple[str, str]:
    with db().session() as s:
        _ticket, conv = load_ticket(s, ticket_id)
        return conv.channel, conv.id


@bp.get("/conversation/<int:ticket_id>")
def show(ticket_id: int):
    return render_conversation(ticket_id)


@bp.get("/api/conversation/<int:ticket_id>")
def api(ticket_id: int):
    after = request.args.get("after", default=0, type=int) or 0
    with db().session() as s:
        ticket, conv = load_ticket(s, ticket_id)
        if not may_view(ticket):
            return jsonify(error=ops.CLAIM_LOST_TEXT), 403
        messages = ops.transcript(s, conv.id, after)
        views = [message_view(m, advisor_names(s, messages)) for m in messages]
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
    form = ReplyForm()
    form.validate()
    text = form.message.data or ""
    canned = form.canned.data or ""
    if not text and canned.isdigit():
        options = canned_replies()
        if int(canned) < len(options):
            text = options[int(canned)]
    channel, conv_id = _channel(ticket_id)
    error = None
    if channel == "phone":
        error = "This is a phone call: take the call to talk to the resident"
    elif channel == "sms" and "sms" in current_app.extensions["router"].choices(conv_id):
        error = SMS_OPTED_OUT
    else:
        try:
            message_id = ops.reply(
                db(), ticket_id, current_user.id, text, settings().redact_kinds,
                send_sms=send_sms if channel == "sms" else None,
            )
        except PermissionError:
            if wants_json():
                return jsonify(error="Claim this conversation before you reply"), 403
            flash("Claim this conversation before you reply.", "error")
            return see_other("console.conversation.show", ticket_id=ticket_id)
        except (ValueError, DeliveryFailed) as exc:
            error = str(exc)
    if error:
        if wants_json():
            return jsonify(error=error), 400
        return render_conversation(ticket_id, errors={"message": error},
                                   form={"message": text}, status=400)
    return json_or_redirect({"ok": True, "message_id": message_id}, 200,
                            "console.conversation.show", ticket_id=ticket_id, _anchor="reply")


@bp.post("/conversation/<int:ticket_id>/hand-back")
def hand_back(ticket_id: int):
    channel, _conv_id = _channel(ticket_id)
    try:
        ops.hand_back(db(), ticket_id, current_user.id,
                      send_sms=send_sms if channel == "sms" else None)
    except PermissionError:
        flash("Claim this conversation before you hand it back.", "error")
        return see_other("console.conversation.show", ticket_id=ticket_id)
    except DeliveryFailed as exc:
        flash(str(exc), "error")
        return see_other("console.conversation.show", ticket_id=ticket_id)
    flash("You passed the resident back to the automated assistant.", "success")
    return see_other("console.queue.index")


@bp.post("/conversation/<int:ticket_id>/close")
def close(ticket_id: int):
    form = CloseForm()
    if not form.validate():
        return render_conversation(ticket_id, errors=form_errors(form), status=400)
    outcome = form.outcome.data
    channel, _conv_id = _channel(ticket_id)
    try:
        ops.close(db(), ticket_id, current_user.id, outcome,
                  send_sms=send_sms if channel == "sms" else None)
    except PermissionError:
        flash("Claim this conversation before you close it.", "error")
        return see_other("console.conversation.show", ticket_id=ticket_id)
    except DeliveryFailed:
        return render_conversation(
            ticket_id, status=502,
            errors={"outcome": "We could not text the resident to say the conversation has "
                               "ended, so it is still open. Try again."})
    flash(f"Conversation closed: {ops.OUTCOMES[outcome].lower()}.", "success")
    return see_other("console.queue.index")


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
        as_advisor(ops.take_call, ticket_id, connect)
    except ops.NotAPhoneCall as exc:
        flash(str(exc), "error")
        return see_other("console.conversation.show", ticket_id=ticket_id)
    except (ops.ClaimLost, PermissionError):
        flash(ops.CLAIM_LOST_TEXT, "error")
        return see_other("console.queue.index")
    except DeliveryFailed as exc:
        flash(str(exc), "error")
        return see_other("console.conversation.show", ticket_id=ticket_id)
    flash("The caller is being connected to you.", "success")
    return see_other("console.conversation.show", ticket_id=ticket_id)
