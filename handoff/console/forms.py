"""The console's forms, declared once with WTForms (through Flask-WTF, so each carries the
session's CSRF token). Messages are the plain-English GOV.UK wording shown in error summaries."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    ValidationError,
)

from core.forms import strip
from core.identity import EMAIL_FORMAT_ERROR, MAX_EMAIL
from handoff import queue as ops
from handoff.console.auth import password_problem
from storage.models import ROLES

CODE_HELP = "Enter the 6-digit code from your authenticator app, or a recovery code"


class SignInForm(FlaskForm):
    # No format check here: a mistyped address gets the same "Email or password is wrong".
    email = StringField("Email address", filters=[strip],
                        validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password")])
    next = HiddenField()


class CodeForm(FlaskForm):
    """Step 2 of sign-in, and confirming enrolment: one authenticator (or recovery) code."""

    code = StringField("Code", filters=[strip], validators=[
        DataRequired(CODE_HELP), Length(max=40, message=CODE_HELP)])


class ReplyForm(FlaskForm):
    # Empty text is refused by handoff.queue.reply with its own message, as before.
    message = TextAreaField("Reply", filters=[strip])
    canned = StringField("Saved reply")


class CloseForm(FlaskForm):
    outcome = StringField("Outcome", validators=[
        InputRequired("Choose an outcome"), AnyOf(list(ops.OUTCOMES), "Choose an outcome")])


class ActionForm(FlaskForm):
    """A button that only posts (claim, hand back, callback done): the CSRF token is the form."""


def _password_rules(_form: FlaskForm, field: Any) -> None:
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class AdvisorForm(FlaskForm):
    name = StringField("Full name", filters=[strip], validators=[
        DataRequired("Enter a name"),
        Length(max=120, message="Name must be 120 characters or fewer")])
    email = StringField("Email address", filters=[strip], validators=[
        DataRequired("Enter an email address"),
        Length(max=MAX_EMAIL, message=EMAIL_FORMAT_ERROR),
        Email(EMAIL_FORMAT_ERROR)])
    role = StringField("Role", validators=[InputRequired("Choose a role"),
                                           AnyOf(list(ROLES), "Choose a role")])
    password = PasswordField("Password", validators=[_password_rules])
    password_confirm = PasswordField("Confirm password", validators=[
        EqualTo("password", "Passwords do not match")])
