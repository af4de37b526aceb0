#!/usr/bin/env bash
# `make run`: prepare everything, then start the three processes under honcho and
# print where to open the product once all of them are healthy. Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/env.sh

.venv/bin/contact-assistant db upgrade
.venv/bin/contact-assistant data load-sample
bash scripts/train.sh
.venv/bin/python -m contact_assistant.wait_healthy --announce &
exec .venv/bin/honcho start -f Procfile
