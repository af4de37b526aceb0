"""Opt-outs said in words, found without the assistant.

The router runs these rules on every resident message, in every state (with the assistant,
waiting for a person, talking to one) and whether or not Rasa is up, so "don't keep my data"
is never lost because nobody was listening. Rules only find opt-outs: a false "opt-out" costs
little (the resident gets a person, or we keep less), while a false "withdraw" would undo a
resident's choice, so changes of mind go through the assistant or an advisor.
"""

from __future__ import annotations

import re

from handoff.signals import ChoiceSignal

_NEGATION = r"(?:dont|do not|never|not|stop|no longer|wont|will not|refuse to)"
_KEEP = (r"(?:keep|keeping|store|storing|save|saving|record|recording|hold|holding|use|using|"
         r"retain|retaining|train|training)")
_MINE = (r"(?:data|information|info|details|conversations?|chats?|messages?|history|"
         r"transcripts?|what i say|this call|my calls?|recordings?)")
_MACHINE = (r"(?:robots?|bots?|chat ?bots?|automated|automatic|machines?|ai|"
            r"virtual assistant|assistant)")
# "Computer" alone is not the assistant: "I don't use computers" is someone who cannot get online
# (bot/actions/inclusion.py), not an opt-out. Only talking to or dealing with one counts.

RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("data_use", re.compile(rf"\b{_NEGATION}\b.{{0,40}}\b{_KEEP}\b.{{0,30}}\b{_MINE}")),
    ("data_use", re.compile(rf"\b(?:delete|remove|erase|wipe|forget)\b.{{0,20}}\b(?:my|this)\b"
                            rf".{{0,20}}\b{_MINE}")),
    ("data_use", re.compile(r"\b(?:opt|take) me out of (?:the )?(?:data|my data|recording)")),
    ("data_use", re.compile(r"\bobject to\b.{0,30}\b(?:my data|my information|recording)")),
    ("data_use", re.compile(rf"\b{_NEGATION}\b.{{0,30}}\b{_MINE}\b.{{0,25}}"
                            r"\b(?:used|kept|stored|saved|recorded|held)\b")),
    ("data_use", re.compile(r"\bdont consent to\b.{0,20}\b(?:keep|record|stor|us)")),
    ("data_use", re.compile(r"\bstop recording me\b")),
    ("automated_assistant", re.compile(
        rf"\b{_NEGATION}\b.{{0,30}}\b(?:want|like|wish|use|using|talk|speak|deal|trust)\b.{{0,30}}"
        rf"\b{_MACHINE}\b")),
    ("automated_assistant", re.compile(
        rf"\b{_NEGATION}\b.{{0,30}}\b(?:talk|speak|deal|chat)\b (?:to|with) (?:a |the )?"
        r"computers?\b")),
    ("automated_assistant", re.compile(rf"\b(?:opt|take) me (?:out of|off) (?:the )?.{{0,12}}"
                                       rf"\b{_MACHINE}\b")),
    ("automated_assistant", re.compile(r"\bonly (?:want|wish) to (?:deal|talk|speak) (?:with|to) "
                                       r"(?:a )?(?:real )?(?:people|person|humans?)\b")),
)
# Words that turn a sentence into permission or a change of mind, not an opt-out.
_NOT_AN_OPT_OUT = re.compile(
    r"\b(?:dont mind|do not mind|dont care|happy (?:for|to|with)|fine (?:for|to|with)|"
    r"ok (?:for|to|with)|okay (?:for|to|with)|changed my mind|back on|back in|undo|"
    r"cancel my opt)\b"
)


def normalise(text: str) -> str:
    """Lower case, straight apostrophes dropped ("don't" -> "dont"), single spaces."""
    text = text.lower().replace("\u2019", "'").replace("'", "")
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text).split())


def detect(text: str) -> list[ChoiceSignal]:
    """The opt-outs a resident's words state, one per scope, in a fixed order."""
    words = normalise(text)
    if not words or _NOT_AN_OPT_OUT.search(words):
        return []
    scopes = dict.fromkeys(scope for scope, rule in RULES if rule.search(words))
    return [ChoiceSignal(scope, "opt_out") for scope in scopes]
