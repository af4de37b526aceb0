"""The service catalogue end to end, against the real stack (trained model, action server):
issue 12's examples get their own service with its link; "Did that answer your question?" is
recorded; safeguarding phrasings reach the urgent queue."""

from __future__ import annotations

import pytest
import requests
import yaml
from sqlalchemy import select

from storage.db import Database
from storage.models import AnswerFeedback, HandoffTicket
from tests.stack import ROOT

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def db(stack):
    database = Database(stack.database_url)
    yield database
    database.engine.dispose()


def chat(stack, session: requests.Session, text: str) -> dict:
    r = session.post(f"{stack.base_url}/api/chat", json={"text": text}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def said(body: dict) -> str:
    return " ".join(reply["text"] for reply in body["replies"])


@pytest.mark.parametrize(("question", "link"), [
    ("I want to pay a parking fine", "www.herefordshire.gov.uk/parking/pay-parking-fine"),
    ("Is my child entitled to free school meals",
     "www.herefordshire.gov.uk/schools/free-school-meals"),
    ("I want to foster a child", "www.herefordshire.gov.uk/fostering"),
    ("Can I have a bonfire", "www.herefordshire.gov.uk/environmental-health/bonfires"),
])
def test_a_council_service_question_gets_its_own_answer_and_link(stack, question, link):
    body = chat(stack, requests.Session(), question)
    assert body["state"] == "bot", (said(body), body.get("queue"))
    assert link in said(body)
    assert "01432 260000" in said(body)
    assert "Did that answer your question?" in said(body)


def test_saying_no_to_did_that_answer_is_recorded(stack, db):
    web = requests.Session()
    chat(stack, web, "Can I have a bonfire")
    body = chat(stack, web, "/deny")
    assert "Thank you for telling us" in said(body)
    with db.session() as s:
        rows = s.scalars(select(AnswerFeedback).where(AnswerFeedback.service_id == "bonfires"))
        assert any(not r.helpful for r in rows)


def test_safeguarding_phrasings_reach_the_urgent_queue(stack, db):
    phrasings = yaml.safe_load((ROOT / "tests" / "safeguarding_heldout.yml").read_text())
    for text in phrasings["phrasings"][:8]:
        body = chat(stack, requests.Session(), text)
        assert body["state"] == "waiting", text
        assert "999" in said(body), text
        with db.session() as s:
            ticket = s.scalars(select(HandoffTicket).order_by(HandoffTicket.id.desc())).first()
            assert (ticket.reason, ticket.priority) == ("safeguarding", 1), text
