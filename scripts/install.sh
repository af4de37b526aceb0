#!/usr/bin/env bash
# Reproducible install into .venv from requirements/lock.txt.
# rasa and rasa-sdk declare Python <3.11 but run on 3.11, so only they are
# installed with --no-deps --ignore-requires-python; everything else comes
# from the lock through pip's normal resolver. Skips all work when the lock,
# pyproject and front-end lock have not changed since the last install.
# Prints one line per stage; pip's own output goes to var/log/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/progress.sh

PYTHON=${PYTHON:-python3.11}
VENV=.venv
STAMP=$VENV/.install-stamp
RASA_PINS="rasa==3.6.21 rasa-sdk==3.6.2"

inputs=(requirements/lock.txt pyproject.toml)
[[ -f package-lock.json ]] && inputs+=(package-lock.json)
digest=$(cat "${inputs[@]}" | sha256sum | cut -d' ' -f1)
if [[ -f $STAMP && "$(cat "$STAMP")" == "$digest" && -x $VENV/bin/rasa ]]; then
  say "installing ... up to date"
  exit 0
fi

start=$(date +%s)
[[ -x $VENV/bin/python ]] || step "creating .venv" "$PYTHON" -m venv "$VENV"
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@"; }
step "installing Python packages from the lock (about 90 s the first time)" \
  pip install -r requirements/lock.txt
# shellcheck disable=SC2086
step "installing Rasa" pip install --no-deps --ignore-requires-python $RASA_PINS
step "installing the project" pip install --no-deps --no-build-isolation -e .
step "checking imports" "$VENV/bin/python" -c "import rasa, rasa_sdk, flask, twilio, spacy, sqlalchemy"

if [[ -f package-lock.json ]]; then
  step "installing front-end packages" npm ci --no-audit --no-fund --loglevel=error
fi
echo "$digest" > "$STAMP"
say "installed in $(( $(date +%s) - start ))s"
