"""CatalogueArbiter: the service catalogue overrules a transactional intent that a question was
not meant for, hands catalogue questions that an intent handles to that intent, and never lets a
safeguarding concern slip, including in the first seconds after the model loads."""

from __future__ import annotations

import threading
import time

import pytest

from bot.nlu_components import CatalogueArbiter
from services.red_flags import RedFlagError
from tests.bot.conftest import intent_ranking


def _arbiter(index) -> CatalogueArbiter:
    return CatalogueArbiter.with_index({}, index)


def test_a_skip_permit_is_not_a_parking_permit(sample_index):
    ranking = intent_ranking(("parking_permit", 0.55), ("ask_service", 0.3))
    assert _arbiter(sample_index).decide("I need a skip permit", ranking) == "ask_service"


def test_a_sure_intent_is_left_alone(sample_index):
    ranking = intent_ranking(("report_pothole", 0.95), ("ask_service", 0.03))
    assert _arbiter(sample_index).decide("there is a pothole on my road", ranking) is None


def test_a_concern_near_the_top_reaches_the_urgent_queue(sample_index):
    ranking = intent_ranking(("ask_service", 0.6), ("safeguarding_concern", 0.3))
    decided = _arbiter(sample_index).decide("I think my neighbour's child is being hurt", ranking)
    assert decided == "safeguarding_concern"


def test_a_person_is_never_overruled(sample_index):
    ranking = intent_ranking(("request_human", 0.5), ("ask_service", 0.4))
    assert _arbiter(sample_index).decide("can I talk to someone about bulky waste",
                                         ranking) is None


def _starting_arbiter(monkeypatch, index, release: threading.Event) -> CatalogueArbiter:
    """An arbiter created as Rasa loads a model, whose index build finishes on `release`."""
    from rasa.engine.graph import ExecutionContext, GraphSchema

    def slow_build(self):
        release.wait(10)
        self._index, self._loaded_at = index, float("inf")
        self._ready.set()
        return index

    monkeypatch.setattr(CatalogueArbiter, "index", slow_build)
    context = ExecutionContext(graph_schema=GraphSchema({}), is_finetuning=False)
    return CatalogueArbiter.create({}, None, None, context)


def test_a_message_during_the_start_up_build_waits_for_the_index(monkeypatch, sample_index):
    """The first resident after a restart gets the same decision as everyone after."""
    release = threading.Event()
    arbiter = _starting_arbiter(monkeypatch, sample_index, release)
    threading.Timer(0.3, release.set).start()
    ranking = intent_ranking(("parking_permit", 0.55), ("ask_service", 0.3))
    assert arbiter.decide("I need a skip permit", ranking) == "ask_service"


def test_a_failed_build_still_puts_concerns_first(monkeypatch):
    arbiter = CatalogueArbiter({})

    def broken() -> None:
        raise RuntimeError("catalogue unreadable")

    monkeypatch.setattr(arbiter, "index", broken)
    arbiter._build_first()
    ranking = intent_ranking(("ask_service", 0.6), ("safeguarding_concern", 0.3))
    assert arbiter.decide("my dad hits me", ranking) == "safeguarding_concern"
    assert arbiter.decide("I need a skip permit",
                          intent_ranking(("parking_permit", 0.55), ("ask_service", 0.3))) is None


def test_the_rasa_server_reports_loading_until_the_index_is_built(monkeypatch, sample_index):
    """Rasa's health route (bot/input_channels.py) says "loading" while this is True, so the
    app does not send residents to intents the catalogue has not checked yet."""
    from bot import nlu_components

    release = threading.Event()
    arbiter = _starting_arbiter(monkeypatch, sample_index, release)
    assert nlu_components.catalogue_index_building()
    release.set()
    assert arbiter._ready.wait(10)
    deadline = time.monotonic() + 5
    while nlu_components.catalogue_index_building() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not nlu_components.catalogue_index_building()
    ranking = intent_ranking(("parking_permit", 0.55), ("ask_service", 0.3))
    assert arbiter.decide("I need a skip permit", ranking) == "ask_service"


def test_a_concern_in_a_near_tie_is_never_not_understood():
    """FallbackClassifier (ambiguity 0.02) would turn a 0.46 / 0.45 tie into 'not understood'."""
    from bot.nlu_components import URGENT_LEAD, settle

    tied = intent_ranking(("safeguarding_concern", 0.46), ("ask_service", 0.45))
    settled = settle(tied, None)
    assert settled[0]["name"] == "safeguarding_concern"
    assert settled[0]["confidence"] - settled[1]["confidence"] >= URGENT_LEAD - 1e-9 > 0.02
    promoted = settle(intent_ranking(("ask_service", 0.5), ("safeguarding_concern", 0.45)),
                      "safeguarding_concern")
    assert promoted[0]["name"] == "safeguarding_concern"
    assert promoted[0]["confidence"] - promoted[1]["confidence"] >= URGENT_LEAD - 1e-9


def test_settling_leaves_other_rankings_alone():
    from bot.nlu_components import settle

    ranking = intent_ranking(("report_pothole", 0.46), ("ask_service", 0.45))
    assert settle(ranking, None) is ranking


def test_a_red_flag_reaches_the_urgent_queue_whatever_the_classifiers_say(sample_index):
    """Both classifiers can take a plain statement of harm for a service question; the
    council's red-flag list cannot."""
    ranking = intent_ranking(("ask_service", 0.9), ("safeguarding_concern", 0.01))
    arbiter = CatalogueArbiter.with_index({"red_flags": "catalogue/red_flags.yml"},
                                          sample_index)
    assert arbiter.judge("the man who comes to help my gran hits her kids", ranking) == \
        ("safeguarding_concern", None)
    assert arbiter.judge("I need to talk to someone, I want to kill myself",
                         intent_ranking(("request_human", 0.9))) == ("safeguarding_concern", None)
    assert arbiter.judge("where is the nearest tip", ranking)[0] != "safeguarding_concern"
    assert CatalogueArbiter.with_index({}, sample_index).judge(
        "the man who comes to help my gran hits her kids", ranking)[0] != "safeguarding_concern"


def test_a_redacted_email_given_to_a_form_is_an_answer_not_a_new_question(sample_index):
    """The router hands Rasa '[redacted: email]'; the catalogue once took it for the data
    protection service and the case-status form lost the resident's answer."""
    ranking = intent_ranking(("ask_service", 0.7), ("inform", 0.2))
    arbiter = _arbiter(sample_index)
    for text in ("[redacted: email]", "my email is [redacted: email]",
                 "its [redacted: phone]", "[redacted: phone] or [redacted: email]"):
        assert arbiter.judge(text, ranking) == ("inform", None), text
    assert arbiter.judge("why did you keep my [redacted: email] on file", ranking)[0] != "inform"


def test_a_broken_red_flag_list_stops_the_model_loading(tmp_path):
    """Loudly, rather than leaving the assistant without its safety net."""
    broken = tmp_path / "red_flags.yml"
    broken.write_text("phrases:\n  - hits [me]\n")
    with pytest.raises(RedFlagError, match="hits"):
        CatalogueArbiter({"red_flags": str(broken)})
