#!/usr/bin/env bash
# `make run`: prepare everything with one short line per step, then start every Procfile process
# under supervisord (a process that dies is restarted; the others keep serving) and print where
# to open the product once all of them are healthy. Ctrl-C stops everything.
# Third-party output (pip, alembic, Rasa, TensorFlow) goes to var/log/, not the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/progress.sh

bash scripts/install.sh
source scripts/env.sh
step "building assets" bash scripts/build_assets.sh
step "migrating the database" .venv/bin/contact-assistant db upgrade
step "loading the sample council data" .venv/bin/contact-assistant data load-sample
step "training the assistant (about 2 minutes the first time)" bash scripts/train.sh
conf=$(.venv/bin/python -m contact_assistant.supervise --banner)
say "starting $(grep -cE '^[A-Za-z0-9_-]+:' Procfile) processes (logs in ${VAR_DIR#$PWD/}/log/)"
exec .venv/bin/supervisord -n -c "$conf"
