#!/usr/bin/env bash
# Until the first release, the schema is one initial migration generated from
# storage/models.py. After a model change, run this to rebuild it (never after release:
# then add a new revision instead).
set -euo pipefail
cd "$(dirname "$0")/../storage"
tmp=$(mktemp -d)
rm -f migrations/versions/0001_initial_schema.py
DATABASE_URL="sqlite:///$tmp/empty.db" ../.venv/bin/alembic -c alembic.ini revision \
  --autogenerate -m "initial schema" --rev-id 0001 >/dev/null
python3 - migrations/versions/0001_initial_schema.py <<'PY'
import re, sys
path = sys.argv[1]
src = open(path).read()
src = src.replace("import sqlalchemy as sa\n",
                  "import sqlalchemy as sa\n\nfrom storage.models import install_append_only_guards\n", 1)
src = re.sub(r"(def upgrade\(\) -> None:\n(?:.*\n)*?)(\n\ndef downgrade)",
             lambda m: m.group(1) + "    # The opt-out register is append-only for every client, not just our ORM.\n"
                                    "    install_append_only_guards(op.get_bind())\n" + m.group(2),
             src, count=1)
open(path, "w").write(src)
PY
rm -rf "$tmp"
../.venv/bin/ruff check -q --fix migrations/versions/0001_initial_schema.py >/dev/null 2>&1 || true
../.venv/bin/ruff format -q migrations/versions/0001_initial_schema.py 2>/dev/null || true
echo "regenerated storage/migrations/versions/0001_initial_schema.py"
