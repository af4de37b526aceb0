#!/usr/bin/env bash
# Reproducible install into .venv from requirements/lock.txt.
# rasa and rasa-sdk declare Python <3.11 but run on 3.11, so only they are
# installed with --no-deps --ignore-requires-python; everything else comes
# from the lock through pip's normal resolver. Skips all work when the lock,
# pyproject and front-end lock have not changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
VENV=.venv
STAMP=$VENV/.install-stamp
RASA_PINS="rasa==3.6.21 rasa-sdk==3.6.2"

inputs=(requirements/lock.txt pyproject.toml)
[[ -f package-lock.json ]] && inputs+=(package-lock.json)
digest=$(cat "${inputs[@]}" | sha256sum | cut -d' ' -f1)
if [[ -f $STAMP && "$(cat "$STAMP")" == "$digest" && -x $VENV/bin/rasa ]]; then
  exit 0
fi

start=$(date +%s)
[[ -x $VENV/bin/python ]] || "$PYTHON" -m venv "$VENV"
# pip warns about every missing local mirror folder; keep real errors only.
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@" 2> >(grep -v "^WARNING: Location" >&2); }
pip install -r requirements/lock.txt
pip install --no-deps --ignore-requires-python $RASA_PINS
pip install --no-deps --no-build-isolation -e .
"$VENV/bin/python" -c "import rasa, rasa_sdk, flask, twilio, spacy, sqlalchemy" 2>/dev/null \
  || { echo "install: import check failed" >&2; exit 1; }

if [[ -f package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "$digest" > "$STAMP"
echo "install: done in $(( $(date +%s) - start ))s"
