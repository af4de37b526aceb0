"""The callbacks screen: residents who asked us to phone them, and marking a callback done."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, url_for

from core.vocabulary import CHANNEL_LABELS, REASON_LABELS
from handoff import queue as ops
from handoff.console.common import as_advisor, db, local_time, see_other
from storage.models import Advisor, Conversation, HandoffTicket

bp = Blueprint("callbacks", __name__)


@bp.get("/callbacks")
def index():
    with db().session() as s:
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
                    "ticket_url": url_for("console.conversation.show", ticket_id=ticket.id)
                    if ticket else None,
                    "reason": REASON_LABELS.get(ticket.reason, "") if ticket else "",
                })
    return render_template("console/callbacks.html",
                           open_rows=[r for r in rows if r["status"] == "open"],
                           done_rows=[r for r in rows if r["status"] == "done"])


@bp.post("/callbacks/<int:callback_id>/done")
def done(callback_id: int):
    as_advisor(ops.mark_callback_done, callback_id)
    flash("Callback marked as done.", "success")
    return see_other("console.callbacks.index")
