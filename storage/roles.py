"""PostgreSQL: the app runs as a role that does not own the tables.

The owner role (DATABASE_OWNER_URL) runs migrations and then grants the runtime role (the user
in DATABASE_URL) what the app needs, and no more:

- SELECT, INSERT, UPDATE, DELETE on the tables, USAGE on their sequences;
- on the opt-out register (optout_events) only SELECT and INSERT: UPDATE, DELETE and TRUNCATE
  are revoked, and as a non-owner it cannot drop or disable the append-only triggers either;
- on alembic_version only SELECT: the running app never changes the schema.

So the register's guarantee holds against the app itself, not only against our ORM.
"""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REGISTER = "optout_events"
READ_ONLY = ("alembic_version",)


class RoleError(RuntimeError):
    """The runtime role cannot be set up as asked."""


def runtime_role(database_url: str) -> str | None:
    """The runtime role named in DATABASE_URL (PostgreSQL only)."""
    url = make_url(database_url)
    return url.username if url.get_backend_name() == "postgresql" else None


def grant_runtime_role(owner_url: str, role: str) -> list[str]:
    """Run as the owner after every migration (new tables need grants too). Returns the SQL."""
    engine = create_engine(owner_url, future=True, hide_parameters=True)
    try:
        if engine.dialect.name != "postgresql":
            raise RoleError("a separate runtime role needs PostgreSQL")
        quote = engine.dialect.identifier_preparer.quote
        with engine.begin() as conn:
            owner = conn.scalar(text("SELECT current_user"))
            if owner == role:
                raise RoleError(f"the runtime role must not be the owner ({role})")
            if not conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
                raise RoleError(f"role {role!r} does not exist: CREATE ROLE it first "
                                "(deploy/README.md)")
            database = conn.scalar(text("SELECT current_database()"))
            r = quote(role)
            statements = [
                f"GRANT CONNECT ON DATABASE {quote(database)} TO {r}",
                f"GRANT USAGE ON SCHEMA public TO {r}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}",
                f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {REGISTER} FROM {r}",
                *(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {t} FROM {r}" for t in READ_ONLY),
                f"REVOKE CREATE ON SCHEMA public FROM {r}",
            ]
            for statement in statements:
                conn.execute(text(statement))
        return statements
    finally:
        engine.dispose()
