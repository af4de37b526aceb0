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

import re
from dataclasses import dataclass, field

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from services.catalogue import Catalogue, Service

ANSWER_AT = 0.42     # the best service's score needed to answer from it
MARGIN = 0.06        # ... and how far ahead of the next service it must be
SUGGEST_AT = 0.30    # below this nothing is offered ("I don't know")
CLOSE = 0.10         # services within this of the best are offered together
MAX_CHOICES = 3
TEAM_AT = 0.18       # an unanswered question goes to the closest team only if this close

_STOP = frozenset("""
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
    return [_stem(w) for w in normalise(text).split() if w not in _STOP]


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
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        docs: list[str] = []
        owners: list[int] = []
        for i, service in enumerate(catalogue.services):
            for text in (service.title, *service.synonyms, *service.examples):
                docs.append(normalise(text))
                owners.append(i)
        self._owners = np.array(owners)
        self._words = TfidfVectorizer(analyzer=_content_words, sublinear_tf=True)
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                                      preprocessor=lambda t: " ".join(_content_words(t)))
        self._word_matrix = self._words.fit_transform(docs)
        self._char_matrix = self._chars.fit_transform(docs)

    def scores(self, text: str) -> np.ndarray:
        """Each service's similarity to `text` (0..1), in catalogue order."""
        query = normalise(text)
        word = (self._word_matrix @ self._words.transform([query]).T).toarray().ravel()
        char = (self._char_matrix @ self._chars.transform([query]).T).toarray().ravel()
        per_doc = 0.5 * word + 0.5 * char
        best = np.zeros(len(self.catalogue))
        np.maximum.at(best, self._owners, per_doc)
        return best

    def search(self, text: str, limit: int = 5) -> list[Match]:
        scores = self.scores(text)
        order = np.argsort(-scores)[:limit]
        return [Match(self.catalogue.services[i], float(scores[i])) for i in order]

    def decide(self, text: str, *, among: list[str] | None = None) -> Decision:
        """Answer, offer choices, or admit not knowing. `among` limits the search to the
        choices just offered (the resident is picking one of them)."""
        matches = self.search(text, limit=len(self.catalogue) if among else 5)
        if among:
            matches = [m for m in matches if m.service.id in among]
        if not matches or matches[0].score < SUGGEST_AT:
            return Decision("unknown", matches[:MAX_CHOICES])
        best = matches[0]
        runner_up = matches[1].score if len(matches) > 1 else 0.0
        if best.score >= ANSWER_AT and best.score - runner_up >= MARGIN:
            return Decision("answer", [best])
        close = [m for m in matches[:MAX_CHOICES] if m.score >= best.score - CLOSE]
        if len(close) == 1 and best.score >= ANSWER_AT:
            return Decision("answer", close)
        return Decision("choose", close)


_indexes: dict[int, CatalogueIndex] = {}


def index_for(catalogue: Catalogue) -> CatalogueIndex:
    """One index per loaded catalogue (catalogues are cached until they change)."""
    key = id(catalogue)
    index = _indexes.get(key)
    if index is None or index.catalogue is not catalogue:
        _indexes.clear()
        index = _indexes[key] = CatalogueIndex(catalogue)
    return index
