"""On PostgreSQL the app runs as a role that does not own the tables: it can add to the opt-out
register but never change, delete, truncate or un-guard it (storage/roles.py).

Before: the app's role owned every table, so it could TRUNCATE the register or drop the
append-only triggers."""

from __future__ import annotations

import os
import secrets
import subprocess

import psycopg2
import pytest

from tests.stack import ROOT, VENV_BIN

REFUSED = [
    "UPDATE optout_events SET scope = 'data_use'",
    "DELETE FROM optout_events",
    "TRUNCATE optout_events",
    "DROP TRIGGER optout_events_no_change ON optout_events",
    "ALTER TABLE optout_events DISABLE TRIGGER ALL",
    "DROP TABLE optout_events",
    "UPDATE alembic_version SET version_num = 'x'",
    "CREATE TABLE sneaky (id int)",
]


@pytest.fixture(scope="module")
def migrated(services):
    env = {**os.environ, **services.env,
           **{k: secrets.token_urlsafe(32) for k in ("SECRET_KEY", "RASA_TOKEN",
                                                      "OPTOUT_HMAC_KEY", "TWILIO_AUTH_TOKEN")}}
    out = subprocess.run([str(VENV_BIN / "contact-assistant"), "db", "upgrade"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "runtime role council_app: granted" in out.stdout
    return services


def _insert_event(cur) -> int:
    cur.execute("INSERT INTO optout_events (subject, scope, action, channel, method,"
                " notice_version, at) VALUES ('s', 'sms', 'opt_out', 'sms', 'text', 'v1', now())"
                " RETURNING id")
    return cur.fetchone()[0]


def test_the_app_role_is_not_the_owner(migrated):
    with migrated.app_connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT current_user, tableowner FROM pg_tables "
                    "WHERE schemaname = 'public' AND tablename = 'optout_events'")
        user, owner = cur.fetchone()
    assert (user, owner) == ("council_app", "council")


def test_the_app_role_adds_to_the_register_and_works_on_other_tables(migrated):
    with migrated.app_connection() as conn, conn.cursor() as cur:
        event = _insert_event(cur)
        cur.execute("INSERT INTO optout_words (event_id, utterance) VALUES (%s, 'STOP')", (event,))
        cur.execute("DELETE FROM optout_words WHERE event_id = %s", (event,))  # erasure
        cur.execute("SELECT count(*) FROM optout_events WHERE id = %s", (event,))
        assert cur.fetchone()[0] == 1
        conn.commit()
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename NOT IN ('optout_events', 'alembic_version')")
        tables = [row[0] for row in cur.fetchall()]
        assert "optout_words" in tables
        for table in tables:  # (has_table_privilege is true for ANY of a list: ask one by one)
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE"):
                cur.execute("SELECT has_table_privilege(%s, %s)", (f"public.{table}", privilege))
                assert cur.fetchone()[0], (table, privilege)


@pytest.mark.parametrize("statement", REFUSED)
def test_the_app_role_cannot_change_lose_or_unguard_the_register(migrated, statement):
    with migrated.app_connection() as conn, conn.cursor() as cur:
        _insert_event(cur)
        conn.commit()
        with pytest.raises(psycopg2.Error, match="permission denied|must be owner"):
            cur.execute(statement)
        conn.rollback()
    with migrated.owner_connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'optout_events_no_change' "
                    "AND tgenabled <> 'D'")
        assert cur.fetchone()[0] == 1
        cur.execute("SELECT count(*) FROM optout_events WHERE scope = 'data_use'")
        assert cur.fetchone()[0] == 0
