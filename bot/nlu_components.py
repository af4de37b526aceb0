"""A TF-IDF + logistic regression intent classifier as a Rasa graph component.

Chosen by measurement (bench/nlu.py, scored on tests/nlu_heldout.yml which is never trained on):
on our short, informal resident messages it classifies intents better than DIETClassifier and
trains in seconds instead of minutes on a 2-core machine. Word 1-2 grams and character 2-5 grams
(within word boundaries, so typos still share features), sublinear TF-IDF, and a lightly
regularised multinomial logistic regression. Before that, text is normalised: postcodes, case
and planning references become placeholder words (the intent is in the words around them, not
in which postcode it is), and common text-speak and dropped apostrophes are expanded.

The model is saved as plain arrays and JSON (no pickle), so loading a model never runs code.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from core.redaction import MARKER, has_marker
from services.catalogue_search import STOP_WORDS
from services.red_flags import load as load_red_flags
from services.word_vectors import WordVectors
from services.word_vectors import load as load_word_vectors
from services.word_vectors import share as share_word_vectors

log = logging.getLogger(__name__)
_ROOT = Path(__file__).resolve().parent.parent
_ARRAYS = "arrays.npz"
_META = "meta.json"

_CASE_REF = re.compile(r"\bhc\s*-?\s*[0-9]{6}\b", re.IGNORECASE)
_PLANNING_REF = re.compile(r"\bp\s*[0-9]{6}\s*/\s*[a-z]{1,2}\b", re.IGNORECASE)
_POSTCODE = re.compile(r"\b[a-z]{1,2}[0-9][a-z0-9]?\s*[0-9][a-z]{2}\b", re.IGNORECASE)
_EXPAND = {
    "im": "i am", "u": "you", "r": "are", "ur": "your", "dont": "do not", "cant": "can not",
    "thats": "that is", "whats": "what is", "wont": "will not", "ive": "i have", "id": "i would",
    "isnt": "is not", "doesnt": "does not", "didnt": "did not", "pls": "please", "plz": "please",
    "thx": "thanks",
}


def normalise(text: str) -> str:
    """'Im at HR1 2AB, whats HC-123456?' -> 'i am at postcode what is casereference'."""
    text = _CASE_REF.sub(" casereference ", text)
    text = _PLANNING_REF.sub(" planningreference ", text)
    text = _POSTCODE.sub(" postcode ", text)
    text = text.lower().replace("\u2019", "").replace("'", "")
    return " ".join(_EXPAND.get(w, w) for w in re.findall(r"[a-z0-9]+", text))


def _repo_path(path: str) -> Path:
    """A configured path, relative to the repository (where config.yml is) unless absolute."""
    return Path(path) if Path(path).is_absolute() else _ROOT / path


def _vectorizer(analyzer: str, ngrams: list[int]) -> TfidfVectorizer:
    return TfidfVectorizer(lowercase=True, analyzer=analyzer, ngram_range=tuple(ngrams),
                           sublinear_tf=True, dtype=np.float64)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 100.0,  # inverse regularisation strength
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "max_iter": 3000,
            "ranking_length": 10,
            "normalise": True,
            # "balanced" weighs each intent as if all had as many examples (ask_service has
            # ~20x the others'): measured in bench/catalogue_dev.py, recorded in config.yml.
            "class_weight": None,
            # A table of word vectors (services/word_vectors.py): each message's mean vector,
            # times vector_scale, joins the TF-IDF features. None: spellings only.
            "word_vectors": None,
            "vector_scale": 1.0,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn", "scipy"]

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 vectorizers: list[TfidfVectorizer] | None = None,
                 classifier: LogisticRegression | None = None,
                 word_vectors: WordVectors | None = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.vectorizers = vectorizers
        self.classifier = classifier
        self.word_vectors = word_vectors

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TfidfIntentClassifier:
        return cls(config, model_storage, resource)

    # --- training -------------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get("intent") and e.get("text")]
        if len({e.get("intent") for e in examples}) < 2:
            log.warning("TfidfIntentClassifier needs at least two intents; not trained.")
            return self._resource
        texts = [self._prepare(e.get("text")) for e in examples]
        self.vectorizers = [_vectorizer("word", self.config["word_ngrams"]),
                            _vectorizer("char_wb", self.config["char_ngrams"])]
        if self.config["word_vectors"]:
            self.word_vectors = load_word_vectors(_repo_path(self.config["word_vectors"]))
        features = self._features(texts, fit=True)
        self.classifier = LogisticRegression(C=float(self.config["C"]),
                                             max_iter=int(self.config["max_iter"]),
                                             class_weight=self.config["class_weight"])
        self.classifier.fit(features, [e.get("intent") for e in examples])
        self.persist()
        return self._resource

    # --- prediction ------------------------------------------------------------------------

    def _prepare(self, text: str) -> str:
        return normalise(text) if self.config["normalise"] else text

    def _features(self, texts: list[str], fit: bool = False) -> csr_matrix:
        """TF-IDF word and character n-grams, then (if configured) the mean word vector."""
        parts = [v.fit_transform(texts) if fit else v.transform(texts) for v in self.vectorizers]
        if self.word_vectors is not None:
            means = self.word_vectors.mean(texts, skip=STOP_WORDS)
            parts.append(csr_matrix(means * float(self.config["vector_scale"])))
        return hstack(parts).tocsr()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get("text")
            if not text or self.classifier is None or self.vectorizers is None:
                message.set("intent", {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
                continue
            features = self._features([self._prepare(text)])
            probabilities = self.classifier.predict_proba(features)[0]
            order = np.argsort(probabilities)[::-1][: int(self.config["ranking_length"])]
            ranking = [{"name": str(self.classifier.classes_[i]),
                        "confidence": float(probabilities[i])} for i in order]
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    # --- storage: arrays and JSON only ---------------------------------------------------

    def persist(self) -> None:
        if self.classifier is None or self.vectorizers is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            arrays = {"coef": self.classifier.coef_, "intercept": self.classifier.intercept_}
            meta: dict[str, Any] = {"classes": [str(c) for c in self.classifier.classes_],
                                    "vectorizers": []}
            for i, v in enumerate(self.vectorizers):
                arrays[f"idf_{i}"] = v.idf_
                meta["vectorizers"].append({
                    "analyzer": v.analyzer, "ngram_range": list(v.ngram_range),
                    "vocabulary": {term: int(index) for term, index in v.vocabulary_.items()},
                })
            if self.word_vectors is not None:  # the model carries its own copy of the table
                arrays["vector_words"] = self.word_vectors.words
                arrays["vector_table"] = self.word_vectors.vectors.astype(np.float16)
            np.savez(directory / _ARRAYS, **arrays)
            (directory / _META).write_text(json.dumps(meta))

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> TfidfIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((directory / _META).read_text())
                with np.load(directory / _ARRAYS, allow_pickle=False) as arrays:
                    vectorizers = []
                    for i, spec in enumerate(meta["vectorizers"]):
                        v = _vectorizer(spec["analyzer"], spec["ngram_range"])
                        v.vocabulary_ = spec["vocabulary"]
                        v.idf_ = arrays[f"idf_{i}"]
                        vectorizers.append(v)
                    classifier = LogisticRegression()
                    classifier.classes_ = np.array(meta["classes"])
                    classifier.coef_ = arrays["coef"]
                    classifier.intercept_ = arrays["intercept"]
                    vectors = (share_word_vectors(WordVectors(arrays["vector_words"],
                                                              arrays["vector_table"]))
                               if "vector_words" in arrays.files else None)
        except (ValueError, FileNotFoundError, KeyError):
            log.debug("TfidfIntentClassifier: no trained model in %s", resource.name)
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, vectorizers, classifier, vectors)


URGENT = "safeguarding_concern"
# Set on a message whose safeguarding concern is uncertain: {"service": "<catalogue id>"}.
CONCERN_CHECK = "concern_check"
_building_indexes: set[int] = set()  # arbiters whose start-up index build is still running


def catalogue_index_building() -> bool:
    """True while a loaded model's catalogue index is still being built: the Rasa server
    reports itself as loading until then (bot/input_channels.py), so nobody is answered by
    intents the catalogue has not checked."""
    return bool(_building_indexes)


# --- the service catalogue competes with the intents ----------------------------------------------


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class CatalogueArbiter(GraphComponent, IntentClassifier):
    """Runs after TfidfIntentClassifier, before FallbackClassifier. Retrieval over the service
    catalogue (services/catalogue_search.py) competes with the intents:

    - a transactional intent that the catalogue says is about a service it does NOT handle
      ("I need a skip permit" -> parking_permit, but the catalogue's skip-permit service is
      sure) becomes ask_service, so the catalogue answers instead of the wrong form;
    - ask_service that the catalogue says IS an intent's business ("I'm being evicted" ->
      the homelessness service, handled by housing_help) becomes that intent;
    - safeguarding keeps its recall: if safeguarding_concern is anywhere near the top of the
      ranking, it wins (a missed concern is worse than an extra hand-over to a person);
    - unless its share is small and the catalogue offers a plausible service instead ("is my
      child entitled to free school meals"): then it still wins, but the message carries
      CONCERN_CHECK with that service, and action_safeguarding gives 999 and the safeguarding
      lines and asks "Is someone at risk of harm?" before it passes anyone to the urgent queue;
    - and unless the catalogue sees no harm in it either: a concern share under
      `sure_concern_at` while the catalogue's own safeguarding services (children, adults,
      domestic abuse) share under `catalogue_agrees_at` is asked about the same way ("my mum
      needs help at home after a fall"), never dropped;
    - a red flag (catalogue/red_flags.yml: "hits me", "kill myself") sends the message straight
      to the urgent queue whatever either classifier says: the classifiers learn from examples
      and can take "my carer hits me" for the carers' service; the list cannot.

    Decisions swap the two intents' confidences, so the ranking stays a ranking and the
    fallback threshold still applies. The catalogue comes from the database (an import takes
    effect within `refresh_seconds`), else the shipped sample. Measured in bench/catalogue.py.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "override_at": 0.6,     # catalogue probability to overrule a transactional intent
            "keep_intent_at": 0.9,  # ... unless the intent is this sure
            "switch_at": 0.3,       # catalogue probability to hand ask_service to an intent
            "runner_up_at": 0.25,   # ... or the intent's own share, when the catalogue is unsure
            "safeguarding_at": 0.15,  # safeguarding_concern's share that makes it win ...
            "unless_service_at": 0.5,  # ... unless the catalogue is this sure of another service
            # Phrases that always reach the urgent queue (services/red_flags.py); None: none.
            "red_flags": None,
            # Below this share, with a service at least `offer_at` likely, ask first (0: never).
            "check_below": 0.0,
            "offer_at": 0.3,
            # Also ask first when the share is below `sure_concern_at` and the catalogue's
            # safeguarding services together have less than `catalogue_agrees_at` (0: never).
            "sure_concern_at": 0.0,
            "catalogue_agrees_at": 0.0,
            "refresh_seconds": 30,
            # A message that arrives while the index is still being built at start-up (5-10 s;
            # the health route says "loading" until then) waits this long for it, then goes
            # unchecked: a resident is answered within 2 s even while Rasa restarts.
            "wait_for_index_seconds": 1.0,
        }

    # Never overruled: a person, choices about the assistant, and the small talk.
    _PROTECTED = frozenset({
        "safeguarding_concern", "request_human", "opt_out_automation", "opt_out_data_use",
        "withdraw_opt_out", "ask_my_choices", "greet", "goodbye", "thank", "affirm", "deny",
        "bot_challenge", "repeat", "inform", "request_link", "check_case_status",
    })

    def __init__(self, config: dict[str, Any]) -> None:
        import threading

        self.config = {**self.get_default_config(), **config}
        # Read when the model loads: a broken list stops the load loudly rather than leaving
        # the assistant without its safety net.
        self._red_flags = (load_red_flags(_repo_path(self.config["red_flags"]))
                           if self.config["red_flags"] else None)
        self._index: Any = None
        self._loaded_at = 0.0
        self._ready = threading.Event()  # set once the first index is built

    @classmethod
    def with_index(cls, config: dict[str, Any], index: Any) -> CatalogueArbiter:
        """An arbiter deciding with an index already built, never refreshed (benches, tests)."""
        arbiter = cls(config)
        arbiter._index, arbiter._loaded_at = index, float("inf")
        arbiter._ready.set()
        return arbiter

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> CatalogueArbiter:
        arbiter = cls(config)
        if not execution_context.is_finetuning and execution_context.graph_schema is not None:
            import threading

            # Build the catalogue index while the model loads, not on the first message.
            _building_indexes.add(id(arbiter))
            threading.Thread(target=arbiter._build_first, name="catalogue-arbiter",
                             daemon=True).start()
        return arbiter

    def index(self) -> Any:
        import time

        from services import catalogue as catalogue_service
        from services.catalogue_search import index_for
        from services.db import get_database

        now = time.monotonic()
        if self._index is None or now - self._loaded_at > float(self.config["refresh_seconds"]):
            try:
                catalogue = catalogue_service.current(get_database())
            except Exception:  # noqa: BLE001 - no database here: the shipped sample still works
                log.debug("catalogue arbiter: database unavailable, using the sample")
                catalogue = catalogue_service.current(None)
            self._index, self._loaded_at = index_for(catalogue), now
            self._ready.set()
        return self._index

    def _build_first(self) -> None:
        try:
            self.index()
        except Exception:  # noqa: BLE001 - messages then try (and log) the build themselves
            log.exception("catalogue arbiter: index not built at start-up")
        finally:
            _building_indexes.discard(id(self))
            self._ready.set()  # wake any waiting message: it retries or goes unchecked

    def _ready_index(self) -> Any:
        """The index, waiting for the start-up build if it is still running."""
        building = id(self) in _building_indexes
        if building and not self._ready.wait(float(self.config["wait_for_index_seconds"])):
            log.warning("catalogue arbiter: index not ready; intents go unchecked")
            return None
        try:
            return self.index()
        except Exception:  # noqa: BLE001 - a broken catalogue must not stop the NLU
            log.exception("catalogue arbiter: index could not be built")
            return None

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get("text")
            ranking = list(message.get("intent_ranking") or [])
            if not text or not ranking:
                continue
            winner, check = self.judge(text, ranking)
            settled = settle(ranking, winner)
            if settled != ranking:
                message.set("intent", settled[0], add_to_output=True)
                message.set("intent_ranking", settled, add_to_output=True)
            if check:
                message.set(CONCERN_CHECK, {"service": check}, add_to_output=True)
        return messages

    def decide(self, text: str, ranking: list[dict[str, Any]]) -> str | None:
        return self.judge(text, ranking)[0]

    def judge(self, text: str, ranking: list[dict[str, Any]]) -> tuple[str | None, str | None]:
        """The intent that should win (None: leave the ranking alone), and for an uncertain
        safeguarding concern the catalogue service to offer beside it."""
        top, confidence = ranking[0]["name"], float(ranking[0]["confidence"])
        safeguarding = next((float(r["confidence"]) for r in ranking
                             if r["name"] == URGENT), 0.0)
        if top != URGENT and self._red_flags is not None and self._red_flags.find(text):
            return URGENT, None
        if only_redacted_details(text):
            return "inform", None  # an answer to a form's question, never a change of topic
        if top in ("request_human", "opt_out_automation", URGENT):
            return None, None
        worried = safeguarding >= float(self.config["safeguarding_at"])
        if top in self._PROTECTED and not worried:
            return None, None  # no look-up: small talk and choices stay as fast as before
        index = self._ready_index()
        if index is None:  # the index could not be built: never miss a concern
            return (URGENT if worried else None), None
        best = index.search(text, limit=1)
        if not best:
            return None, None
        service, probability = best[0].service, best[0].score
        if worried and (service.intent == URGENT
                        or probability < float(self.config["unless_service_at"])):
            unsure = service.intent != URGENT and (
                (safeguarding < float(self.config["check_below"])
                 and probability >= float(self.config["offer_at"]))
                or (safeguarding < float(self.config["sure_concern_at"])
                    and index.share(text, intent=URGENT)
                    < float(self.config["catalogue_agrees_at"])))
            return URGENT, (service.id if unsure else None)
        if top in self._PROTECTED:
            return None, None
        if top == "ask_service":
            if service.intent and probability >= float(self.config["switch_at"]):
                return service.intent, None
            runner_up = ranking[1] if len(ranking) > 1 else {"name": None, "confidence": 0.0}
            if (probability < float(self.config["switch_at"])
                    and runner_up["name"] not in self._PROTECTED | {"out_of_scope", None}
                    and float(runner_up["confidence"]) >= float(self.config["runner_up_at"])):
                return str(runner_up["name"]), None
            return None, None
        if top == "out_of_scope":
            return None, None
        # The catalogue is sure this is another service's business: that service's own intent,
        # or the catalogue's answer ("when is the garden bin emptied" is not a missed bin).
        claimed = service.intent or "ask_service"
        if (claimed != top and probability >= float(self.config["override_at"])
                and confidence < float(self.config["keep_intent_at"])):
            return claimed, None
        return None, None


# The router redacts emails, phone and card numbers before Rasa sees them (privacy/redaction.py)
# and keeps the email or number for the form that asked (services/contact_details.py).
_CONTACT_WORDS = frozenset({"email", "phone", "number", "mobile", "address", "call", "ring"})


def only_redacted_details(text: str) -> bool:
    """'[redacted: email]' or 'my number is [redacted: phone]': a detail someone was asked
    for. Nothing in the words says what it is about, so no classifier should guess."""
    if not has_marker(text):
        return False
    rest = MARKER.sub(" ", text.lower())
    return all(w in STOP_WORDS or w in _CONTACT_WORDS for w in re.findall(r"[a-z0-9]+", rest))


# A concern on top leads the next intent by at least this much, so FallbackClassifier's
# ambiguity rule (config.yml: 0.02) never turns it into "not understood" ("someone is dealing
# drugs from the lad's flat and he seems scared": safeguarding 0.46, ask_service 0.45).
URGENT_LEAD = 0.05


def settle(ranking: list[dict[str, Any]], winner: str | None) -> list[dict[str, Any]]:
    """The ranking after the arbiter's decision: `winner` on top, and a concern on top clear
    of a near tie. Unchanged (the same list) when there is nothing to do."""
    if winner and winner != ranking[0]["name"]:
        ranking = _promote(ranking, winner)
    if ranking[0]["name"] == URGENT and len(ranking) > 1:
        lead = float(ranking[0]["confidence"]) - float(ranking[1]["confidence"])
        if lead < URGENT_LEAD:
            ranking = [dict(r) for r in ranking]
            ranking[0]["confidence"] = float(ranking[1]["confidence"]) + URGENT_LEAD
    return ranking


def _promote(ranking: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """`name` takes the top place and confidence; the old top takes `name`'s."""
    ranking = [dict(r) for r in ranking]
    names = [r["name"] for r in ranking]
    if name not in names:
        ranking.append({"name": name, "confidence": 0.0})
        names.append(name)
    i = names.index(name)
    ranking[0]["confidence"], ranking[i]["confidence"] = (ranking[i]["confidence"],
                                                          ranking[0]["confidence"])
    ranking[0], ranking[i] = ranking[i], ranking[0]
    return ranking
