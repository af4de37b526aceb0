"""Find the catalogue service a resident's question is about: TF-IDF retrieval over each
service's title, synonyms and example questions, then an honest decision.

    answer     one service is clearly closest: answer from it
    choose     two or three are close: "Did you mean: A / B?"
    unknown    nothing is close enough: say so, offer a person (the closest service's team)

Each field is its own small document (a title, a synonym, an example question) and a service
scores as its best document, so one good phrase is enough and long entries are not favoured.
Word (1-2 gram, content words only) and character (3-5 gram, typo-tolerant) similarities are
averaged. The thresholds were calibrated by leave-one-out on the catalogue's own example
questions (bench/catalogue.py --calibrate), never on the held-out questions.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from services.catalogue import Catalogue, Service
from services.nlu_examples import intent_examples
from services.word_vectors import load as load_word_vectors

log = logging.getLogger(__name__)

# ANSWER_AT and MARGIN: chosen with CatalogueArbiter's settings by cross-validation of the whole
# decision on training data (python -m bench.catalogue_dev --search; config.yml has the figures).
ANSWER_AT = 0.60     # the best service's probability needed to answer from it
MARGIN = 0.30        # ... and how far ahead of the next service it must be
SUGGEST_AT = 0.12    # below this nothing is offered ("I don't know")
CLOSE = 0.35         # services with at least this share of the best's probability are offered
MAX_CHOICES = 3
SIMILAR_AT = 0.15    # a question sharing less than this with every catalogue phrase is unknown
TEAM_AT = 0.10       # an unanswered question goes to the closest team only if this close
CLASSIFIER_C = 20.0
VECTOR_SCALE = 1.0   # weight of each phrase's mean word vector (services/word_vectors.py); 0: off
# Questions that are not the council's business (the NLU's out_of_scope examples) train one more
# class, "none of these": a service's probability is then its share of everything a message could
# be about, so "how do I boil an egg" no longer lends its whole weight to the nearest service.
# Chosen by cross-validation (config.yml has the figures). Each such question weighs this much.
NOT_COUNCIL = Path(__file__).resolve().parent.parent / "data" / "nlu" / "out_of_scope.yml"
NOT_COUNCIL_WEIGHT = 1.0

STOP_WORDS = frozenset("""
a an the i me my im we our us you your yours it its is are was were be been am do does did
doing have has had can could would should will shall may might must to of in on at for from
by with about as into like than then so if or and but not no nor how what when where which who
whom why this that these those there here please hi hello help want need know tell get got
just some any there theyre theres im ive id dont cant wont isnt also again very really
council councils herefordshire one
""".split())  # noqa: SIM905 - a word list reads better as text
_EXPAND = {"im": "i am", "u": "you", "ur": "your", "pls": "please", "plz": "please"}


def normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "").replace("'", "")
    words = [_EXPAND.get(w, w) for w in re.findall(r"[a-z0-9]+", text)]
    return " ".join(words)


def _stem(word: str) -> str:
    """A very light stemmer: plurals and -ing, so 'bins'/'bin' and 'parking'/'park' meet."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


def _content_words(text: str) -> list[str]:
    return [_stem(w) for w in normalise(text).split() if w not in STOP_WORDS]


def _content_text(text: str) -> str:
    return " ".join(_content_words(text))


@functools.cache
def not_council_questions(path: Path = NOT_COUNCIL) -> tuple[str, ...]:
    """The example questions of a Rasa NLU file's intents (annotations removed); none if the
    file is missing, so a deployment without it answers as before."""
    try:
        by_intent = intent_examples(path)
    except FileNotFoundError:
        log.warning("no not-council questions at %s: the service finder cannot abstain by them",
                    path)
        return ()
    return tuple(text for texts in by_intent.values() for text in texts)


def _word_grams(text: str) -> list[str]:
    """Content words and pairs of neighbouring content words."""
    words = _content_words(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


@dataclass
class Match:
    service: Service
    score: float


@dataclass
class Decision:
    kind: str  # answer | choose | unknown
    matches: list[Match] = field(default_factory=list)  # best first (choices, or the closest)

    @property
    def service(self) -> Service | None:
        return self.matches[0].service if self.kind == "answer" and self.matches else None

    @property
    def likely_team(self) -> str | None:
        if self.matches and self.matches[0].score >= TEAM_AT:
            return self.matches[0].service.team
        return None


class CatalogueIndex:
    """A classifier over the catalogue's services (TF-IDF + logistic regression, trained on each
    service's title, synonyms, example questions and answer sentences) with a similarity gate:
    a question that shares no content word or close spelling with anything in the catalogue is
    "unknown" however the classifier spreads its probability."""

    def __init__(self, catalogue: Catalogue, *, leave_out: set[tuple[str, str]] | None = None,
                 not_council: Sequence[str] | None = None) -> None:
        """`not_council`: questions that are no service's business (default: the NLU's
        out_of_scope examples, `not_council_questions()`)."""
        self.catalogue = catalogue
        docs: list[str] = []
        owners: list[int] = []
        for i, service in enumerate(catalogue.services):
            sentences = [s for s in re.split(r"(?<=[.!?])\s+", service.answer) if s]
            for text in (service.title, *service.synonyms, *service.examples, *sentences):
                if leave_out and (service.id, text) in leave_out:
                    continue
                docs.append(normalise(text))
                owners.append(i)
        phrases = len(docs)
        if NOT_COUNCIL_WEIGHT:
            unrelated = not_council_questions() if not_council is None else not_council
            docs += [normalise(t) for t in unrelated]
            owners += [len(catalogue.services)] * len(unrelated)
        weights = np.ones(len(docs))
        weights[phrases:] = NOT_COUNCIL_WEIGHT
        self._owners = np.array(owners)
        self._last: tuple[str, np.ndarray, Any] | None = None  # see _scores
        self._words = TfidfVectorizer(analyzer=_word_grams, sublinear_tf=True)
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                                      preprocessor=_content_text)
        word_matrix = self._words.fit_transform(docs)
        char_matrix = self._chars.fit_transform(docs)
        # The similarity gate compares a question with the catalogue's own phrases only.
        self._word_matrix = word_matrix[:phrases]
        self._vectors = load_word_vectors() if VECTOR_SCALE else None
        parts = [word_matrix, char_matrix]
        if self._vectors is not None:
            parts.append(csr_matrix(self._meanings(docs)))
        features = hstack(parts).tocsr()
        # saga with a few passes trains in ~1-3 s (lbfgs took ~50 s on a loaded 2-core machine,
        # too slow for a process start or an import); the ranking it gives is what matters
        # (100 or 300 passes: the same cross-validated figures). A fixed seed, so every replica
        # and every restart gives a resident the same answer to the same question.
        self._classifier = LogisticRegression(C=CLASSIFIER_C, solver="saga", max_iter=30,
                                              tol=1e-3, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self._classifier.fit(features, self._owners, sample_weight=weights)
        self._classes = self._classifier.classes_
        # Feature-major weights: a question has ~100 of ~15,000 features, so scoring only its
        # rows is ~50x faster than sklearn's dense predict_proba (p95 added per message).
        coef, intercept = self._classifier.coef_, self._classifier.intercept_
        if len(self._classes) == 2:  # binary: one row of weights, for the second class
            coef = np.vstack([np.zeros_like(coef), coef])
            intercept = np.concatenate([[0.0], intercept])
        self._weights = np.ascontiguousarray(coef.T)
        self._intercept = intercept

    def _meanings(self, texts: list[str]) -> np.ndarray:
        return self._vectors.mean(texts, skip=STOP_WORDS) * VECTOR_SCALE

    def similarity(self, text: str, words: Any = None) -> float:
        """The best word-level cosine between `text` and any catalogue phrase."""
        query = self._words.transform([normalise(text)]) if words is None else words
        if not query.nnz:
            return 0.0
        return float((self._word_matrix @ query.T).max())

    def scores(self, text: str) -> np.ndarray:
        return self._scores(text)[0]

    def _scores(self, text: str) -> tuple[np.ndarray, Any]:
        """Each service's probability for `text`, in catalogue order (and its word features,
        which similarity() reuses). The last text's scores are kept: the NLU's arbiter, then
        decide_for, score the same message more than once (search, share, decide)."""
        last = self._last
        if last is not None and last[0] == text:
            return last[1], last[2]
        scores, words = self._score(text)
        scores.flags.writeable = False  # shared with the next caller for the same text
        self._last = (text, scores, words)
        return scores, words

    def _score(self, text: str) -> tuple[np.ndarray, Any]:
        query = normalise(text)
        words, chars = self._words.transform([query]), self._chars.transform([query])
        offset = len(self._words.vocabulary_)  # char features follow the word features
        logits = (words.data @ self._weights[words.indices]
                  + chars.data @ self._weights[chars.indices + offset] + self._intercept)
        if self._vectors is not None:  # the dense meaning features come last
            dense = self._weights[offset + len(self._chars.vocabulary_):]
            logits = logits + self._meanings([query])[0] @ dense
        logits -= logits.max()
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum()
        # The last slot is "none of these": dropped, not shared out among the services.
        out = np.zeros(len(self.catalogue) + 1)
        out[self._classes] = probabilities
        return out[:-1], words

    def share(self, text: str, *, intent: str) -> float:
        """The probability that `text` is about one of the services an intent handles (for
        safeguarding_concern: children's and adults' safeguarding, domestic abuse)."""
        scores = self.scores(text)
        return float(sum(scores[i] for i, service in enumerate(self.catalogue.services)
                         if service.intent == intent))

    def search(self, text: str, limit: int = 5) -> list[Match]:
        return self._search(text, limit)[0]

    def _search(self, text: str, limit: int) -> tuple[list[Match], Any]:
        scores, words = self._scores(text)
        order = np.argsort(-scores)[:limit]
        return [Match(self.catalogue.services[i], float(scores[i])) for i in order], words

    def decide(self, text: str, *, among: list[str] | None = None) -> Decision:
        """Answer, offer choices, or admit not knowing. `among` limits the search to the
        choices just offered (the resident is picking one of them)."""
        matches, words = self._search(text, len(self.catalogue) if among else 5)
        if among:
            matches = [m for m in matches if m.service.id in among]
            total = sum(m.score for m in matches) or 1.0
            matches = [Match(m.service, m.score / total) for m in matches]
        if (not matches or self.similarity(text, words) < SIMILAR_AT
                or matches[0].score < SUGGEST_AT):
            return Decision("unknown", matches[:MAX_CHOICES])
        best = matches[0]
        runner_up = matches[1].score if len(matches) > 1 else 0.0
        if best.score >= ANSWER_AT and best.score - runner_up >= MARGIN:
            return Decision("answer", [best])
        close = [m for m in matches[:MAX_CHOICES] if m.score >= best.score * CLOSE]
        if len(close) == 1:
            if best.score >= ANSWER_AT:
                return Decision("answer", close)
            close = matches[:2]
        return Decision("choose", close)


# When the NLU already said "not a council question" (out_of_scope), was unsure
# (nlu_fallback), or took the message for a bare answer to a question nobody asked (inform:
# "the leisure centre"), retrieval must be surer before it answers: a wrong answer is worse
# than none. Neither "not the council's" nor a bare phrase gets choices to pick from.
STRICT_ANSWER_AT = 0.6
UNSURE_INTENTS = ("out_of_scope", "nlu_fallback", "inform")
NO_CHOICES_INTENTS = ("out_of_scope", "inform")


def decide_for(index: CatalogueIndex, text: str, intent: str | None,
               choices: list[str] | None = None) -> Decision:
    """The catalogue's answer to a message the NLU labelled `intent` (ask_service,
    out_of_scope, nlu_fallback, or inform with nothing to look up). The bot and the benchmark
    both decide here."""
    decision = index.decide(text)
    # The resident may be picking one of the services just offered, unless their words are
    # closest to another service: then it is a new question ("where do I take old paint"
    # after "Did you mean assisted collection or a new bin?"), never forced into the choices.
    closest = decision.matches[0].service.id if decision.matches else None
    if choices and closest in choices:
        picked = index.decide(text, among=list(choices))
        if picked.kind == "answer":
            return picked
    if (intent in UNSURE_INTENTS and decision.kind == "answer"
            and decision.matches[0].score < STRICT_ANSWER_AT):
        return Decision("unknown", decision.matches)
    if intent in NO_CHOICES_INTENTS and decision.kind == "choose":
        return Decision("unknown", decision.matches)
    return decision


_indexes: dict[int, CatalogueIndex] = {}


_build_lock = threading.Lock()


def index_for(catalogue: Catalogue) -> CatalogueIndex:
    """One index per loaded catalogue (catalogues are cached until they change). Built once:
    concurrent callers wait for the one build rather than each training their own."""
    key = id(catalogue)
    index = _indexes.get(key)
    if index is not None and index.catalogue is catalogue:
        return index
    with _build_lock:
        index = _indexes.get(key)
        if index is None or index.catalogue is not catalogue:
            index = CatalogueIndex(catalogue)
            _indexes.clear()
            _indexes[key] = index
    return index


def warm_up(load: Any, *, wait: bool = False) -> None:
    """Build the index at process start, so the first resident does not wait for it (it takes
    5-10 s). `load` returns the catalogue in use. With `wait`, build it before returning: a
    server that has not started listening yet does not look healthy too early."""
    def build() -> None:
        try:
            index_for(load())
        except Exception:  # noqa: BLE001 - the first request builds it (or fails visibly)
            log.warning("catalogue index not built at start; it will be on first use")

    if wait:
        build()
    else:
        threading.Thread(target=build, name="catalogue-index", daemon=True).start()
