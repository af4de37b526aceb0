"""Cases for supervisors: every report with its status and delivery state, changing a case's
status (which queues the resident's update), and deliveries that failed or "would have been
sent" (no Notify key), with a retry.

/advisor/cases, /advisor/cases/<reference>, /advisor/cases/deliveries. Supervisors and admins
only. Every status change and retry is written to the audit log.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from handoff.console.auth import role_required
from services import outbox
from services.cases import (
    KINDS,
    STATUSES,
    CaseError,
    delivery_settings,
    find_reference,
    set_status,
)
from storage.models import AuditLog, Case, OutboxMessage

bp = Blueprint("cases", __name__, url_prefix="/cases")

KIND_LABELS = {"open311_post": "Back office", "email": "Email", "sms": "Text message",
               "phone_call": "Phone call"}
SOURCE_LABELS = {"bot": "Assistant", "open311": "Back office", "import": "Imported file",
                 "console": "Console"}
PAGE_SIZE = 100


def _db():
    return current_app.extensions["db"]


def _local(at, fmt: str = "%d %b %Y %H:%M") -> str:
    if at is None:
        return ""
    tz = ZoneInfo(current_app.config.get("TIMEZONE") or "Europe/London")
    return at.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).strftime(fmt)


def _message_row(m: OutboxMessage) -> dict[str, Any]:
    result = m.result or {}
    return {
        "id": m.id, "kind": KIND_LABELS.get(m.kind, m.kind), "state": m.state,
        "state_label": outbox.STATE_LABELS.get(m.state, m.state), "attempts": m.attempts,
        "error": m.last_error or "", "text": result.get("text") or "",
        "queued": _local(m.created_at), "done": _local(m.sent_at),
        "purpose": (m.payload or {}).get("status") or (m.payload or {}).get("purpose", ""),
    }


def _delivery_state(posts: dict[int, OutboxMessage], case: Case, backoffice: bool) -> str:
    post = posts.get(case.id)
    if case.service_request_id:
        return f"In the back office ({case.service_request_id})"
    if post is not None:
        return outbox.STATE_LABELS.get(post.state, post.state)
    if case.sample:
        return "Sample case"
    return "Kept here: no back office set up" if not backoffice else "Kept here"


@bp.get("/")
@role_required("supervisor")
def index():
    wanted = find_reference(request.args.get("q", ""))
    with _db().session() as s:
        query = select(Case).order_by(Case.created_at.desc(), Case.id.desc()).limit(PAGE_SIZE)
        if request.args.get("q"):
            query = query.where(Case.reference == (wanted or ""))
        cases = list(s.scalars(query))
        posts = {m.case_id: m for m in s.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "open311_post",
            OutboxMessage.case_id.in_([c.id for c in cases])))}
        problems = s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.state == "failed")) or 0
    backoffice = delivery_settings().open311_enabled
    rows = [{
        "reference": c.reference, "kind": KINDS.get(c.kind, c.kind), "status": c.status,
        "updated": _local(c.status_updated_at or c.updated_at),
        "delivery": _delivery_state(posts, c, backoffice),
        "updates": c.contact_preference or "Not asked",
    } for c in cases]
    return render_template("console/cases_list.html", rows=rows, failed=problems,
                           query=request.args.get("q", ""))


def _load(reference: str) -> Case:
    ref = find_reference(reference)
    with _db().session() as s:
        case = s.scalars(select(Case).where(Case.reference == (ref or ""))).first()
        if case is None:
            abort(404)
        _ = case.history  # loaded while the session is open
        return case


def _render_case(case: Case, errors: dict[str, str] | None = None, status: str = "",
                 note: str = "", code: int = 200):
    messages = [_message_row(m) for m in outbox.messages(_db(), case_id=case.id)]
    history = [{"status": h.status, "note": h.note or "", "when": _local(h.changed_at),
                "source": SOURCE_LABELS.get(h.source, h.source)} for h in reversed(case.history)]
    return render_template(
        "console/cases_case.html", case=case, kind=KINDS.get(case.kind, case.kind),
        history=history, messages=messages, statuses=STATUSES, errors=errors or {},
        chosen_status=status or case.status, note=note,
    ), code


@bp.get("/<reference>")
@role_required("supervisor")
def case_page(reference: str):
    return _render_case(_load(reference))


@bp.post("/<reference>/status")
@role_required("supervisor")
def change_status(reference: str):
    case = _load(reference)
    status = request.form.get("status", "")
    note = " ".join(request.form.get("note", "").split())
    errors: dict[str, str] = {}
    if status not in STATUSES:
        errors["status"] = "Select a status"
    if status == "Closed" and not note:
        errors["note"] = "Say why the case is closed. The resident will be told."
    if len(note) > 2000:
        errors["note"] = "The note must be 2000 characters or fewer"
    if errors:
        return _render_case(case, errors, status, note, 400)
    try:
        change = set_status(_db(), case.reference, status, note or None, source="console",
                            advisor_id=current_user.id)
    except CaseError:
        abort(404)
    with _db().session() as s:
        s.add(AuditLog(advisor_id=current_user.id, action="case_status", target=case.reference,
                       detail={"status": status}))
    if change is None:
        flash("Nothing changed: the case already has that status and note.")
    else:
        flash(f"{case.reference} is now {status}. The resident's update is on its way.")
    return redirect(url_for("console.cases.case_page", reference=case.reference))


@bp.get("/deliveries")
@role_required("supervisor")
def deliveries():
    failed = [_message_row(m) for m in outbox.messages(_db(), states=("failed",))]
    recorded = [_message_row(m) for m in outbox.messages(_db(), states=("recorded", "manual"),
                                                         limit=50)]
    references = _references([r["id"] for r in failed + recorded])
    for row in failed + recorded:
        row["reference"] = references.get(row["id"], "")
    return render_template("console/cases_deliveries.html", failed=failed,
                           recorded=recorded, counts=outbox.counts(_db()))


def _references(message_ids: list[int]) -> dict[int, str]:
    if not message_ids:
        return {}
    with _db().session() as s:
        rows = s.execute(select(OutboxMessage.id, Case.reference)
                         .join(Case, Case.id == OutboxMessage.case_id)
                         .where(OutboxMessage.id.in_(message_ids))).all()
    return dict(rows)


@bp.post("/deliveries/<int:message_id>/retry")
@role_required("supervisor")
def retry(message_id: int):
    if outbox.retry(_db(), message_id):
        with _db().session() as s:
            s.add(AuditLog(advisor_id=current_user.id, action="delivery_retry",
                           target=str(message_id)))
        flash("It will be tried again in a moment.")
    else:
        flash("That message is not waiting for a retry.", "error")
    return redirect(url_for("console.cases.deliveries"))
