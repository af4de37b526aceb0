"""Reading Rasa NLU training files: the one parser the service finder, the training-data writer
and the benches share, so that "the same question" means the same thing to each of them."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


def key(text: str) -> str:
    """What two examples share when they are the same question (case, punctuation aside)."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("'", "")))


def plain(example: str) -> str:
    """An example without its entity annotations: "[HR4 0LE](postcode)" -> "HR4 0LE"."""
    return _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), example)


def block_examples(block: dict) -> list[str]:
    """The example lines of one `nlu:` block, annotations kept."""
    lines = (line.strip().removeprefix("- ").strip()
             for line in str(block.get("examples") or "").splitlines())
    return [line for line in lines if line]


def intent_examples(path: Path) -> dict[str, list[str]]:
    """Each intent's examples in one NLU file, annotations removed, in file order."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, list[str]] = {}
    for block in doc.get("nlu") or []:
        if "intent" in block:
            out.setdefault(block["intent"], []).extend(
                plain(line) for line in block_examples(block))
    return out
