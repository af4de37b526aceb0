"""Word meanings for classifiers that otherwise only match spellings.

TF-IDF features know that "bins" and "bin" share letters, not that "nan" and "grandmother" or
"tip" and "dump" mean close things. A message's mean GloVe vector (vectors/, public domain)
adds that: chosen by cross-validation (bench/catalogue_dev.py; config.yml has the figures).
No network and no model download: the table is a 5 MB file in the repository.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from pathlib import Path

import numpy as np

DEFAULT = Path(__file__).resolve().parent.parent / "vectors" / "glove-6b-50d.npz"


class WordVectors:
    """A word -> vector table; `mean()` turns texts into unit-length mean vectors."""

    def __init__(self, words: np.ndarray, vectors: np.ndarray) -> None:
        if len(words) != len(vectors):
            raise ValueError(f"{len(words)} words but {len(vectors)} vectors")
        self.words = words
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self._index = {str(w): i for i, w in enumerate(words)}

    @property
    def dimensions(self) -> int:
        return int(self.vectors.shape[1])

    def mean(self, texts: list[str], skip: frozenset[str] = frozenset()) -> np.ndarray:
        """One row per text: the mean vector of its known words (split on spaces, `skip`
        left out), scaled to length 1; all zeros when no word is known."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float64)
        for row, text in enumerate(texts):
            ids = [self._index[w] for w in text.split() if w in self._index and w not in skip]
            if ids:
                vector = self.vectors[ids].mean(axis=0)
                norm = float(np.linalg.norm(vector))
                if norm:
                    out[row] = vector / norm
        return out


def read(path: Path) -> WordVectors:
    """A table saved as .npz with `words` (strings) and `vectors` arrays; no pickle."""
    with np.load(path, allow_pickle=False) as data:
        return WordVectors(data["words"], data["vectors"])


_shared: dict[str, WordVectors] = {}
_shared_lock = threading.Lock()


def share(table: WordVectors) -> WordVectors:
    """The one copy in this process of a table with these words and vectors. The Rasa process
    holds the table twice otherwise: the intent classifier's (inside the trained model, so a
    model never depends on the file) and the service finder's (read from vectors/); ~12 MB."""
    digest = hashlib.sha256()
    digest.update(np.asarray(table.words).astype(str).tobytes())
    digest.update(table.vectors.astype(np.float16).tobytes())
    key = digest.hexdigest()
    with _shared_lock:
        return _shared.setdefault(key, table)


@functools.lru_cache(maxsize=4)
def load(path: str | Path = DEFAULT) -> WordVectors:
    """The table at `path`, read once per process (and shared with an equal table already
    loaded from a trained model)."""
    return share(read(Path(path)))
