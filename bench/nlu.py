"""NLU benchmark: our pipeline vs Rasa's default pipeline vs a TF-IDF + logistic regression
baseline, trained on data/nlu only and scored on two held-out sets never trained on:
tests/nlu_heldout.yml ("first") and tests/nlu_heldout_2.yml ("blind", written later by people who
saw only each intent's meaning). The target is judged on both together, as bench.catalogue does.

For each: intent macro-F1 and accuracy, entity F1 (exact type and span), the weakest intents,
the most common confusions, and training time. Two intent figures for the Rasa pipelines:
- "as deployed": the pipeline's own answer, so a FallbackClassifier `nlu_fallback` counts as a
  miss (the assistant would ask the resident to rephrase);
- "classifier": the top real intent in the ranking, fallback ignored (compares the classifiers).

    python -m bench.nlu                 # ours and tfidf; prints a table, writes var/bench/nlu.json
    python -m bench.nlu --all           # and Rasa's default pipeline (DIET, 100 epochs: about
                                        # 45 min on 2 cores with today's 4,000+ examples)
    python -m bench.nlu --only ours     # one of: ours, default, tfidf
    python -m bench.nlu --only ours --config other.yml   # try a pipeline change first
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NLU_DATA = ROOT / "data" / "nlu"
HELDOUT = ROOT / "tests" / "nlu_heldout.yml"
HELDOUT_2 = ROOT / "tests" / "nlu_heldout_2.yml"
HELDOUT_SETS = {"first": HELDOUT, "blind": HELDOUT_2}
CONFIG = ROOT / "config.yml"
OUT = ROOT / "var" / "bench"
TARGET_MACRO_F1 = 0.95
FALLBACK = "nlu_fallback"

# The pipeline `rasa init` writes (Rasa 3.6), with its default policies left out.
DEFAULT_PIPELINE = """
recipe: default.v1
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: 100
    constrain_similarities: true
  - name: EntitySynonymMapper
  - name: ResponseSelector
    epochs: 100
    constrain_similarities: true
  - name: FallbackClassifier
    threshold: 0.3
    ambiguity_threshold: 0.1
policies: []
"""


# --- data --------------------------------------------------------------------------------


def load_examples(path: Path) -> list[dict[str, Any]]:
    """[{"text", "intent", "entities": [(entity, start, end), ...]}] from Rasa NLU YAML."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [
        {
            "text": m.get("text"),
            "intent": m.get("intent"),
            "entities": sorted(
                (e["entity"], e["start"], e["end"]) for e in m.get("entities") or []
            ),
        }
        for m in data.intent_examples
    ]


# --- scoring -----------------------------------------------------------------------------


def f1(tp: int, fp: int, fn: int) -> float:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def intent_scores(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    """Macro-F1 over the gold intents (a prediction outside them, like nlu_fallback, is a miss),
    accuracy, per-intent F1 and the most common confusions."""
    labels = sorted(set(gold))
    per_intent = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        per_intent[label] = round(f1(tp, fp, fn), 4)
    confusions = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    return {
        "macro_f1": round(sum(per_intent.values()) / len(labels), 4),
        "accuracy": round(sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold), 4),
        "per_intent_f1": per_intent,
        "top_confusions": [
            {"gold": g, "predicted": p, "count": n} for (g, p), n in confusions.most_common(10)
        ],
    }


def entity_f1(gold: list[list[tuple]], predicted: list[list[tuple]]) -> dict[str, Any]:
    """Micro F1 over (entity type, start, end), exact match, and per entity type."""
    tp = fp = fn = 0
    by_type: dict[str, list[int]] = {}
    for g_list, p_list in zip(gold, predicted, strict=True):
        g, p = set(g_list), set(p_list)
        tp, fp, fn = tp + len(g & p), fp + len(p - g), fn + len(g - p)
        for kind in {e[0] for e in g | p}:
            counts = by_type.setdefault(kind, [0, 0, 0])
            g_k, p_k = {e for e in g if e[0] == kind}, {e for e in p if e[0] == kind}
            counts[0] += len(g_k & p_k)
            counts[1] += len(p_k - g_k)
            counts[2] += len(g_k - p_k)
    return {
        "f1": round(f1(tp, fp, fn), 4),
        "gold_entities": tp + fn,
        "per_entity_f1": {k: round(f1(*v), 4) for k, v in sorted(by_type.items())},
    }


# --- the three contenders -----------------------------------------------------------------


def _quiet() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore")
    for name in ("rasa", "tensorflow", "absl", "spacy", "sanic", "root"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.ERROR)  # Rasa 3.6 logs every parse at debug level otherwise


def train_rasa(config_path: Path, out_dir: Path, name: str) -> tuple[Path, float]:
    """Train from scratch: a fresh, empty Rasa training cache, so the time is a cold one."""
    from rasa.model_training import train_nlu

    os.environ["RASA_CACHE_DIRECTORY"] = str(out_dir / "cache")
    started = time.perf_counter()
    model = train_nlu(
        config=str(config_path), nlu_data=str(NLU_DATA), output=str(out_dir), fixed_model_name=name
    )
    if not model:
        raise RuntimeError(f"rasa train nlu produced no model for {name}")
    return Path(model), time.perf_counter() - started


def predict_rasa(model: Path, texts: Iterable[str]) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def run() -> list[dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    return asyncio.run(run())


def rasa_contender(config_path: Path, name: str) -> Callable[[list, list], dict[str, Any]]:
    def evaluate(train_examples: list, heldout: list) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix=f"bench-nlu-{name}-") as tmp:
            model, seconds = train_rasa(config_path, Path(tmp), name)
            parses = predict_rasa(model, [e["text"] for e in heldout])
        gold = [e["intent"] for e in heldout]
        deployed = [(p.get("intent") or {}).get("name") for p in parses]
        classifier = [
            next(
                (r["name"] for r in p.get("intent_ranking") or [] if r["name"] != FALLBACK),
                (p.get("intent") or {}).get("name"),
            )
            for p in parses
        ]
        entities = [
            sorted((e["entity"], e["start"], e["end"]) for e in p.get("entities") or [])
            for p in parses
        ]
        result = intent_scores(gold, deployed)
        result["classifier_macro_f1"] = intent_scores(gold, classifier)["macro_f1"]
        result["fallback_rate"] = round(deployed.count(FALLBACK) / len(deployed), 4)
        result["entities"] = entity_f1([e["entities"] for e in heldout], entities)
        result["train_seconds"] = round(seconds, 1)
        result["predicted"] = deployed
        return result

    return evaluate


def tfidf_contender(train_examples: list, heldout: list) -> dict[str, Any]:
    """Word 1-2 grams + char_wb 2-5 grams, TF-IDF, logistic regression. Intents only."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    started = time.perf_counter()
    model = make_pipeline(
        make_union(
            TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(
                lowercase=True, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True
            ),
        ),
        LogisticRegression(C=10.0, max_iter=2000),
    )
    model.fit([e["text"] for e in train_examples], [e["intent"] for e in train_examples])
    seconds = time.perf_counter() - started
    predicted = list(model.predict([e["text"] for e in heldout]))
    result = intent_scores([e["intent"] for e in heldout], predicted)
    result["classifier_macro_f1"] = result["macro_f1"]
    result["fallback_rate"] = 0.0
    result["entities"] = None
    result["train_seconds"] = round(seconds, 1)
    result["predicted"] = predicted
    return result


# --- report ------------------------------------------------------------------------------

LABELS = {"ours": "ours (config.yml)", "default": "rasa default", "tfidf": "tf-idf + logreg"}


def table(report: dict[str, Any]) -> str:
    rows = [
        ("pipeline", "macro-F1", *(f"{name} F1" for name in HELDOUT_SETS), "classifier F1",
         "accuracy", "fallback", "entity F1", "train s")
    ]
    for name, r in report["results"].items():
        rows.append(
            (
                LABELS.get(name, name),
                f"{r['macro_f1']:.3f}",
                *(f"{r['by_set'][name]:.3f}" for name in HELDOUT_SETS),
                f"{r['classifier_macro_f1']:.3f}",
                f"{r['accuracy']:.3f}",
                f"{r['fallback_rate']:.1%}",
                f"{r['entities']['f1']:.3f}" if r["entities"] else "n/a",
                f"{r['train_seconds']:.0f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    out = [
        f"held-out: {report['heldout_examples']} examples ("
        + ", ".join(f"{name} {n}" for name, n in report["heldout_examples_by_set"].items())
        + f"), {report['intents']} intents; macro-F1 on both together; "
        f"trained on {report['train_examples']} examples (data/nlu only)",
        *lines,
    ]
    for name, r in report["results"].items():
        weak = sorted(r["per_intent_f1"].items(), key=lambda kv: kv[1])[:5]
        out.append(
            f"\n{LABELS.get(name, name)}: weakest intents "
            + ", ".join(f"{k} {v:.2f}" for k, v in weak)
        )
        if r["top_confusions"]:
            out.append(
                "  top confusions: "
                + "; ".join(
                    f"{c['gold']} -> {c['predicted']} x{c['count']}"
                    for c in r["top_confusions"][:6]
                )
            )
        if r["entities"]:
            out.append(
                "  entity F1 by type: "
                + ", ".join(f"{k} {v:.2f}" for k, v in r["entities"]["per_entity_f1"].items())
            )
    ours = report["results"].get("ours")
    if ours:
        verdict = "meets" if ours["macro_f1"] >= TARGET_MACRO_F1 else "BELOW"
        out.append(
            f"\nours: macro-F1 {ours['macro_f1']:.3f} on both sets {verdict} the target "
            f"{TARGET_MACRO_F1}"
        )
    return "\n".join(out)


def run(only: list[str] | None = None, config: Path = CONFIG) -> dict[str, Any]:
    _quiet()
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)  # config.yml names var/spacy/council_en relative to the repository
    from bot.spacy_pipeline import ensure_built

    ensure_built()
    train_examples = [e for f in sorted(NLU_DATA.glob("*.yml")) for e in load_examples(f)]
    sets = {name: load_examples(path) for name, path in HELDOUT_SETS.items()}
    heldout = [e for examples in sets.values() for e in examples]
    train_texts = {e["text"].lower() for e in train_examples}
    overlap = sum(e["text"].lower() in train_texts for e in heldout)
    with tempfile.TemporaryDirectory(prefix="bench-nlu-config-") as tmp:
        default_config = Path(tmp) / "default_config.yml"
        default_config.write_text(DEFAULT_PIPELINE)
        contenders = {
            "ours": rasa_contender(config, "ours"),
            "default": rasa_contender(default_config, "default"),
            "tfidf": tfidf_contender,
        }
        results = {}
        for name, evaluate in contenders.items():
            if only and name not in only:
                continue
            print(
                f"[bench.nlu] training and scoring {LABELS[name]} ...", file=sys.stderr, flush=True
            )
            results[name] = evaluate(train_examples, heldout)
            results[name]["by_set"] = by_set(sets, results[name].pop("predicted"))
    return {
        "benchmark": "nlu",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": os.getloadavg(),
        },
        "config": str(config),
        "heldout_files": {name: str(path.relative_to(ROOT)) for name, path in HELDOUT_SETS.items()},
        "heldout_examples": len(heldout),
        "heldout_examples_by_set": {name: len(examples) for name, examples in sets.items()},
        "heldout_also_in_training": overlap,
        "train_examples": len(train_examples),
        "intents": len({e["intent"] for e in heldout}),
        "target_macro_f1": TARGET_MACRO_F1,
        "results": results,
    }


def by_set(sets: dict[str, list[dict[str, Any]]], predicted: list[str]) -> dict[str, float]:
    """Each held-out set's own macro-F1, from the predictions for all sets in order."""
    out, start = {}, 0
    for name, examples in sets.items():
        gold = [e["intent"] for e in examples]
        out[name] = intent_scores(gold, predicted[start:start + len(gold)])["macro_f1"]
        start += len(gold)
    return out


def save(report: dict[str, Any]) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "nlu.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(LABELS),
        help="run just this contender (repeatable)",
    )
    parser.add_argument("--all", action="store_true",
                        help="also Rasa's default pipeline (slow; config.yml records its figures)")
    parser.add_argument("--config", type=Path, default=CONFIG,
                        help="pipeline to score as 'ours' (default: config.yml)")
    args = parser.parse_args(argv)
    only = args.only or (None if args.all else ["ours", "tfidf"])
    report = run(only, args.config.resolve())
    print(table(report))
    print(f"(written {save(report).relative_to(ROOT)})")
    ours = report["results"].get("ours")
    return 1 if ours and ours["macro_f1"] < TARGET_MACRO_F1 else 0


if __name__ == "__main__":
    sys.exit(main())
