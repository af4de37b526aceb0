"""Managing advisors (admins only): add an advisor, deactivate or reactivate one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template
from flask_login import current_user
from sqlalchemy import select

from handoff import queue as ops
from handoff.console.auth import create_advisor, role_required
from handoff.console.common import as_advisor, db, form_errors, humanise, local_time, see_other
from handoff.console.forms import AdvisorForm
from storage.models import ROLES, Advisor

bp = Blueprint("admin", __name__)


@bp.route("/admin/advisors", methods=["GET", "POST"])
@role_required("admin")
def advisors():
    form = AdvisorForm()
    errors: dict[str, str] = {}
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                with db().session() as s:
                    advisor = create_advisor(s, name=form.name.data, email=form.email.data,
                                             role=form.role.data, password=form.password.data)
                    ops.audit(s, current_user.id, "advisor_create", f"advisor:{advisor.id}",
                              role=advisor.role)
            except ValueError as exc:  # e.g. the email address is already in use
                message = str(exc)
                field = ("password" if "Password" in message else
                         "email" if "email" in message.lower() else "name")
                errors[field] = message
        else:
            errors = form_errors(form)
        if not errors:
            flash(f"Advisor {form.name.data} created.", "success")
            return see_other("console.admin.advisors")
        status = 400
    with db().session() as s:
        listed = list(s.scalars(select(Advisor).order_by(Advisor.active.desc(), Advisor.name)))
        rows = [{"id": a.id, "name": a.name, "email": a.email, "role": humanise(a.role),
                 "active": a.active, "last_seen": local_time(a.last_seen_at, "%d %b, %H:%M")
                 or "Never", "is_me": a.id == current_user.id,
                 "two_factor": bool(a.totp_secret)} for a in listed]
    values = {"name": form.name.data or "", "email": form.email.data or "",
              "role": form.role.data or ""}
    return render_template("console/admin_advisors.html", advisors=rows, errors=errors,
                           form=values, roles=ROLES,
                           role_items=[(r, r.capitalize()) for r in ROLES]), status


@bp.post("/admin/advisors/<int:advisor_id>/deactivate")
@role_required("admin")
def deactivate(advisor_id: int):
    if advisor_id == current_user.id:
        flash("You cannot deactivate your own account.", "error")
        return see_other("console.admin.advisors")
    released = as_advisor(ops.deactivate_advisor, advisor_id)
    note = f" {released} conversation(s) went back to the queue." if released else ""
    flash(f"Advisor deactivated.{note}", "success")
    return see_other("console.admin.advisors")


@bp.post("/admin/advisors/<int:advisor_id>/reactivate")
@role_required("admin")
def reactivate(advisor_id: int):
    with db().session() as s:
        advisor = s.get(Advisor, advisor_id)
        if advisor is None:
            abort(404)
        advisor.active = True
        ops.audit(s, current_user.id, "advisor_reactivate", f"advisor:{advisor_id}")
    flash("Advisor reactivated.", "success")
    return see_other("console.admin.advisors")
