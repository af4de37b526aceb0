"""The team screen (supervisors and admins): who is signed in, available and handling what."""

from __future__ import annotations

from flask import Blueprint, render_template

from handoff import queue as ops
from handoff.console.auth import role_required
from handoff.console.common import db, humanise, local_time, rows

bp = Blueprint("team", __name__)


@bp.get("/team")
@role_required("supervisor")
def index():
    with db().session() as s:
        members = []
        for m in ops.team(s):
            members.append({
                "name": m.advisor.name, "email": m.advisor.email, "role": humanise(m.advisor.role),
                "active": m.advisor.active, "available": m.available,
                "last_seen": local_time(m.advisor.last_seen_at, "%d %b, %H:%M") or "Never",
                "tickets": rows(s, m.tickets),
            })
        waiting = len(ops.queued(s))
    return render_template("console/team.html", members=members, waiting=waiting)
