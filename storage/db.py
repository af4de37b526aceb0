"""Engine and session factory. One `Database` per app; sessions are short-lived."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool


class DatabaseUnavailable(SQLAlchemyError):
    """The database cannot be reached: callers answer 503, never half-write.

    A SQLAlchemyError, so code that already handles database errors keeps working."""


def make_engine(url: str) -> Engine:
    """hide_parameters: a database error's text never carries the bound values (a resident's
    phone number or words) into logs and tracebacks."""
    if url.startswith("sqlite"):
        # A pool of open connections, as SQLAlchemy 2.0 does for SQLite files (1.4 opens and
        # closes one per session: the close checkpoints the WAL, ~1 ms of a web turn's ~16 ms).
        engine = create_engine(
            url, future=True, hide_parameters=True, poolclass=QueuePool, pool_size=10,
            max_overflow=20,
            connect_args={"check_same_thread": False, "timeout": 15},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - driver hook
            cur = dbapi_conn.cursor()
            # WAL lets the web app read while the action server writes cases.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=15000")
            cur.close()

        return engine
    return create_engine(url, future=True, hide_parameters=True, pool_pre_ping=True,
                         pool_size=10, max_overflow=20)


def _quiet_rollback(session: Session) -> None:
    with contextlib.suppress(Exception):  # the connection is already gone
        session.rollback()


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, future=True, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any error."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except (OperationalError, DBAPIError) as exc:
            _quiet_rollback(session)
            if isinstance(exc, OperationalError) or exc.connection_invalidated:
                # Nothing was committed: the caller answers 503 and the resident can retry.
                raise DatabaseUnavailable(type(exc.orig).__name__) from exc
            raise
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def create_all(self) -> None:
        """Tests only: build the schema from the models, plus the append-only triggers."""
        from storage.models import Base, install_append_only_guards

        Base.metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            install_append_only_guards(conn)
