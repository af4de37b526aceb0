"""Advisors record a resident's choice on their behalf: /advisor/choices (any signed-in advisor).

The form (CSRF-protected like every POST in the app) takes a conversation id, a scope and an
action, and appends an event to the opt-out register through the router with method "advisor".
The console can link here (`?conversation=<id>&next=/advisor/...`) or post the same fields.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from core.forms import strip
from core.vocabulary import ACTION_LABELS, OPTOUT_ACTIONS, OPTOUT_SCOPES, SCOPE_LABELS
from storage.models import AuditLog, ConversationNotFound

bp = Blueprint("choices", __name__, url_prefix="/advisor/choices", template_folder="templates")

MAX_NOTE = 500
ACTION_MISSING = "Select whether they are opting out or withdrawing an opt-out"


class ChoiceForm(FlaskForm):
    conversation_id = StringField("Conversation ID", filters=[strip],
                                  validators=[DataRequired("Enter the conversation ID")])
    scope = StringField("What is the choice about?", validators=[
        InputRequired("Select what the choice is about"),
        AnyOf(list(OPTOUT_SCOPES), "Select what the choice is about")])
    action = StringField("What do they want?", validators=[
        InputRequired(ACTION_MISSING), AnyOf(list(OPTOUT_ACTIONS), ACTION_MISSING)])
    note = TextAreaField("What the resident said (optional)", filters=[strip], validators=[
        Length(max=MAX_NOTE, message=f"The note must be {MAX_NOTE} characters or fewer")])
    next = HiddenField(filters=[strip])


def _safe_next(target: str | None) -> str | None:
    """Only same-site /advisor paths are followed afterwards (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/advisor") or "\\" in target:
        return None
    return target


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _render(form: dict[str, str], errors: dict[str, str], status: int = 200,
            done: str | None = None) -> Any:
    return render_template(
        "privacy/choice_form.html", form=form, errors=errors, done=done,
        scopes=SCOPE_LABELS, actions=ACTION_LABELS,
    ), status


@bp.get("/")
@login_required
def form():
    values = {"conversation_id": request.args.get("conversation", ""),
              "scope": "", "action": "", "note": "",
              "next": _safe_next(request.args.get("next")) or ""}
    return _render(values, {})


@bp.post("/")
@login_required
def record():
    form = ChoiceForm()
    form.validate()
    values = {k: getattr(form, k).data or ""
              for k in ("conversation_id", "scope", "action", "note", "next")}
    errors = {name: messages[0] for name, messages in form.errors.items() if messages}
    router = current_app.extensions["router"]
    if not errors:
        try:
            router.record_choice(values["conversation_id"], values["scope"], values["action"],
                                 method="advisor", utterance=values["note"] or None)
        except ConversationNotFound:
            errors["conversation_id"] = "There is no conversation with that ID"
    if errors:
        if _wants_json():
            return jsonify(errors=errors), 400
        return _render(values, errors, 400)

    db = current_app.extensions["db"]
    with db.session() as s:
        s.add(AuditLog(advisor_id=current_user.id, action="record_choice",
                       target=f"conversation:{values['conversation_id']}",
                       detail={"scope": values["scope"], "action": values["action"]}))
    choices = router.choices(values["conversation_id"])
    if _wants_json():
        return jsonify(recorded={"scope": values["scope"], "action": values["action"]},
                       choices=sorted(choices))
    target = _safe_next(values["next"])
    if target:
        return redirect(target, code=303)
    now = [SCOPE_LABELS[sc].lower() for sc in OPTOUT_SCOPES if sc in choices]
    done = ("Choice recorded. The resident has now opted out of: " + "; ".join(now) + "."
            if now else "Choice recorded. The resident has no opt-outs now.")
    return _render({"conversation_id": values["conversation_id"], "scope": "", "action": "",
                    "note": "", "next": ""}, {}, done=done)


@bp.app_template_global()
def choices_form_url(conversation_id: str, next_url: str | None = None) -> str:
    """For the console: the link to this form for one conversation."""
    return url_for("choices.form", conversation=conversation_id, next=next_url)
