"""The TF-IDF + logistic regression intent classifier: trains, ranks, and survives a save and
load (arrays and JSON, no pickle) with identical predictions."""

from __future__ import annotations

from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu_components import TfidfIntentClassifier
from services.word_vectors import load as load_word_vectors

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


WASTE_AND_BOOKS = {
    "report_fly_tipping": ["someone dumped rubbish in the lane", "rubbish left on the verge",
                           "bags of rubbish dumped by the gate", "report dumped rubbish",
                           "rubbish tipped in the layby"],
    "library_opening_hours": ["when is the library open", "library opening times",
                              "what time does the library shut", "is the library open today",
                              "library hours"],
}


def test_word_vectors_let_a_word_it_never_saw_count_by_its_meaning(tmp_path):
    """'garbage' shares no letters with 'rubbish' that TF-IDF could use; its vector does."""
    data = TrainingData([Message(data={"text": t, "intent": i})
                         for i, texts in WASTE_AND_BOOKS.items() for t in texts])
    storage, context = LocalModelStorage(tmp_path), ExecutionContext(graph_schema=None,
                                                                     model_id="1")
    config = {"word_vectors": "vectors/glove-6b-50d.npz", "vector_scale": 1.0}
    with_vectors = TfidfIntentClassifier.create(config, storage, Resource("with"), context)
    with_vectors.train(data)
    spellings_only = TfidfIntentClassifier.create({}, storage, Resource("without"), context)
    spellings_only.train(data)

    def tipping(component) -> float:
        ranking = _predict(component, "garbage everywhere").get("intent_ranking")
        return next(r["confidence"] for r in ranking if r["name"] == "report_fly_tipping")

    assert _predict(with_vectors, "garbage everywhere").get("intent")["name"] == \
        "report_fly_tipping"
    assert tipping(with_vectors) > tipping(spellings_only) + 0.1

    # The trained model carries its own copy of the table: loading it never reads the file.
    loaded = TfidfIntentClassifier.load({**config, "word_vectors": "/nonexistent.npz"},
                                        storage, Resource("with"), context)
    assert _predict(loaded, "garbage everywhere").get("intent_ranking") == \
        _predict(with_vectors, "garbage everywhere").get("intent_ranking")
    # ... and the process then holds one table, not the model's and the file's.
    assert loaded.word_vectors is load_word_vectors()
