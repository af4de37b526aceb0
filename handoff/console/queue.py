"""The queue screen: who is waiting (most urgent, then longest waiting), my conversations, and
claiming a ticket. /advisor/api/queue feeds console.js's one-second refresh."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, render_template
from flask_login import current_user

from handoff import queue as ops
from handoff.availability import advisors_available
from handoff.console.auth import wants_json
from handoff.console.common import as_advisor, db, json_or_redirect, rows, see_other
from storage.models import HandoffTicket

bp = Blueprint("queue", __name__)


def queue_data() -> dict[str, Any]:
    with db().session() as s:
        waiting = rows(s, ops.queued(s))
        mine = rows(s, ops.claimed_by(s, current_user.id))
        available = advisors_available(s)
    return {"tickets": waiting, "mine": mine, "count": len(waiting),
            "advisors_available": available}


@bp.get("/")
@bp.get("")  # registered first, so url_for builds "/advisor"
def index():
    return render_template("console/queue.html", **queue_data())


@bp.get("/api/queue")
def api():
    return jsonify(queue_data())


@bp.post("/tickets/<int:ticket_id>/claim")
def claim(ticket_id: int):
    try:
        as_advisor(ops.claim, ticket_id)
    except ops.ClaimLost:
        with db().session() as s:
            ticket = s.get(HandoffTicket, ticket_id)
            already_mine = ticket.status == "claimed" and ticket.advisor_id == current_user.id
        if already_mine:  # a double click: just carry on
            return json_or_redirect({"ok": True}, 200, "console.conversation.show",
                                    ticket_id=ticket_id)
        if wants_json():
            return jsonify(error=ops.CLAIM_LOST_TEXT), 409
        flash(ops.CLAIM_LOST_TEXT, "error")
        return see_other("console.queue.index")
    return json_or_redirect({"ok": True}, 200, "console.conversation.show", ticket_id=ticket_id)
