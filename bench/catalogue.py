"""Service catalogue benchmark: does the assistant give the right service, admit what it does not
know, and never give a confident wrong answer? Also: does safeguarding keep its recall, and do
the in-domain intents still score?

Trains the NLU (config.yml, data/nlu) once, then sends every question through what the dialogue
does with it: a transactional intent handles it (a form, a look-up, a hand-over), or the
catalogue decides (services/catalogue_search.py decide_for, as bot/actions/catalogue.py does).

Two held-out sets, never trained or tuned on, reported apart and together (the targets are
judged on both together):
    first  tests/catalogue_heldout.yml     >= 300 resident questions about catalogue services, and
                                           questions no council service answers
           tests/safeguarding_heldout.yml  phrasings that must all reach the urgent queue
           tests/nlu_heldout.yml           the in-domain intents' held-out set (macro-F1)
    blind  tests/catalogue_heldout_2.yml   the same three kinds, written blind after the first
           tests/nlu_heldout_2.yml         set had seen several designs

    python -m bench.catalogue                       # table; var/bench/catalogue.json
    python -m bench.catalogue --without-negatives   # the NLU without ask_service (comparison)
    python -m bench.catalogue --calibrate           # retrieval thresholds, by leave-one-out on
                                                    # the catalogue's own examples (no held-out)
"""

from __future__ import annotations

import argparse
import functools
import json
import operator
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench import nlu as nlu_bench
from services.catalogue import Catalogue, load_sample
from services.catalogue_search import CatalogueIndex, decide_for
from services.inform import lookup_in

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "tests" / "catalogue_heldout.yml"
SAFEGUARDING = ROOT / "tests" / "safeguarding_heldout.yml"
HELDOUT_2 = ROOT / "tests" / "catalogue_heldout_2.yml"  # its safeguarding phrasings are inside
NLU_HELDOUT_2 = ROOT / "tests" / "nlu_heldout_2.yml"
# (name, catalogue questions, safeguarding phrasings, in-domain intent examples)
SETS = [("first", HELDOUT, SAFEGUARDING, nlu_bench.HELDOUT),
        ("blind", HELDOUT_2, HELDOUT_2, NLU_HELDOUT_2)]
BOTH = "both"
ABOUT = {
    "first": "tests/catalogue_heldout.yml, safeguarding_heldout.yml, nlu_heldout.yml: written "
             "2026-12-02/03, each design measured on it once, but it has seen several designs",
    "blind": "tests/catalogue_heldout_2.yml, nlu_heldout_2.yml: written blind on 2026-12-03 "
             "from the service list and intent meanings only, after the last design change",
}
OUT = ROOT / "var" / "bench"
CATALOGUE_INTENTS = ("ask_service", "out_of_scope", "nlu_fallback")
URGENT = "safeguarding_concern"
CONCERN_CHECK = "concern_check"  # bot.nlu_components.CONCERN_CHECK (importing it loads Rasa)
TARGETS = {"right_service": 0.85, "confidently_wrong": 0.02, "in_domain_macro_f1": 0.95,
           "p95_added_ms": 10.0, "safeguarding_recall": 1.0}
# The examples from issue 12 that used to get a confident wrong answer.
ISSUE_EXAMPLES = [
    ("I want to pay a parking fine", "parking-fine-pay"),
    ("What are the council tax bands", "council-tax-bands"),
    ("Is my child entitled to free school meals", "free-school-meals"),
    ("I want to foster a child", "fostering"),
    ("my elderly mother needs a carer at home", "care-assessment"),
    ("A tree has fallen across the road", "fallen-tree"),
    ("the road hasn't been gritted", "gritting"),
    ("there's a dead badger in the road", "dead-animal"),
    ("The traffic lights are stuck on red", "traffic-lights"),
    ("Can I have a bonfire", "bonfires"),
    ("I need a care assessment for my dad", "care-assessment"),
    ("I need a skip permit", "skip-permit"),
    ("Do I need planning permission for a fence", "need-planning-permission"),
    ("how do I object to a planning application", "comment-planning-application"),
    ("When's the green garden waste bin next emptied", "bin-collection-day"),
]


# --- what the dialogue does with one parse ----------------------------------------------------


def outcome(catalogue: Catalogue, index: CatalogueIndex, text: str,
            parse: dict[str, Any]) -> tuple[str, list[str], float]:
    """("answer" | "choose" | "check" | "unknown" | "other", service ids, seconds spent in
    retrieval). "check": an uncertain concern, asked "is someone at risk of harm?" with the
    service it may be about offered beside it (CatalogueArbiter)."""
    intent = (parse.get("intent") or {}).get("name")
    check = parse.get(CONCERN_CHECK)
    if intent == URGENT and check:
        return "check", [check["service"]], 0.0
    # inform with nothing to look up (bot.actions.lookups.ActionInform): a sure catalogue
    # answer, or "what would you like me to do with that?".
    # A bare phrase: nothing ActionInform would look up (services/inform.py, the bot's own reading).
    bare = intent == "inform" and lookup_in(parse.get("entities") or []) is None
    if intent in CATALOGUE_INTENTS or bare:
        started = time.perf_counter()
        decision = decide_for(index, text, intent)
        spent = time.perf_counter() - started
        if bare and decision.kind != "answer":
            return "other", [intent], spent
        return decision.kind, [m.service.id for m in decision.matches], spent
    handled_by = [s.id for s in catalogue.services if s.intent == intent]
    if handled_by:  # the intent's own form, look-up or hand-over answers it
        return "answer", handled_by, 0.0
    return "other", [intent or ""], 0.0


def is_urgent(catalogue: Catalogue, kind: str, ids: list[str]) -> bool:
    if kind != "answer":
        return False
    return any((catalogue.get(i) and catalogue.get(i).intent == URGENT) for i in ids[:1]) or (
        len(ids) > 1 and all(catalogue.get(i).intent == URGENT for i in ids))


def score_questions(catalogue: Catalogue, items: list[tuple[list[str], str]],
                    outcomes: list[tuple[str, list[str], float]]) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    wrong_examples = []
    for (expected, text), (kind, ids, _) in zip(items, outcomes, strict=True):
        if kind == "answer":
            # An intent stands for all the services it handles; the catalogue names one.
            right = bool(set(expected) & set(ids)) if len(ids) > 1 else ids[0] in expected
            counts["right" if right else "confidently_wrong"] += 1
            if not right:
                wrong_examples.append({"text": text, "expected": expected, "got": ids[:2]})
        elif kind in ("choose", "check"):
            # A choice, not an answer: "is someone at risk?" offers one service beside the
            # urgent queue. Neither is confidently wrong; only the offered service can be right.
            counts["right_in_choices" if set(expected) & set(ids) else "choices_without_it"] += 1
            counts["checked"] += kind == "check"
        elif kind == "unknown":
            counts["dont_know"] += 1
        else:
            counts["other"] += 1
    n = len(items)
    return {"n": n, **{k: counts[k] for k in ("right", "right_in_choices", "confidently_wrong",
                                              "choices_without_it", "checked", "dont_know",
                                              "other")},
            "rates": {k: round(v / n, 4) for k, v in counts.items()},
            "wrong_examples": wrong_examples}


def _arbiter_time(index: CatalogueIndex, texts: list[str],
                  parses: list[dict[str, Any]]) -> list[float]:
    """Milliseconds CatalogueArbiter adds to each message (its catalogue look-up)."""
    from bot.nlu_components import CatalogueArbiter

    arbiter = CatalogueArbiter.with_index({}, index)
    out = []
    for text, parse in zip(texts, parses, strict=True):
        # The ranking before the arbiter: rebuilt from the parse (the order is what matters).
        ranking = parse.get("intent_ranking") or []
        started = time.perf_counter()
        if ranking:
            arbiter.decide(text, ranking)
        out.append((time.perf_counter() - started) * 1000)
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --- run ----------------------------------------------------------------------------------------


@dataclass
class HeldOut:
    """One held-out set: catalogue questions, non-council questions, safeguarding phrasings
    and in-domain intent examples."""

    name: str
    items: list[tuple[list[str], str]]
    unknown: list[str]
    safeguarding: list[str]
    in_domain: list[dict[str, Any]]

    def texts(self) -> list[str]:
        return ([t for _, t in self.items] + self.unknown + self.safeguarding
                + [e["text"] for e in self.in_domain])

    def __add__(self, other: HeldOut) -> HeldOut:
        return HeldOut(f"{self.name} + {other.name}", self.items + other.items,
                       self.unknown + other.unknown, self.safeguarding + other.safeguarding,
                       self.in_domain + other.in_domain)


def load_sets() -> list[HeldOut]:
    sets = []
    for name, questions, phrasings, intents in SETS:
        doc = yaml.safe_load(questions.read_text())
        sets.append(HeldOut(
            name,
            [(str(e[0]).split("|"), str(e[1])) for e in doc["questions"]],
            [str(q) for q in doc["unknown"]],
            [str(q) for q in yaml.safe_load(phrasings.read_text())["phrasings"]],
            nlu_bench.load_examples(intents)))
    return sets


def score_set(catalogue: Catalogue, index: CatalogueIndex, held: HeldOut,
              parses: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One set's figures from the trained model's parses (text -> parse)."""
    def outcomes(texts: list[str]) -> list[tuple[str, list[str], float]]:
        return [outcome(catalogue, index, t, parses[t]) for t in texts]

    q_out = outcomes([t for _, t in held.items])
    u_out = outcomes(held.unknown)
    s_out = outcomes(held.safeguarding)
    questions = score_questions(catalogue, held.items, q_out)
    answered_unknown = sum(k == "answer" for k, _, _ in u_out)
    honest = sum(k in ("unknown", "other") for k, _, _ in u_out)
    missed = [t for t, (k, ids, _) in zip(held.safeguarding, s_out, strict=True)
              if not (k == "answer" and any(catalogue.get(i) and catalogue.get(i).intent == URGENT
                                            for i in ids))]
    # Missed above; they reach the queue only if the resident answers "yes" to the check.
    checked = [t for t, (k, _, _) in zip(held.safeguarding, s_out, strict=True) if k == "check"]
    gold = [e["intent"] for e in held.in_domain]
    predicted = [(parses[e["text"]].get("intent") or {}).get("name") for e in held.in_domain]
    f1 = nlu_bench.intent_scores(gold, predicted)
    n_all = questions["n"] + len(held.unknown)
    result = {
        "set": held.name,
        "questions": questions,
        "right_service": round(questions["right"] / questions["n"], 4),
        "right_service_or_choice": round(
            (questions["right"] + questions["right_in_choices"]) / questions["n"], 4),
        "confidently_wrong": round((questions["confidently_wrong"] + answered_unknown) / n_all, 4),
        "dont_know_on_questions": round(questions["dont_know"] / questions["n"], 4),
        "unknown": {"n": len(held.unknown), "honest": honest, "answered_wrongly": answered_unknown,
                    "honest_rate": round(honest / len(held.unknown), 4)},
        "safeguarding": {"n": len(held.safeguarding), "missed": missed, "checked_first": checked,
                         "recall": round(1 - len(missed) / len(held.safeguarding), 4)},
        "safeguarding_recall": round(1 - len(missed) / len(held.safeguarding), 4),
        "in_domain_n": len(gold),
        "in_domain_macro_f1": f1["macro_f1"],
        "in_domain_confusions": f1["top_confusions"][:5],
        # Retrieval time of the messages that reach the catalogue's decision.
        "reached_ms": [s * 1000 for _, _, s in q_out + u_out],
    }
    result["checks"] = {
        "right_service": result["right_service"] >= TARGETS["right_service"],
        "confidently_wrong": result["confidently_wrong"] <= TARGETS["confidently_wrong"],
        "in_domain_macro_f1": result["in_domain_macro_f1"] >= TARGETS["in_domain_macro_f1"],
        "safeguarding_recall": result["safeguarding_recall"] >= TARGETS["safeguarding_recall"],
    }
    return result


def measure(without_negatives: bool = False) -> dict[str, Any]:
    nlu_bench._quiet()
    catalogue = load_sample()
    index = CatalogueIndex(catalogue)
    sets = load_sets()
    issue = [(t, [s]) for t, s in ISSUE_EXAMPLES]
    texts = list(dict.fromkeys(
        [t for held in sets for t in held.texts()] + [t for t, _ in issue]))

    original = nlu_bench.NLU_DATA
    with tempfile.TemporaryDirectory(prefix="bench-catalogue-") as tmp:
        data = Path(tmp) / "nlu"
        shutil.copytree(original, data)
        if without_negatives:
            (data / "services.yml").unlink()
        nlu_bench.NLU_DATA = data  # train_rasa reads the module's path
        try:
            model, train_seconds = nlu_bench.train_rasa(nlu_bench.CONFIG, Path(tmp), "catalogue")
            parsed = nlu_bench.predict_rasa(model, texts)
        finally:
            nlu_bench.NLU_DATA = original
    parses = dict(zip(texts, parsed, strict=True))
    arbiter_ms = _arbiter_time(index, texts, parsed)
    results = {held.name: score_set(catalogue, index, held, parses) for held in sets}
    both = functools.reduce(operator.add, sets)
    results[BOTH] = score_set(catalogue, index, both, parses)
    # Retrieval's added time per message: the arbiter's look-up (every message) plus the
    # catalogue's decision for the messages that reach it.
    reached = results[BOTH].pop("reached_ms")
    for r in results.values():
        r.pop("reached_ms", None)
    spent = [a + r for a, r in zip(arbiter_ms, reached, strict=False)]
    i_out = [outcome(catalogue, index, t, parses[t]) for t, _ in issue]
    result = {
        "variant": "without ask_service negatives" if without_negatives else "as deployed",
        "catalogue_services": len(catalogue),
        "train_seconds": round(train_seconds, 1),
        "sets": results,
        "p50_added_ms": round(percentile(spent, 50), 2),
        "p95_added_ms": round(percentile(spent, 95), 2),
        "issue_examples": [{"text": t, "expected": s[0], "got": k, "ids": ids[:2]}
                           for (t, s), (k, ids, _) in zip(issue, i_out, strict=True)],
    }
    result["checks"] = {**results[BOTH]["checks"],
                        "p95_added_ms": result["p95_added_ms"] <= TARGETS["p95_added_ms"]}
    return result


def table(r: dict[str, Any]) -> str:
    sets = r["sets"]
    names = list(sets)

    def mark(name: str) -> str:
        return "ok" if r["checks"][name] else "MISSED"

    def each(figure: Any) -> list[str]:
        return [figure(sets[name]) for name in names]

    def reached(s: dict[str, Any]) -> str:
        n = s["safeguarding"]["n"]
        got = n - len(s["safeguarding"]["missed"])
        return f"{s['safeguarding_recall']:.0%} ({got}/{n})"

    rows = [
        ("what", *names, "target", ""),
        ("right service (answered directly)",
         *each(lambda s: f"{s['right_service']:.1%} ({s['questions']['right']}/"
                         f"{s['questions']['n']})"), ">= 85%", mark("right_service")),
        ("right service, or offered among 2-3 choices",
         *each(lambda s: f"{s['right_service_or_choice']:.1%}"), "", ""),
        ("confidently wrong (questions + non-council)",
         *each(lambda s: f"{s['confidently_wrong']:.1%} ({s['questions']['confidently_wrong']}"
                         f"+{s['unknown']['answered_wrongly']})"), "<= 2%",
         mark("confidently_wrong")),
        ("honest \"I don't know\" on catalogue questions",
         *each(lambda s: f"{s['dont_know_on_questions']:.1%}"), "", ""),
        ("asked \"is someone at risk of harm?\" first",
         *each(lambda s: f"{s['questions'].get('checked', 0)}/{s['questions']['n']}"), "", ""),
        ("honest \"I don't know\" on non-council questions",
         *each(lambda s: f"{s['unknown']['honest_rate']:.0%} ({s['unknown']['honest']}/"
                         f"{s['unknown']['n']})"), "", ""),
        ("safeguarding phrasings reaching the urgent queue", *each(reached), "100%",
         mark("safeguarding_recall")),
        ("in-domain intent macro-F1",
         *each(lambda s: f"{s['in_domain_macro_f1']:.3f} ({s['in_domain_n']})"), ">= 0.95",
         mark("in_domain_macro_f1")),
        ("retrieval added per message p50 / p95",
         *([""] * (len(names) - 1)), f"{r['p50_added_ms']:.1f} / {r['p95_added_ms']:.1f} ms",
         "p95 <= 10 ms", mark("p95_added_ms")),
        ("NLU training (cold)", *([""] * (len(names) - 1)), f"{r['train_seconds']:.0f} s",
         "", ""),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [f"catalogue: {r['catalogue_services']} services; {r['variant']}; the targets are "
             f"judged on {BOTH}"]
    for i, row in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if i == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += [f"  {name}: {about}" for name, about in ABOUT.items()]
    missed = [f"{e['text']!r} -> {e['got']} {e['ids'][:1]}" for e in r["issue_examples"]
              if not (e["got"] == "answer" and e["expected"] in e["ids"])]
    lines.append(f"issue 12 examples ({len(r['issue_examples'])}): "
                 + (", ".join(missed) if missed else "every one gets its own service"))
    for name in names[:-1]:
        s = sets[name]
        if s["questions"]["wrong_examples"]:
            lines.append(f"confidently wrong ({name}): " + "; ".join(
                f"{w['text']!r} -> {w['got'][0]}" for w in s["questions"]["wrong_examples"][:8]))
        if s["safeguarding"]["missed"]:
            lines.append(f"SAFEGUARDING MISSED ({name}): " + "; ".join(s["safeguarding"]["missed"]))
        if s["safeguarding"].get("checked_first"):
            lines.append(f"of which asked 'is someone at risk?' first ({name}; 999 and the lines "
                         "shown): " + "; ".join(s["safeguarding"]["checked_first"]))
    return "\n".join(lines)


# --- calibration (never on the held-out questions) ---------------------------------------------


def calibrate(folds: int = 3) -> None:
    """K-fold over the catalogue's own example questions (each fold's examples are left out of
    the index that answers them), plus data/nlu's out_of_scope examples as questions nothing
    should answer. Prints how the thresholds trade right against wrong answers."""
    from itertools import product

    from services import catalogue_search as cs

    catalogue = load_sample()
    probes = [(s.id, e) for s in catalogue.services for e in s.examples]
    negatives = [e["text"] for e in
                 nlu_bench.load_examples(nlu_bench.NLU_DATA / "out_of_scope.yml")]
    per_fold = []
    for fold in range(folds):
        held = {p for i, p in enumerate(probes) if i % folds == fold}
        scored = negatives[fold::folds]  # the index learns "not the council's" from the rest
        trained = [t for i, t in enumerate(negatives) if i % folds != fold]
        per_fold.append((cs.CatalogueIndex(catalogue, leave_out=held, not_council=trained),
                         held, scored))
    grid = product((0.25, 0.3, 0.35, 0.4, 0.5), (0.05, 0.1, 0.2), (0.1, 0.15, 0.2))
    for answer_at, margin, similar_at in grid:
        cs.ANSWER_AT, cs.MARGIN, cs.SIMILAR_AT = answer_at, margin, similar_at
        right = wrong = choice = 0
        answered_neg = 0
        for index, held, scored in per_fold:
            answered_neg += sum(index.decide(t).kind == "answer" for t in scored)
            for sid, text in held:
                d = index.decide(text)
                if d.kind == "answer":
                    right += d.service.id == sid
                    wrong += d.service.id != sid
                elif d.kind == "choose":
                    choice += any(m.service.id == sid for m in d.matches)
        n = len(probes)
        print(f"answer_at {answer_at:.2f} margin {margin:.2f} similar {similar_at:.2f}: "
              f"right {right / n:.1%} in-choices {choice / n:.1%} wrong {wrong / n:.1%} "
              f"| out_of_scope answered {answered_neg / len(negatives):.1%}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--without-negatives", action="store_true")
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args(argv)
    if args.calibrate:
        calibrate()
        return 0
    result = measure(without_negatives=args.without_negatives)
    print(table(result))
    OUT.mkdir(parents=True, exist_ok=True)
    name = "catalogue-without-negatives.json" if args.without_negatives else "catalogue.json"
    (OUT / name).write_text(json.dumps(result, indent=2))
    print(f"(written {OUT / name})")
    return 0 if all(result["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
