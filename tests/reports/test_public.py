"""The public pages: about this assistant (ATRS), privacy notice, monthly performance."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from reports import public
from services import catalogue_search
from storage.models import Conversation, HandoffTicket, Message


def feb(day: int, minute: int = 0) -> datetime:
    return datetime(2026, 2, day, 10, minute)


def seed_february(db) -> None:
    """30 web chats (12 bin days answered, 12 left the queue, 6 answered with no 'yes') and 5
    phone calls hung up during the greeting. Hand-worked figures in the tests below."""
    with db.session() as s:
        for n in range(30):
            cid = f"w{n}"
            s.add(Conversation(id=cid, channel="web", subject=f"web-{n}", state="closed",
                               created_at=feb(1 + n % 20, n)))
            s.flush()
            if n < 12:
                s.add(Message(conversation_id=cid, sender="resident", text="bin day",
                              intent="bin_collection_day", sent_at=feb(1 + n % 20, n)))
                s.add(Message(conversation_id=cid, sender="bot", text="Tuesday.",
                              sent_at=feb(1 + n % 20, n)))
            elif n < 24:
                s.add(Message(conversation_id=cid, sender="resident", text="person",
                              intent="request_human", sent_at=feb(1 + n % 20, n)))
                s.add(HandoffTicket(conversation_id=cid, reason="requested", status="closed",
                                    summary={}, queued_at=feb(1 + n % 20, n)))
            else:
                s.add(Message(conversation_id=cid, sender="resident", text="parking",
                              intent="parking_permit", sent_at=feb(1 + n % 20, n)))
                s.add(Message(conversation_id=cid, sender="bot", text="Apply online.",
                              sent_at=feb(1 + n % 20, n)))
        for n in range(5):
            cid = f"p{n}"
            s.add(Conversation(id=cid, channel="phone", subject=f"caller-{n}", state="closed",
                               created_at=feb(3, n)))
            s.flush()
            s.add(Message(conversation_id=cid, sender="bot", text="Hello. How can I help?",
                          sent_at=feb(3, n)))
            s.add(Message(conversation_id=cid, sender="system", text="Call ended.",
                          sent_at=feb(3, n)))


@pytest.fixture(autouse=True)
def no_cached_months():
    """Each test has its own database; the published months are cached per database and day."""
    public._cache.clear()
    yield
    public._cache.clear()


@pytest.fixture
def february(db):
    seed_february(db)
    return db


def test_monthly_figures_are_suppressed_under_10(february):
    with february.session() as s:
        rows = public.monthly(s, today=date(2026, 3, 15))
    by = {(r.month, r.channel): r.figures for r in rows}
    assert sorted({r.month for r in rows}) == [date(2026, 2, 1)]
    everyone = by[date(2026, 2, 1), "all"]
    assert everyone["conversations"].plain() == 35
    assert everyone["resolved_rate"].plain() == round(12 / 35, 3)
    assert everyone["abandoned_rate"].plain() == round(17 / 35, 3)
    assert everyone["handed_over_rate"].plain() == 0.0
    assert everyone["repeat_rate"].plain() == 0.0
    assert everyone["helpful_rate"].plain() is None  # nobody was asked
    phone = by[date(2026, 2, 1), "phone"]
    assert phone["conversations"].plain() == "suppressed"  # 5 calls
    assert phone["abandoned_rate"].plain() == "suppressed"  # 5 of 5
    web = by[date(2026, 2, 1), "web"]
    # 35 - 30 would give the phone's 5 away: the web's count is hidden too.
    assert web["conversations"].plain() == "suppressed"
    assert web["resolved_rate"].plain() == 0.4  # 12 of 30
    assert by[date(2026, 2, 1), "sms"]["conversations"].plain() == 0


def test_the_current_month_is_not_published_until_it_is_over(february):
    with february.session() as s:
        assert public.monthly(s, today=date(2026, 2, 27)) == []


def test_performance_page_csv_and_json(client, february):
    html = client.get("/performance").get_data(as_text=True)
    assert "How well the assistant is working</h1>" in html
    assert "<caption class=\"govuk-table__caption govuk-table__caption--m\">February 2026" in html
    assert "fewer than 10" in html and "34.3%" in html and 'role="img"' in html
    rows = list(csv.reader(io.StringIO(client.get("/performance.csv").get_data(as_text=True))))
    assert rows[0][:4] == ["month", "channel", "conversations", "resolved_rate"]
    phone = next(r for r in rows if r[:2] == ["2026-02", "phone"])
    assert phone[2] == "suppressed"
    data = client.get("/performance.json").get_json()
    february_all = next(r for r in data["rows"] if r["month"] == "2026-02"
                        and r["channel"] == "all")
    assert february_all["conversations"] == 35 and february_all["resolved_rate"] == 0.343
    assert data["measures"]["resolved_rate"]["unit"] == "percent"


def test_performance_with_no_data(client):
    assert "no figures for a full month yet" in client.get("/performance").get_data(
        as_text=True)


def test_about_this_assistant(client, february, settings):
    html = client.get("/about-this-assistant").get_data(as_text=True)
    assert "<h1 class=\"govuk-heading-l\">About this assistant</h1>" in html
    assert "It does not use generative AI." in html
    assert f"deleted after {settings.retention_days} days" in html
    assert f"deleted after {settings.data_use_retention_days} days" in html
    assert "press 0 on the phone" in html
    assert "February 2026, all channels" in html and "34.3%" in html
    assert 'href="/about-this-assistant.json"' in html
    assert "{" not in html.split("<main")[1].split("</main>")[0]  # every placeholder filled


def test_about_this_assistant_json_has_the_atrs_fields(client, february, settings):
    record = client.get("/about-this-assistant.json").get_json()
    assert record["atrs_version"] == "3.0"
    assert record["tier_1"]["name"] == f"{settings.council_name} contact assistant"
    assert set(record["tier_2"]) >= {
        "owner_and_responsibility", "description_and_rationale", "decision_making_process",
        "tool_specification", "model_specification", "data_specification",
        "risks_mitigations_and_impact_assessments"}
    assert settings.data_notice_version in record["tier_2"]["data_specification"]["opting_out"]
    assert record["latest_performance"]["month"] == "2026-02"
    assert record["latest_performance"]["conversations"] == 35


def test_the_published_record_describes_the_models_config_yml_deploys(client):
    """The transparency record must not describe a model we no longer run (it once said DIET
    long after config.yml had replaced it)."""
    config = yaml.safe_load((Path(__file__).parents[2] / "config.yml").read_text())
    components = {c["name"]: c for c in config["pipeline"]}
    models = client.get("/about-this-assistant.json").get_json()["tier_2"]["model_specification"]
    intents = next(m for m in models if m["model_name"] == "Intent classifier")
    assert "bot.nlu_components.TfidfIntentClassifier" in components
    assert "Logistic regression" in intents["model_architecture"]
    assert ("DIET" in intents["model_architecture"]) == ("DIETClassifier" in components)
    uses_vectors = bool(components["bot.nlu_components.TfidfIntentClassifier"].get("word_vectors"))
    assert ("GloVe" in intents["model_architecture"]) == uses_vectors
    assert "bot.nlu_components.CatalogueArbiter" in components
    finder = next(m for m in models if m["model_name"] == "Service finder")
    described = " ".join(finder["model_architecture"].split())
    assert ("word meanings" in described) == bool(catalogue_search.VECTOR_SCALE)
    assert ("not the council's business" in described) == bool(
        catalogue_search.NOT_COUNCIL_WEIGHT)


def test_privacy_notice_shows_the_version_in_force(client, settings):
    html = client.get("/privacy").get_data(as_text=True)
    assert f"Version {settings.data_notice_version}" in html
    assert f"We delete conversations after {settings.retention_days} days." in html
    assert "press 9 on the phone" in html
    assert "Changes to this notice" in html


@pytest.mark.parametrize("path", ["/about-this-assistant", "/privacy", "/performance", "/",
                                  "/accessibility"])
def test_every_page_links_the_public_pages(client, path):
    html = client.get(path).get_data(as_text=True)
    for link in ('href="/about-this-assistant"', 'href="/privacy"', 'href="/performance"'):
        assert link in html, (path, link)


def test_the_chat_page_says_how_we_use_information(client):
    html = client.get("/").get_data(as_text=True)
    assert ">how we use your information</a>" in html


def test_fill_replaces_placeholders_everywhere():
    assert public.fill({"a": ["{x} days", {"b": "{x}"}], "n": 3}, {"x": "90"}) == {
        "a": ["90 days", {"b": "90"}], "n": 3}


def test_published_months_are_worked_out_once_per_ten_minutes(client, february, monkeypatch):
    calls = []
    real = public.monthly
    monkeypatch.setattr(public, "monthly", lambda s, **kw: calls.append(1) or real(s, **kw))
    public._cache.clear()
    for path in ("/performance", "/performance.json", "/about-this-assistant"):
        assert client.get(path).status_code == 200
    assert len(calls) == 1
    key = next(iter(public._cache))
    expires, rows = public._cache[key]
    public._cache[key] = (expires - timedelta(seconds=public.CACHE_SECONDS + 1), rows)
    client.get("/performance.csv")
    assert len(calls) == 2
