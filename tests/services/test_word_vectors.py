"""The word-vector table the intent classifier uses for word meanings (vectors/, GloVe)."""

from __future__ import annotations

import numpy as np
import pytest

from services import word_vectors
from services.word_vectors import DEFAULT, WordVectors, load, read


def _cosine(vectors: WordVectors, a: str, b: str) -> float:
    first, second = vectors.mean([a, b])
    return float(first @ second)


def test_the_shipped_table_knows_that_words_mean_close_things():
    vectors = load()
    assert len(vectors.words) == 50_000 and vectors.dimensions == 50
    # What TF-IDF cannot see: no shared letters, close meaning.
    assert _cosine(vectors, "rubbish", "garbage") > 0.7
    assert _cosine(vectors, "rubbish", "library") < 0.3
    assert _cosine(vectors, "books", "library") > 0.5


def test_mean_vectors_are_unit_length_skip_words_and_are_zero_for_unknown_words():
    vectors = WordVectors(np.array(["bin", "bins", "the"]),
                          np.array([[3.0, 4.0], [0.0, 2.0], [100.0, 0.0]]))
    rows = vectors.mean(["bin", "the bin", "bin bins", "zzz qqq", ""], skip=frozenset({"the"}))
    assert np.allclose(rows[0], [0.6, 0.8])
    assert np.allclose(rows[1], rows[0])  # "the" is skipped, not averaged in
    assert np.isclose(np.linalg.norm(rows[2]), 1.0)
    assert not rows[3].any() and not rows[4].any()


def test_a_table_whose_words_and_vectors_disagree_is_refused(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, words=np.array(["a", "b"]), vectors=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="2 words but 3 vectors"):
        read(path)


def test_a_table_is_read_without_pickle(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, words=np.array(["a", 1], dtype=object), vectors=np.zeros((2, 2)))
    with pytest.raises(ValueError):
        read(path)
    assert DEFAULT.name == "glove-6b-50d.npz"


def test_equal_tables_are_held_once():
    words = np.array(["bin", "tip"])
    first = word_vectors.share(WordVectors(words, np.eye(2, dtype=np.float16)))
    again = word_vectors.share(WordVectors(words.copy(), np.eye(2, dtype=np.float32)))
    other = word_vectors.share(WordVectors(words, np.eye(2, dtype=np.float16) * 2))
    assert again is first
    assert other is not first


def test_the_shipped_table_and_a_models_copy_of_it_are_one_table():
    shipped = word_vectors.load()
    copy = WordVectors(shipped.words.copy(), shipped.vectors.astype(np.float16))
    assert word_vectors.share(copy) is shipped
