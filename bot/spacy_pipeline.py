"""Builds the spaCy pipeline in code: blank English plus rule-based entity patterns.

No model is downloaded (none is on the registry we trust). The install step runs
`python -m bot.spacy_pipeline` to write it to var/spacy/council_en, where Rasa's SpacyNLP
loads it; SpacyEntityExtractor then returns these rule-based entities.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import spacy
from spacy.language import Language

DEFAULT_PATH = Path("var/spacy/council_en")

LIBRARY_TOWNS = {
    "Hereford": ["hereford"],
    "Leominster": ["leominster", "lemster"],
    "Ledbury": ["ledbury"],
    "Ross-on-Wye": ["ross-on-wye", "ross on wye", "ross"],
    "Kington": ["kington"],
    "Bromyard": ["bromyard"],
    "Colwall": ["colwall"],
    "Belmont": ["belmont"],
}
BIN_TYPES = {
    "general waste": [
        # Not "rubbish" alone: "rubbish dumped in the lane" is fly-tipping, not a bin.
        "general waste", "black bin", "rubbish bin", "household waste", "general rubbish",
    ],
    "recycling": ["recycling", "green bin", "recycling bin"],
    "garden waste": ["garden waste", "brown bin", "garden bin", "green waste"],
}

# Outward code then inward code, as spaCy tokenises them ("HR1", "2AB"), or run together.
_OUTWARD = r"^(?i:[A-Z]{1,2}[0-9][A-Z0-9]?)$"
_INWARD = r"^(?i:[0-9][A-Z]{2})$"
_RUN_TOGETHER = r"^(?i:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2})$"


def _phrase(text: str) -> list[dict]:
    return [{"LOWER": part} for part in text.replace("-", " - ").split()]


def entity_patterns() -> list[dict]:
    patterns: list[dict] = [
        {"label": "postcode",
         "pattern": [{"TEXT": {"REGEX": _OUTWARD}}, {"TEXT": {"REGEX": _INWARD}}]},
        {"label": "postcode", "pattern": [{"TEXT": {"REGEX": _RUN_TOGETHER}}]},
        {"label": "case_reference", "pattern": [{"TEXT": {"REGEX": r"^(?i:HC-?[0-9]{6})$"}}]},
        {"label": "case_reference",
         "pattern": [{"LOWER": "hc"}, {"TEXT": {"REGEX": r"^-?[0-9]{6}$"}}]},
        {"label": "planning_reference",
         "pattern": [{"TEXT": {"REGEX": r"^(?i:P[0-9]{6})$"}}, {"ORTH": "/"},
                     {"TEXT": {"REGEX": r"^(?i:[A-Z])$"}}]},
        {"label": "planning_reference",
         "pattern": [{"TEXT": {"REGEX": r"^(?i:P[0-9]{6}/[A-Z])$"}}]},
    ]
    for canonical, names in LIBRARY_TOWNS.items():
        for name in names:
            patterns.append({"label": "library", "pattern": _phrase(name), "id": canonical})
    for canonical, names in BIN_TYPES.items():
        for name in names:
            patterns.append({"label": "bin_type", "pattern": _phrase(name), "id": canonical})
            if name.endswith(" bin"):  # "when are the black bins emptied"
                patterns.append({"label": "bin_type", "pattern": _phrase(name + "s"),
                                 "id": canonical})
    return patterns


def build() -> Language:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(entity_patterns())
    nlp.meta["name"] = "council_en"
    nlp.meta["description"] = "Blank English with rule-based council entities (built in code)"
    return nlp


def fingerprint() -> str:
    return hashlib.sha256(json.dumps(entity_patterns(), sort_keys=True).encode()).hexdigest()[:16]


def ensure_built(path: Path = DEFAULT_PATH) -> bool:
    """Write the pipeline to `path` unless an identical one is there. Returns True if built."""
    stamp = path / "council_fingerprint.txt"
    if stamp.exists() and stamp.read_text().strip() == fingerprint():
        return False
    path.mkdir(parents=True, exist_ok=True)
    build().to_disk(path)
    stamp.write_text(fingerprint())
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args()
    print(("built " if ensure_built(args.path) else "up to date: ") + str(args.path))


if __name__ == "__main__":
    main()
