"""bench.nlu scores both held-out sets: each set's own macro-F1, and the target on both."""

from __future__ import annotations

from bench import nlu


def _examples(*intents: str) -> list[dict]:
    return [{"text": f"example {i}", "intent": intent, "entities": []}
            for i, intent in enumerate(intents)]


def test_each_set_is_scored_on_its_own_predictions():
    sets = {"first": _examples("bins", "tax"), "blind": _examples("bins", "tax", "tax")}
    predicted = ["bins", "tax", "tax", "tax", "tax"]  # the blind set's "bins" is missed
    scores = nlu.by_set(sets, predicted)
    assert scores["first"] == 1.0
    assert scores["blind"] == nlu.intent_scores(["bins", "tax", "tax"], ["tax", "tax", "tax"])[
        "macro_f1"] < 1.0


def test_the_table_shows_both_sets_and_judges_the_target_on_both():
    result = {**nlu.intent_scores(["bins", "tax"], ["bins", "bins"]), "classifier_macro_f1": 0.5,
              "fallback_rate": 0.0, "entities": None, "train_seconds": 3.0,
              "by_set": {"first": 0.333, "blind": 1.0}}
    report = {"heldout_examples": 5, "heldout_examples_by_set": {"first": 2, "blind": 3},
              "intents": 2, "train_examples": 40, "results": {"ours": result}}
    text = nlu.table(report)
    assert "first F1" in text and "blind F1" in text
    assert "0.333" in text and "1.000" in text
    assert "on both sets BELOW the target 0.95" in text
    assert set(nlu.HELDOUT_SETS) == {"first", "blind"}
    assert all(path.exists() for path in nlu.HELDOUT_SETS.values())
