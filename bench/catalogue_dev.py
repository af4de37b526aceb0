"""Design the catalogue's decisions by cross-validation on the TRAINING data, never on the held-out
sets (tests/*_heldout.yml). bench/catalogue.py then measures the chosen design once, on held-out.

K folds. In fold f, the catalogue example questions and data/nlu's intent examples whose text
hashes to f (fold_of) are left out of training: out of `ask_service`'s examples, out of the
intents' files and out of the retrieval index. The NLU is trained without CatalogueArbiter and
FallbackClassifier, and its raw intent rankings are kept (var/bench/dev/), so the arbiter, the
fallback and the catalogue's decision are then replayed here in seconds for each design.

    python -m bench.catalogue_dev            # train the folds if the data changed; print figures
    python -m bench.catalogue_dev --retrain  # train again even if nothing changed
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import shutil
import sys
import tempfile
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from bench import nlu as nlu_bench
from bench.catalogue import outcome, score_questions
from bot.catalogue_training import render
from services.catalogue import Catalogue, load_sample
from services.catalogue_search import CatalogueIndex, not_council_questions
from services.nlu_examples import block_examples, key, plain

ROOT = Path(__file__).resolve().parent.parent
URGENT = "safeguarding_concern"
OUT = ROOT / "var" / "bench" / "dev"
K = 3
_GENERATED = "services.yml"  # ask_service: rebuilt per fold from the fold's catalogue


def fold_of(text: str) -> int:
    """The fold that holds this example out: from its text alone, so that adding, removing or
    moving other examples leaves every fold as it was and two data sets compare fairly. (Folds
    by position moved hundreds of examples when one service gained an example.)"""
    return zlib.crc32(key(text).encode()) % K


def fold_catalogue(catalogue: Catalogue, fold: int) -> tuple[Catalogue, list[tuple[str, str]]]:
    """The catalogue without this fold's example questions, and those questions."""
    held: list[tuple[str, str]] = []
    services = []
    for service in catalogue.services:
        keep = []
        for example in service.examples:
            if fold_of(example) == fold:
                held.append((service.id, example))
            else:
                keep.append(example)
        services.append(replace(service, examples=tuple(keep)))
    return Catalogue(services, sample=catalogue.sample), held


def write_fold_nlu(catalogue: Catalogue, fold: int, to: Path,
                   questions: list[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """data/nlu without this fold's intent examples (written to `to`), and those examples.
    An intent example that is also one of the fold's held catalogue `questions` is left out
    too (and scored once, as the catalogue question)."""
    asked = {key(t) for _, t in questions}
    to.mkdir(parents=True)
    held: list[tuple[str, str]] = []
    for path in sorted(nlu_bench.NLU_DATA.glob("*.yml")):
        if path.name == _GENERATED:
            continue
        doc = yaml.safe_load(path.read_text()) or {}
        for block in doc.get("nlu") or []:
            if "intent" not in block:
                continue
            keep = []
            for line in block_examples(block):
                if key(plain(line)) in asked:
                    continue
                if fold_of(plain(line)) == fold:
                    held.append((block["intent"], plain(line)))
                else:
                    keep.append(line)
            block["examples"] = "".join(f"- {line}\n" for line in keep)
        (to / path.name).write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    (to / _GENERATED).write_text(render(catalogue))
    return held


def raw_config(to: Path) -> Path:
    """config.yml's pipeline without the arbiter and the fallback (replayed here instead)."""
    config = yaml.safe_load(nlu_bench.CONFIG.read_text())
    config["pipeline"] = yaml.safe_load(_trained_pipeline())
    config.pop("policies", None)
    path = to / "config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _trained_pipeline() -> bytes:
    """The part of config.yml the folds train: the arbiter's and the fallback's settings are
    replayed, so changing them never retrains."""
    config = yaml.safe_load(nlu_bench.CONFIG.read_text())
    return yaml.safe_dump([c for c in config["pipeline"] if c["name"] not in
                           ("bot.nlu_components.CatalogueArbiter", "FallbackClassifier")]).encode()


def _fingerprint() -> str:
    digest = hashlib.sha256(_trained_pipeline())
    for path in [*sorted(nlu_bench.NLU_DATA.glob("*.yml")),
                 ROOT / "catalogue" / "herefordshire.yml", ROOT / "bot" / "nlu_components.py",
                 ROOT / "vectors" / "glove-6b-50d.npz", Path(__file__)]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def parse_folds(retrain: bool = False) -> list[dict[str, Any]]:
    """Per fold: the held-out questions and intent examples with their raw rankings (cached)."""
    OUT.mkdir(parents=True, exist_ok=True)
    cache = OUT / f"folds-{_fingerprint()}.json"
    if cache.exists() and not retrain:
        return json.loads(cache.read_text())
    nlu_bench._quiet()
    catalogue = load_sample()
    folds = []
    original = nlu_bench.NLU_DATA
    for fold in range(K):
        cat, questions = fold_catalogue(catalogue, fold)
        with tempfile.TemporaryDirectory(prefix=f"bench-dev-{fold}-") as tmp:
            data = Path(tmp) / "nlu"
            intents = write_fold_nlu(cat, fold, data, questions)
            config = raw_config(Path(tmp))
            nlu_bench.NLU_DATA = data
            try:
                model, _ = nlu_bench.train_rasa(config, Path(tmp), f"dev{fold}")
            finally:
                nlu_bench.NLU_DATA = original
            texts = [t for _, t in questions] + [t for _, t in intents]
            parses = nlu_bench.predict_rasa(model, texts)
            shutil.rmtree(Path(tmp) / "cache", ignore_errors=True)
        rankings = [p.get("intent_ranking") or [] for p in parses]
        folds.append({
            "questions": [[sid, t, r] for (sid, t), r in zip(questions, rankings, strict=False)],
            "intents": [[i, t, r] for (i, t), r in
                        zip(intents, rankings[len(questions):], strict=True)],
        })
        print(f"fold {fold + 1}/{K}: {len(questions)} catalogue questions, "
              f"{len(intents)} intent examples", flush=True)
    for old in OUT.glob("folds-*.json"):
        old.unlink()
    cache.write_text(json.dumps(folds))
    return folds


# --- replay: arbiter, fallback, catalogue decision -------------------------------------------


def deployed_intent(arbiter: Any, text: str, ranking: list[dict[str, Any]],
                    threshold: float, ambiguity: float) -> dict[str, Any]:
    """What CatalogueArbiter then FallbackClassifier (config.yml) make of a raw ranking."""
    from bot.nlu_components import CONCERN_CHECK, settle

    if not ranking:
        return {"intent": {"name": "nlu_fallback"}}
    winner, check = arbiter.judge(text, ranking)
    ranking = settle(ranking, winner)
    top = float(ranking[0]["confidence"])
    second = float(ranking[1]["confidence"]) if len(ranking) > 1 else 0.0
    if top < threshold or top - second < ambiguity:
        return {"intent": {"name": "nlu_fallback"}, "intent_ranking": ranking}
    parse = {"intent": ranking[0], "intent_ranking": ranking}
    if check:
        parse[CONCERN_CHECK] = {"service": check}
    return parse


def configured_arbiter() -> dict[str, Any]:
    """CatalogueArbiter's settings as config.yml deploys them."""
    config = yaml.safe_load(nlu_bench.CONFIG.read_text())
    arbiter = next(c for c in config["pipeline"]
                   if c["name"] == "bot.nlu_components.CatalogueArbiter")
    return {k: v for k, v in arbiter.items() if k != "name"}


def _fallback_settings() -> tuple[float, float]:
    config = yaml.safe_load(nlu_bench.CONFIG.read_text())
    fallback = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    return float(fallback["threshold"]), float(fallback["ambiguity_threshold"])


def fold_indexes(catalogue: Catalogue,
                 folds: list[dict[str, Any]]) -> list[tuple[Catalogue, CatalogueIndex]]:
    """Each fold's catalogue and retrieval index, which learns "not the council's business" from
    the out_of_scope examples the fold trains on, never from the ones it scores. A text's scores
    do not depend on any threshold, so they are remembered: a search replays thousands."""
    out = []
    for fold, data in enumerate(folds):
        cat, _ = fold_catalogue(catalogue, fold)
        held = {key(t) for intent, t, _ in data["intents"] if intent == "out_of_scope"}
        index = CatalogueIndex(cat, not_council=[
            t for t in not_council_questions() if key(t) not in held])
        index._scores = functools.lru_cache(maxsize=None)(index._scores)
        out.append((cat, index))
    return out


def evaluate(folds: list[dict[str, Any]], arbiter_config: dict[str, Any] | None = None,
             indexes: list[tuple[Catalogue, CatalogueIndex]] | None = None) -> dict[str, Any]:
    from bot.nlu_components import CatalogueArbiter

    catalogue = load_sample()
    indexes = indexes or fold_indexes(catalogue, folds)
    threshold, ambiguity = _fallback_settings()
    items, outcomes, gold, predicted, checked = [], [], [], [], []
    unknown: list[str] = []  # the outcome for each held non-council (out_of_scope) example
    for (cat, index), data in zip(indexes, folds, strict=True):
        arbiter = CatalogueArbiter.with_index(
            configured_arbiter() if arbiter_config is None else arbiter_config, index)
        for sid, text, ranking in data["questions"]:
            parse = deployed_intent(arbiter, text, ranking, threshold, ambiguity)
            items.append(([sid], text))
            outcomes.append(outcome(cat, index, text, parse))
        for intent, text, ranking in data["intents"]:
            parse = deployed_intent(arbiter, text, ranking, threshold, ambiguity)
            gold.append(intent)
            predicted.append(parse["intent"]["name"])
            checked.append(bool(parse.get("concern_check")))
            if intent == "out_of_scope":
                unknown.append(outcome(cat, index, text, parse)[0])
    questions = score_questions(catalogue, items, outcomes)
    f1 = nlu_bench.intent_scores(gold, predicted)
    # Recall counts concerns passed STRAIGHT to the urgent queue: one asked "is someone at
    # risk?" first is not counted, however likely the resident is to answer yes.
    concerns = [p if not c else "checked" for g, p, c in zip(gold, predicted, checked,
                                                              strict=True) if g == URGENT]
    n = questions["n"]
    # As bench.catalogue defines it: wrong answers to council questions, plus any answer (a
    # service's, or an intent's form) to a question that is not the council's business.
    answered_unknown = unknown.count("answer")
    return {
        "right_service": round(questions["right"] / n, 4),
        "right_or_choice": round((questions["right"] + questions["right_in_choices"]) / n, 4),
        "confidently_wrong": round((questions["confidently_wrong"] + answered_unknown)
                                   / (n + len(unknown)), 4),
        "honest_on_unknown": round(1 - answered_unknown / max(1, len(unknown)), 4),
        "dont_know": round(questions["dont_know"] / n, 4),
        "checked": round(questions["checked"] / n, 4),
        "in_domain_macro_f1": f1["macro_f1"],
        "safeguarding_recall": round(concerns.count(URGENT) / max(1, len(concerns)), 4),
        "confusions": f1["top_confusions"][:8],
        "wrong": questions["wrong_examples"],
    }


def line(name: str, r: dict[str, Any]) -> str:
    return (f"{name:40s} right {r['right_service']:.1%}  right/choice {r['right_or_choice']:.1%}  "
            f"wrong {r['confidently_wrong']:.1%}  don't know {r['dont_know']:.1%}  "
            f"non-council honest {r['honest_on_unknown']:.0%}  "
            f"in-domain F1 {r['in_domain_macro_f1']:.3f}  "
            f"safeguarding {r['safeguarding_recall']:.0%}")


SEARCH = {  # the arbiter's settings (bot/nlu_components.py), then the retrieval's thresholds
    "override_at": (0.3, 0.4, 0.5, 0.6, 0.7),
    "keep_intent_at": (0.8, 0.9, 0.95, 0.99),
    "switch_at": (0.2, 0.3, 0.4, 0.5),
    "runner_up_at": (0.15, 0.25, 0.35),
    "safeguarding_at": (0.08, 0.1, 0.15, 0.2),
    "unless_service_at": (0.4, 0.5, 0.6, 0.7),
    "check_below": (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4),
    "offer_at": (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5),
    "sure_concern_at": (0.0, 0.12, 0.15, 0.2, 0.25, 0.3),
    "catalogue_agrees_at": (0.0, 0.01, 0.02, 0.03, 0.05),
    "ANSWER_AT": (0.3, 0.35, 0.4, 0.5, 0.6),
    "MARGIN": (0.05, 0.1, 0.15, 0.2, 0.3),
}
RETRIEVAL = ("ANSWER_AT", "MARGIN")
WRONG_COST = 6  # one confidently wrong answer costs as much as six right ones gain
CONCERN_WORTH = 2  # a safeguarding concern reaching a person is worth two right answers


def _run(folds: list[dict[str, Any]], design: dict[str, Any],
         indexes: list[tuple[Catalogue, CatalogueIndex]]) -> dict[str, Any]:
    from services import catalogue_search as cs

    saved = {name: getattr(cs, name) for name in RETRIEVAL}
    try:
        for name in RETRIEVAL:
            setattr(cs, name, design[name])
        return evaluate(folds, {k: v for k, v in design.items() if k not in RETRIEVAL}, indexes)
    finally:
        for name, value in saved.items():
            setattr(cs, name, value)


def search(folds: list[dict[str, Any]], rounds: int = 2) -> tuple[dict[str, Any], dict]:
    """Coordinate search from the configured design: change one setting at a time and keep a
    change that adds right answers net of WRONG_COST per wrong one (and CONCERN_WORTH per
    concern reaching a person), without losing any safeguarding recall or more than 0.002 of
    in-domain macro-F1."""
    from bot.nlu_components import CatalogueArbiter
    from services import catalogue_search as cs

    indexes = fold_indexes(load_sample(), folds)
    configured = {**CatalogueArbiter.get_default_config(), **configured_arbiter()}
    design = {**{k: v for k, v in configured.items() if k in SEARCH},
              **{name: getattr(cs, name) for name in RETRIEVAL}}
    base = best = _run(folds, design, indexes)

    def gain(r: dict[str, Any]) -> float:
        if (r["safeguarding_recall"] < base["safeguarding_recall"]
                or r["in_domain_macro_f1"] < base["in_domain_macro_f1"] - 0.002):
            return float("-inf")
        return (r["right_service"] - WRONG_COST * r["confidently_wrong"]
                + CONCERN_WORTH * r["safeguarding_recall"])

    for _ in range(rounds):
        for name, values in SEARCH.items():
            for value in values:
                trial = {**design, name: value}
                r = _run(folds, trial, indexes)
                if gain(r) > gain(best) + 1e-9:
                    design, best = trial, r
                    print(line(f"{name}={value}", best), flush=True)
    return design, best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--retrain", action="store_true")
    parser.add_argument("--show-wrong", action="store_true")
    parser.add_argument("--search", action="store_true",
                        help="coordinate search over SEARCH from the configured design")
    args = parser.parse_args(argv)
    folds = parse_folds(args.retrain)
    if args.search:
        design, r = search(folds)
        print(line("best", r))
        print(json.dumps(design))
        return 0
    result = evaluate(folds)
    print(line("as configured", result))
    print("in-domain confusions:", result["confusions"])
    if args.show_wrong:
        for w in result["wrong"]:
            print(f"  {w['text']!r}: expected {w['expected'][0]}, got {w['got']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

