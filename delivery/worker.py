"""The delivery worker: drains the outbox and polls the back office for status changes.

One loop, any number of copies: each claims due messages with a lease (services/outbox.py),
delivers them and records the outcome. A message whose earlier attempt may have reached the
provider (the worker died mid-send, or the provider timed out) is first looked up there by its
idempotency key or our HC- reference, so it is never sent twice. Failures back off
exponentially; after OUTBOX_MAX_ATTEMPTS the message is "failed" and shown to supervisors.

Opt-outs are checked here, just before sending, so a STOP that arrives after the message was
queued still wins. Nothing personal is logged: message ids, kinds and error classes only.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from core.delivery_settings import DeliverySettings
from core.identity import normalise_address
from core.settings import ConfigError
from delivery import messages
from delivery.errors import DeliveryError
from delivery.notify import NotifyClient
from delivery.open311 import Open311Client
from delivery.sms import TwilioSender
from privacy.register import current_choices, pseudonym
from services import outbox
from services.cases import record_status
from storage.db import Database
from storage.models import Case, Conversation

log = logging.getLogger("delivery.worker")
STATUS_BATCH = 50
CHECK_RETRY_SECONDS = 30.0
# How far back to look for a post that may have arrived before a crash.
FIND_POSTED_SLACK = timedelta(minutes=10)


@dataclass
class CaseView:
    """What delivery needs from a case and its conversation, read in one short session."""

    id: int
    reference: str
    kind: str
    location: str
    postcode: str | None
    details: str | None
    contact_preference: str | None
    email: str | None
    phone: str | None
    subjects: list[str]
    service_request_id: str | None
    backoffice_token: str | None
    created_at: Any


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    def __init__(self, db: Database, settings: DeliverySettings, *, optout_key: str,
                 open311: Open311Client | None = None, notify: NotifyClient | None = None,
                 twilio: TwilioSender | None = None, worker_id: str | None = None) -> None:
        if not optout_key:
            raise ConfigError("the worker needs OPTOUT_HMAC_KEY to check residents' opt-outs")
        self.db = db
        self.settings = settings
        self.optout_key = optout_key
        self.open311 = open311
        self.notify = notify
        self.twilio = twilio
        self.worker_id = worker_id or new_worker_id()
        self.codes_checked = False
        self._next_poll = 0.0
        self._next_check = 0.0

    # --- start-up ----------------------------------------------------------------------------

    def check_backoffice(self) -> bool:
        """Check the service-code mapping against services.json. ConfigError for an unknown
        code (fix the configuration); False if the back office cannot be reached yet."""
        if self.open311 is None:
            return True
        try:
            self.open311.check_codes(self.settings.open311_service_codes)
        except DeliveryError as exc:
            log.warning("cannot check the service codes yet: %s", exc)
            return False
        self.codes_checked = True
        return True

    # --- the loop ----------------------------------------------------------------------------

    def run(self, stop: threading.Event, *, burst: bool = False) -> None:
        """Deliver until `stop` is set (SIGTERM sets it; the message in hand is finished).
        burst: return once nothing is due (tests, `worker run --burst`)."""
        log.info("worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                if (self.open311 is not None and not self.codes_checked
                        and time.monotonic() >= self._next_check):
                    # Back office down at start-up: posts wait, everything else goes on.
                    self._next_check = time.monotonic() + CHECK_RETRY_SECONDS
                    self.check_backoffice()
                handled = self.run_once(stop=stop)
                if time.monotonic() >= self._next_poll:
                    self.poll()
                    self._next_poll = time.monotonic() + self.settings.open311_poll_seconds
            except SQLAlchemyError as exc:
                log.warning("database problem, trying again shortly: %s", type(exc).__name__)
                handled = 0
            if handled == 0:
                if burst:
                    return
                stop.wait(self.settings.worker_idle_seconds)
        log.info("worker %s stopped", self.worker_id)

    def run_once(self, *, limit: int = 20, stop: threading.Event | None = None) -> int:
        kinds = outbox.KINDS
        if self.open311 is not None and not self.codes_checked:
            kinds = tuple(k for k in outbox.KINDS if k != "open311_post")
        claimed = outbox.claim(self.db, self.worker_id, limit=limit,
                               lease_seconds=self.settings.outbox_lease_seconds, kinds=kinds)
        for message in claimed:
            if stop is not None and stop.is_set():
                break  # the rest go back when their lease runs out
            if not outbox.renew(self.db, message.id, self.worker_id,
                                self.settings.outbox_lease_seconds):
                log.warning("outbox %s: lease lost before sending; another worker has it",
                            message.id)
                continue
            self.deliver(message)
        return len(claimed)

    def deliver(self, message: outbox.Claimed) -> None:
        case = self._case(message.case_id)
        try:
            if case is None:
                self._done(message, "manual", note="the case no longer exists")
            elif message.kind == "open311_post":
                self._post(message, case)
            else:
                self._update(message, case)
        except DeliveryError as exc:
            self._retry(message, exc)
        except SQLAlchemyError:
            raise  # the loop waits and tries again; the lease brings the message back
        except Exception as exc:  # noqa: BLE001 - one bad message must not stop the worker
            # The outcome is unknown, so the next try asks the provider first. No traceback:
            # an exception's text can carry an address.
            log.error("outbox %s (%s): unexpected %s", message.id, message.kind,
                      type(exc).__name__)
            self._retry(message, DeliveryError(f"unexpected {type(exc).__name__}",
                                               maybe_sent=True))

    def _retry(self, message: outbox.Claimed, exc: DeliveryError) -> None:
        state = outbox.mark_retry(
            self.db, message.id, self.worker_id, attempts=message.attempts, error=str(exc),
            max_attempts=self.settings.outbox_max_attempts,
            base=self.settings.outbox_backoff_seconds,
            ceiling=self.settings.outbox_backoff_max_seconds,
            maybe_sent=exc.maybe_sent or (message.maybe_sent and not exc.permanent),
            permanent=exc.permanent,
        )
        log.warning("outbox %s (%s) attempt %s failed (%s): %s", message.id, message.kind,
                    message.attempts, state, exc)

    def _done(self, message: outbox.Claimed, state: str, *, result: dict | None = None,
              note: str | None = None) -> None:
        if outbox.mark_done(self.db, message.id, self.worker_id, state=state, result=result,
                            note=note):
            log.info("outbox %s (%s) %s", message.id, message.kind, state)
        else:
            log.warning("outbox %s: lease lost before recording %s", message.id, state)

    def _case(self, case_id: int | None) -> CaseView | None:
        if case_id is None:
            return None
        with self.db.session() as s:
            row = s.get(Case, case_id)
            if row is None:
                return None
            conversation = s.get(Conversation, row.conversation_id) if row.conversation_id else None
            phone = row.contact_phone
            if not phone and conversation is not None and conversation.channel in ("phone", "sms"):
                phone = conversation.address
            subjects = [conversation.subject] if conversation and conversation.subject else []
            for address in (phone, row.contact_email):
                if address:
                    subjects.append(pseudonym(self.optout_key, "address", address))
            return CaseView(row.id, row.reference, row.kind, row.location, row.postcode,
                            row.details, row.contact_preference, row.contact_email, phone,
                            subjects, row.service_request_id, row.backoffice_token,
                            row.created_at)

    # --- the back office ---------------------------------------------------------------------

    def _post(self, message: outbox.Claimed, case: CaseView) -> None:
        if case.service_request_id or case.backoffice_token:
            self._done(message, "sent", result={"service_request_id": case.service_request_id,
                                                "token": case.backoffice_token})
            return
        if self.open311 is None:
            self._done(message, "recorded", note="no back office is set up (OPEN311_BASE_URL)")
            return
        code = self.settings.service_code(case.kind)
        if not code:
            self._done(message, "manual", note=f"no service code for {case.kind} reports")
            return
        if message.maybe_sent:
            found = self.open311.find_posted(code, case.created_at - FIND_POSTED_SLACK,
                                             case.reference)
            if found:
                self._save_backoffice_id(case.id, found, None)
                self._done(message, "sent", result={"service_request_id": found, "found": True})
                return
        address = case.location if not case.postcode or case.postcode in case.location \
            else f"{case.location}, {case.postcode}"
        description = f"{case.details or messages.KIND_WORDS.get(case.kind, 'problem')}" \
            f" (Reference {case.reference})"
        posted = self.open311.post_request({
            "service_code": code, "description": description[:4000],
            "address_string": address[:500],
        })
        self._save_backoffice_id(case.id, posted.service_request_id, posted.token)
        self._done(message, "sent", result={"service_request_id": posted.service_request_id,
                                            "token": posted.token})

    def _save_backoffice_id(self, case_id: int, request_id: str | None,
                            token: str | None) -> None:
        with self.db.session() as s:
            row = s.get(Case, case_id)
            if row is not None:
                row.service_request_id = request_id or row.service_request_id
                row.backoffice_token = token or row.backoffice_token

    def poll(self) -> int:
        """Resolve tokens and read statuses back; each change is recorded (and the resident's
        update queued) in one transaction. Returns how many cases changed."""
        if self.open311 is None:
            return 0
        try:
            self._resolve_tokens()
            return self._read_statuses()
        except DeliveryError as exc:
            log.warning("status poll failed, trying again next time: %s", exc)
            return 0

    def _resolve_tokens(self) -> None:
        with self.db.session() as s:
            pending = s.execute(select(Case.id, Case.backoffice_token).where(
                Case.backoffice_token.is_not(None), Case.service_request_id.is_(None))).all()
        for case_id, token in pending:
            request_id = self.open311.resolve_token(token)
            if request_id:
                self._save_backoffice_id(case_id, request_id, None)

    def _read_statuses(self) -> int:
        with self.db.session() as s:
            ids = list(s.scalars(select(Case.service_request_id).where(
                Case.service_request_id.is_not(None), Case.status != "Closed")))
        changed = 0
        for start in range(0, len(ids), STATUS_BATCH):
            for status in self.open311.statuses(ids[start:start + STATUS_BATCH]):
                changed += self._apply_status(status)
        return changed

    def _apply_status(self, status) -> int:
        with self.db.session() as s:
            row = s.scalars(select(Case).where(
                Case.service_request_id == status.service_request_id).with_for_update()).first()
            if row is None:
                return 0
            if (status.updated and row.status_updated_at
                    and status.updated < row.status_updated_at.replace(microsecond=0)):
                return 0  # older than a change made here since (e.g. in the console)
            if row.status == status.status and (row.status_note or None) == status.notes:
                return 0
            change = record_status(s, row, status.status, status.notes, source="open311",
                                   at=status.updated)
            return int(change is not None)

    # --- residents' updates ------------------------------------------------------------------

    def _update(self, message: outbox.Claimed, case: CaseView) -> None:
        payload = message.payload
        purpose = payload.get("purpose", "status")
        if message.kind == "phone_call":
            self._done(message, "manual", result={"text": self._text(case, payload)},
                       note="the resident asked for a phone call: a person needs to ring them")
            return
        if purpose == "status" and case.contact_preference == "no updates":
            self._done(message, "suppressed", note="the resident chose no updates")
            return
        choices = self._choices(case)
        if message.kind == "sms" and "sms" in choices:
            self._done(message, "suppressed", note="the resident asked for no texts (STOP)")
            return
        text = self._text(case, payload)
        if message.kind == "email":
            self._email(message, case, text)
        else:
            self._sms(message, case, text)

    def _choices(self, case: CaseView) -> set[str]:
        with self.db.session() as s:
            return current_choices(s, case.subjects)

    def _text(self, case: CaseView, payload: dict) -> str:
        if payload.get("purpose") == "reference":
            return messages.reference_text(case.kind, case.reference, self.settings.council_phone)
        return messages.update_text(case.kind, case.reference, payload.get("status", ""),
                                    payload.get("note"), self.settings.council_phone)

    def _personalisation(self, case: CaseView, text: str) -> dict[str, str]:
        return {"subject": messages.subject(case.kind, case.reference), "message": text,
                "reference": case.reference}

    def _email(self, message: outbox.Claimed, case: CaseView, text: str) -> None:
        if not case.email:
            self._done(message, "manual", result={"text": text},
                       note="no email address on the case: contact the resident another way")
            return
        if self.notify is None or not self.settings.email_enabled:
            self._done(message, "recorded", result={"text": text, "via": "email"},
                       note="would have been sent: GOV.UK Notify is not set up")
            return
        if message.maybe_sent and (found := self.notify.already_sent(message.idempotency_key)):
            self._done(message, "sent", result={"id": found, "via": "notify", "text": text})
            return
        sent_id = self.notify.send_email(normalise_address(case.email),
                                         self.settings.notify_email_template_id,
                                         self._personalisation(case, text),
                                         message.idempotency_key)
        self._done(message, "sent", result={"id": sent_id, "via": "notify", "text": text})

    def _sms(self, message: outbox.Claimed, case: CaseView, text: str) -> None:
        if not case.phone:
            self._done(message, "manual", result={"text": text},
                       note="no phone number on the case: contact the resident another way")
            return
        number = normalise_address(case.phone)
        route = self.settings.sms_updates_via
        if route == "notify" and self.notify is not None:
            if message.maybe_sent and (found := self.notify.already_sent(message.idempotency_key)):
                self._done(message, "sent", result={"id": found, "via": "notify", "text": text})
                return
            sent_id = self.notify.send_sms(number, self.settings.notify_sms_template_id,
                                           self._personalisation(case, text),
                                           message.idempotency_key)
            self._done(message, "sent", result={"id": sent_id, "via": "notify", "text": text})
        elif route == "twilio" and self.twilio is not None:
            since = (message.created_at or case.created_at) - FIND_POSTED_SLACK
            if message.maybe_sent and (found := self.twilio.already_sent(number, text, since)):
                self._done(message, "sent", result={"id": found, "via": "twilio", "text": text})
                return
            sent_id = self.twilio.send(number, text)
            self._done(message, "sent", result={"id": sent_id, "via": "twilio", "text": text})
        else:
            self._done(message, "recorded", result={"text": text, "via": "text message"},
                       note="would have been sent: no text message service is set up")
