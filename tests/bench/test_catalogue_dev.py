"""The design harness must never train on what it scores: each fold's held questions are out
of the catalogue, out of ask_service's examples and out of the intents' files."""

from __future__ import annotations

from dataclasses import replace

import yaml

from bench import catalogue_dev
from services.catalogue import load_sample
from services.nlu_examples import block_examples, key, plain


def test_every_example_is_held_out_exactly_once():
    catalogue = load_sample()
    held = [q for fold in range(catalogue_dev.K)
            for q in catalogue_dev.fold_catalogue(catalogue, fold)[1]]
    every = [(s.id, e) for s in catalogue.services for e in s.examples]
    assert sorted(held) == sorted(every)


def test_a_fold_trains_on_none_of_its_held_questions(tmp_path):
    catalogue = load_sample()
    fold_catalogue, questions = catalogue_dev.fold_catalogue(catalogue, 1)
    intents = catalogue_dev.write_fold_nlu(fold_catalogue, 1, tmp_path / "nlu", questions)
    trained = set()
    for path in (tmp_path / "nlu").glob("*.yml"):
        for block in (yaml.safe_load(path.read_text()) or {}).get("nlu") or []:
            trained.update(key(plain(line)) for line in block_examples(block))
    titles = {key(s.title) for s in catalogue.services}  # a title is not an example question
    assert questions and intents
    assert not {key(t) for _, t in questions} & trained - titles
    assert not {key(t) for _, t in intents} & trained
    kept = {e for s in fold_catalogue.services for e in s.examples}
    assert not {t for _, t in questions} & kept


def test_an_examples_fold_depends_on_its_text_alone():
    """Adding one example must not move others between folds: the figures of two data sets
    compare only if the folds are the same."""
    catalogue = load_sample()
    before = set(catalogue_dev.fold_catalogue(catalogue, 0)[1])
    first = catalogue.services[0]
    grown = replace(first, examples=("a brand new question about this service", *first.examples))
    after = catalogue_dev.fold_catalogue(
        type(catalogue)([grown, *catalogue.services[1:]], sample=catalogue.sample), 0)[1]
    assert before <= set(after)
    assert catalogue_dev.fold_of("What's my bin day?") == catalogue_dev.fold_of("whats my bin day")
