"""The TF-IDF + logistic regression intent classifier: trains, ranks, and survives a save and
load (arrays and JSON, no pickle) with identical predictions."""

from __future__ import annotations

from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu_components import TfidfIntentClassifier

EXAMPLES = {
    "greet": ["hello", "hi there", "good morning", "hiya", "hey"],
    "bin_collection_day": ["when is my bin day", "what day are the bins collected",
                           "when do i put my bin out", "bin collection day", "next bin day"],
    "report_pothole": ["there is a pothole on my road", "report a pothole", "big hole in the road",
                       "pothole outside my house", "the road has a pothole"],
}


def _training_data() -> TrainingData:
    return TrainingData([Message(data={"text": t, "intent": i})
                         for i, texts in EXAMPLES.items() for t in texts])


def _predict(component, text: str) -> Message:
    message = Message(data={"text": text})
    component.process([message])
    return message


def test_trains_ranks_and_loads_back_the_same(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("tfidf")
    context = ExecutionContext(graph_schema=None, model_id="1")
    component = TfidfIntentClassifier.create({}, storage, resource, context)
    component.train(_training_data())

    message = _predict(component, "when is the bin collected")
    assert message.get("intent")["name"] == "bin_collection_day"
    ranking = message.get("intent_ranking")
    assert [r["name"] for r in ranking][0] == "bin_collection_day" and len(ranking) == 3
    assert abs(sum(r["confidence"] for r in ranking) - 1) < 1e-6
    assert _predict(component, "hiya love").get("intent")["name"] == "greet"

    loaded = TfidfIntentClassifier.load({}, storage, resource, context)
    for text in ("when is the bin collected", "theres a pothole", "morning"):
        assert _predict(loaded, text).get("intent_ranking") == \
            _predict(component, text).get("intent_ranking")
    assert not list(tmp_path.rglob("*.pkl"))


def test_untrained_component_answers_nothing(tmp_path):
    component = TfidfIntentClassifier.load({}, LocalModelStorage(tmp_path), Resource("none"),
                                           ExecutionContext(graph_schema=None, model_id="1"))
    assert _predict(component, "hello").get("intent") == {"name": None, "confidence": 0.0}
