"""Production topology: PostgreSQL + Redis, two Rasa replicas, gunicorn on PostgreSQL.

Each conversation's messages alternate between the replicas; nothing is lost or reordered and
the dialogue context (a form's requested slot) survives the switch, because the tracker lives
in PostgreSQL and Redis locks serialise each conversation across replicas.
"""

from __future__ import annotations

import os
import threading
import uuid

import psycopg2
import pytest
import requests

from tests.stack import ROOT

# A form question asked by one replica and answered on the other. The bot's report-a-missed-bin
# form asks for the postcode first (bot/domain.yml); TOPOLOGY_SCENARIO switches for development.
SCENARIOS = {
    "council": {
        "greeting": "hello",
        "trigger": "when is my bin day",
        "slot": "postcode",
        "answer": "HR1 2AB",
        "later": "thank you",
    },
    "tiny": {
        "greeting": "hello",
        "trigger": "missed bin",
        "slot": "postcode",
        "answer": "HR1 2AB",
        "later": "hi",
    },
}
SCENARIO = SCENARIOS[os.environ.get("TOPOLOGY_SCENARIO", "council")]


def _rasa_send(stack, sender: str, text: str) -> dict:
    r = requests.post(f"{stack.proxy.url}/webhooks/webchat/webhook",
                      json={"sender": sender, "message": text, "metadata": {"channel": "web"}},
                      headers={"Authorization": f"Bearer {stack.env['RASA_TOKEN']}"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def _stored_slots(services, sender: str) -> dict:
    """The conversation's slots as the shared tracker store holds them (every replica reads
    this; Rasa's own tracker API is not exposed: no --enable-api)."""
    import json

    with services.tracker_connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT data FROM events WHERE sender_id = %s AND type_name = 'slot' "
                    "ORDER BY id", (sender,))
        rows = cur.fetchall()
    slots: dict = {}
    for (data,) in rows:
        event = json.loads(data)
        slots[event["name"]] = event.get("value")
    return slots


def _user_events(services, sender: str) -> list[tuple[int, float, str]]:
    """(id, timestamp, text) of every user event of `sender`, straight from PostgreSQL."""
    with services.tracker_connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT id, timestamp, data FROM events WHERE sender_id = %s "
                    "AND type_name = 'user' ORDER BY id", (sender,))
        rows = cur.fetchall()
    import json

    return [(i, ts, json.loads(data).get("text")) for i, ts, data in rows]


def _all_events_in_order(services, sender: str) -> bool:
    with services.tracker_connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT id, timestamp FROM events WHERE sender_id = %s ORDER BY id", (sender,))
        rows = cur.fetchall()
    stamps = [ts for _, ts in rows]
    return bool(rows) and stamps == sorted(stamps)


def test_migration_runs_on_postgresql_with_the_append_only_register(topology):
    services = topology.services
    # Even the tables' owner meets the triggers (tests/topology/test_register_role.py: the app's
    # runtime role is refused before that, by its privileges).
    with services.owner_connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT version_num FROM alembic_version")
        assert cur.fetchone()[0]
        cur.execute(
            "INSERT INTO optout_events (subject, scope, action, channel, method,"
            " notice_version, at) VALUES ('s', 'sms', 'opt_out', 'sms', 'text', 'v1', now())"
            " RETURNING id")
        row_id = cur.fetchone()[0]
        conn.commit()
        for statement in ("UPDATE optout_events SET scope = 'data_use' WHERE id = %s",
                          "DELETE FROM optout_events WHERE id = %s"):
            with pytest.raises(psycopg2.Error, match="append-only"):
                cur.execute(statement, (row_id,))
            conn.rollback()
        cur.execute("SELECT scope FROM optout_events WHERE id = %s", (row_id,))
        assert cur.fetchone()[0] == "sms"


def test_a_form_question_asked_on_one_replica_is_answered_on_the_other(topology):
    sender = f"topology-{uuid.uuid4().hex}"
    served_before = len(topology.proxy.served)
    texts = [SCENARIO["greeting"], SCENARIO["trigger"], SCENARIO["answer"]]
    replies = [_rasa_send(topology, sender, text) for text in texts]
    replicas = [s.replica for s in topology.proxy.served[served_before:] if s.sender == sender]
    assert len(replicas) == 3 and replicas[1] != replicas[2], replicas

    # The replica that asked for the slot is not the one that received the answer, yet the
    # answer filled the slot: the context came from the shared tracker store.
    asked_on, answered_on = replicas[1], replicas[2]
    asked = " ".join(m.get("text", "") for m in replies[1]["messages"]).lower()
    assert SCENARIO["slot"] in asked or "postcode" in asked, asked
    slots = _stored_slots(topology.services, sender)  # what the asking replica reads back
    assert slots.get(SCENARIO["slot"]) == SCENARIO["answer"], slots
    assert slots.get("requested_slot") != SCENARIO["slot"]
    assert answered_on != asked_on

    events = _user_events(topology.services, sender)
    assert [text for _, _, text in events] == texts
    assert _all_events_in_order(topology.services, sender)


def test_web_chat_through_gunicorn_alternates_replicas_without_losing_order(topology):
    web = requests.Session()
    texts = [SCENARIO["greeting"], SCENARIO["trigger"], SCENARIO["answer"], SCENARIO["later"]]
    served_before = len(topology.proxy.served)
    for text in texts:
        r = web.post(f"{topology.base_url}/api/chat", json={"text": text}, timeout=30)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["replies"], body
        assert body["state"] == "bot", body  # no failure handoff anywhere
    calls = topology.proxy.served[served_before:]
    sender = calls[0].sender
    assert [c.text for c in calls] == texts and {c.sender for c in calls} == {sender}
    assert {c.replica for c in calls} == {0, 1}
    assert [text for _, _, text in _user_events(topology.services, sender)] == texts
    assert _all_events_in_order(topology.services, sender)
    with topology.services.app_connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT text FROM messages WHERE conversation_id = %s AND sender = 'resident' "
                    "ORDER BY id", (sender,))
        assert [row[0] for row in cur.fetchall()] == texts


def test_concurrent_conversations_share_replicas_under_redis_locks(topology):
    redis = topology.services.redis()
    before = redis.info("commandstats").get("cmdstat_set", {}).get("calls", 0)
    texts = [SCENARIO["greeting"], SCENARIO["trigger"], SCENARIO["answer"], SCENARIO["later"]]
    senders = [f"topology-load-{i}-{uuid.uuid4().hex[:8]}" for i in range(12)]
    errors: list[str] = []

    def talk(sender: str) -> None:
        try:
            for text in texts:
                _rasa_send(topology, sender, text)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(f"{sender}: {exc!r}")

    threads = [threading.Thread(target=talk, args=(s,)) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    for sender in senders:
        served = {s.replica for s in topology.proxy.served if s.sender == sender}
        assert served == {0, 1}, (sender, served)
        assert [text for _, _, text in _user_events(topology.services, sender)] == texts
        assert _all_events_in_order(topology.services, sender)
    # Every message took a conversation lock in Redis (the lock store is really in use).
    after = redis.info("commandstats").get("cmdstat_set", {}).get("calls", 0)
    assert after - before >= len(senders) * len(texts)


def test_production_endpoints_take_every_value_from_the_environment():
    text = (ROOT / "deploy" / "endpoints.production.yml").read_text()
    for var in ("RASA_TRACKER_DB_HOST", "RASA_TRACKER_DB_PORT", "RASA_TRACKER_DB_NAME",
                "RASA_TRACKER_DB_USER", "RASA_TRACKER_DB_PASSWORD", "REDIS_HOST", "REDIS_PORT",
                "REDIS_PASSWORD", "RASA_LOCK_REDIS_DB", "ACTION_ENDPOINT_URL"):
        assert "${" + var + "}" in text
    assert 'dialect: postgresql' in text and "type: redis" in text
