"""The conversation state machine: one module changes state, and only along allowed moves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.vocabulary import CONVERSATION_STATES, ConversationState
from handoff import state as machine
from storage.models import Conversation

ROOT = Path(__file__).resolve().parents[2]
OWNER = Path("handoff/state.py")
# Writes marked sample history (`contact-assistant reports sample`): closed conversations that
# never lived, created as they ended. It moves no live conversation.
SAMPLE_HISTORY = Path("reports/sample.py")
SKIP_DIRS = {".venv", "node_modules", "tests", "migrations", "var", ".git", "build", "dist"}

B, W, A, C, X = (ConversationState.BOT, ConversationState.WAITING, ConversationState.ADVISOR,
                 ConversationState.CLOSED, ConversationState.ABANDONED)


def _product_modules() -> list[Path]:
    return [p for p in ROOT.rglob("*.py")
            if not SKIP_DIRS & set(p.relative_to(ROOT).parts)]


def _touches_conversations(path: Path) -> bool:
    """Only a module that names the Conversation model (or its table) can set a conversation's
    state; other tables have a `state` of their own (the outbox's delivery state)."""
    source = path.read_text()
    return "Conversation" in source or "conversations" in source


def _state_writes(tree: ast.AST) -> list[int]:
    """Line numbers that set a `state` attribute or column, however it is spelt."""
    lines = []
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
            lines += [node.lineno for e in elements
                      if isinstance(e, ast.Attribute) and e.attr == "state"]
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "setattr" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) \
                    and node.args[1].value == "state":
                lines.append(node.lineno)
            # update(Conversation).values(state=...) and Conversation(state=...)
            if name in ("values", "Conversation") and any(k.arg == "state" for k in node.keywords):
                lines.append(node.lineno)
    return lines


def test_only_the_state_module_changes_conversation_state():
    modules = _product_modules()
    assert ROOT / OWNER in modules and len(modules) > 50  # the scan really ran
    offenders = [f"{path.relative_to(ROOT)}:{line}"
                 for path in modules
                 if path.relative_to(ROOT) not in (OWNER, SAMPLE_HISTORY)
                 and _touches_conversations(path)
                 for line in _state_writes(ast.parse(path.read_text(), str(path)))]
    assert offenders == [], "assign state only through handoff.state.transition()"


def test_the_scan_catches_every_spelling():
    source = (
        "conv.state = 'bot'\n"
        "conv.state, conv.closed_at = 'closed', now\n"
        "setattr(conv, 'state', 'waiting')\n"
        "s.execute(update(Conversation).values(state='advisor'))\n"
        "Conversation(channel='web', state='waiting')\n"
        "ticket.status = 'closed'\n"
    )
    assert sorted(_state_writes(ast.parse(source))) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("from_,to", [(B, W), (W, A), (A, B), (A, W), (A, C), (C, B), (C, W),
                                     (B, X), (W, X), (X, B), (X, W)])
def test_allowed_moves(from_, to):
    conv = Conversation(id="c1", channel="web", state=from_.value)
    assert machine.transition(conv, to) is True
    assert conv.state == to
    assert (conv.closed_at is not None) == (to in (C, X))


@pytest.mark.parametrize("from_,to", [(B, A), (B, C), (W, B), (W, C), (C, A), (A, X), (C, X),
                                     (X, A), (X, C)])
def test_illegal_moves_are_refused_with_a_clear_error(from_, to):
    conv = Conversation(id="c1", channel="web", state=from_.value)
    with pytest.raises(machine.IllegalTransition, match=f"cannot go from '{from_}' to '{to}'"):
        machine.transition(conv, to)
    assert conv.state == from_


def test_staying_put_changes_nothing():
    conv = Conversation(id="c1", channel="web", state="waiting")
    assert machine.transition(conv, W) is False and conv.state == "waiting"


def test_every_state_has_its_moves_and_a_stored_code():
    assert set(machine.ALLOWED) == set(ConversationState)
    assert tuple(s.value for s in ConversationState) == CONVERSATION_STATES


def test_the_database_refuses_a_state_it_does_not_know(db, router):
    conv = router.start("web", session_key="k")
    with pytest.raises(IntegrityError, match="ck_conversations_state|CHECK"):  # noqa: SIM117
        with db.session() as s:
            s.execute(text("UPDATE conversations SET state = 'limbo' WHERE id = :id"),
                      {"id": conv})
    assert router.snapshot(conv).state == B


def test_every_state_fits_the_column():
    # SQLite ignores VARCHAR lengths; PostgreSQL refused 'abandoned' in a VARCHAR(8).
    length = Conversation.__table__.c.state.type.length
    assert all(len(state.value) <= length for state in ConversationState)
