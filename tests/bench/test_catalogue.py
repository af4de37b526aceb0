"""The held-out sets measure the assistant only while nothing in them is trained on, and only
if every answer they expect is a service the catalogue has."""

from __future__ import annotations

import yaml

from bench import catalogue as bench
from bench import nlu as nlu_bench
from services.catalogue import load_sample
from services.nlu_examples import block_examples, key, plain


def _trained() -> set[str]:
    """Every text the NLU or the service finder learns from."""
    texts = set()
    for path in nlu_bench.NLU_DATA.glob("*.yml"):
        for block in (yaml.safe_load(path.read_text()) or {}).get("nlu") or []:
            if "intent" in block:
                texts.update(key(plain(line)) for line in block_examples(block))
    for service in load_sample().services:
        texts.update(key(t) for t in (service.title, *service.synonyms, *service.examples))
    return texts


def _texts(held: bench.HeldOut) -> set[str]:
    return {key(t) for t in held.texts()}


def test_no_held_out_question_is_trained_on():
    # The failure shows only the texts in both (training examples): never a held-out set's
    # other items, which whoever fixes the failure must not see.
    trained = _trained()
    for held in bench.load_sets():
        overlap = sorted(_texts(held) & trained)
        assert not overlap, f"take these out of training ({held.name} set): {overlap}"


def test_the_blind_set_shares_nothing_with_the_first():
    first, blind = bench.load_sets()
    overlap = sorted(_texts(first) & _texts(blind))
    assert not overlap


def test_each_set_is_big_enough_and_names_real_services():
    catalogue = load_sample()
    for held in bench.load_sets():
        assert len(held.items) >= 300 and len(held.unknown) >= 30, held.name
        assert len(held.safeguarding) >= 30 and len(held.in_domain) >= 300, held.name
        unknown_ids = {i for ids, _ in held.items for i in ids if catalogue.get(i) is None}
        assert not unknown_ids, held.name


def test_both_sets_together_keep_every_item():
    first, blind = bench.load_sets()
    both = first + blind
    assert len(both.items) == len(first.items) + len(blind.items)
    assert len(both.safeguarding) == len(first.safeguarding) + len(blind.safeguarding)
    assert len(both.in_domain) == len(first.in_domain) + len(blind.in_domain)
