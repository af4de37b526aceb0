"""The design harness must never train on what it scores: each fold's held questions are out
of the catalogue, out of ask_service's examples and out of the intents' files."""

from __future__ import annotations

import re

import yaml

from bench import catalogue_dev
from services.catalogue import load_sample


def _key(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("'", "")))


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
            for line in str(block.get("examples") or "").splitlines():
                trained.add(_key(catalogue_dev.plain(line.strip().removeprefix("- "))))
    titles = {_key(s.title) for s in catalogue.services}  # a title is not an example question
    assert questions and intents
    assert not {_key(t) for _, t in questions} & trained - titles
    assert not {_key(t) for _, t in intents} & trained
    kept = {e for s in fold_catalogue.services for e in s.examples}
    assert not {t for _, t in questions} & kept
