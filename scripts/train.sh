#!/usr/bin/env bash
# Train the Rasa model only when training data, domain or config changed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
.venv/bin/python -m bot.spacy_pipeline >/dev/null
digest=$( (find data bot/domain.yml config.yml -type f -name '*.yml' | sort | xargs cat; \
           cat var/spacy/council_en/council_fingerprint.txt) | sha256sum | cut -d' ' -f1)
if [[ -f models/council.tar.gz && -f models/council.stamp && "$(cat models/council.stamp)" == "$digest" ]]; then
  echo "train: model is up to date"
  exit 0
fi
start=$(date +%s)
.venv/bin/rasa train --config config.yml --domain bot/domain.yml --data data \
  --out models --fixed-model-name council --quiet
echo "$digest" > models/council.stamp
echo "train: trained in $(( $(date +%s) - start ))s"
