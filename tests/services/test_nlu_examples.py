"""The shared reader of Rasa NLU files: what the service finder learns "not the council" from
and what the benches compare held-out questions with."""

from __future__ import annotations

from services.nlu_examples import intent_examples, key, plain


def test_examples_are_read_per_intent_without_annotations(tmp_path):
    path = tmp_path / "nlu.yml"
    path.write_text(
        'version: "3.1"\n'
        "nlu:\n"
        "- intent: out_of_scope\n"
        "  examples: |\n"
        "    - renew my passport\n"
        "    - bins at [HR4 0LE](postcode)?\n"
        "- synonym: recycling\n"
        "  examples: |\n"
        "    - green bin\n"
        "- intent: out_of_scope\n"
        "  examples: |\n"
        '    - my [black bin]{"entity": "bin_type", "value": "general waste"} at work\n'
    )
    assert intent_examples(path) == {
        "out_of_scope": ["renew my passport", "bins at HR4 0LE?", "my black bin at work"],
    }


def test_the_same_question_is_the_same_key_whatever_its_case_and_punctuation():
    assert key("What's my bin day?") == key("whats my BIN day") == "whats my bin day"
    assert plain("[Ledbury](library) library") == "Ledbury library"
