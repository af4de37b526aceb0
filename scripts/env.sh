# Sourced by the Makefile's scripts: local defaults for the embedded set-up.
# Anything already in the environment wins; secrets come from var/secrets.env locally.
export PORT=${PORT:-8000}
# honcho overwrites PORT for each process it starts, so the Procfile binds to APP_PORT.
export APP_PORT=$PORT
export RASA_PORT=${RASA_PORT:-5005}
export ACTION_PORT=${ACTION_PORT:-5055}
export RASA_URL=${RASA_URL:-http://127.0.0.1:$RASA_PORT}
export ACTION_SERVER_URL=${ACTION_SERVER_URL:-http://127.0.0.1:$ACTION_PORT}
export ACTION_ENDPOINT_URL=${ACTION_ENDPOINT_URL:-$ACTION_SERVER_URL/webhook}
mkdir -p var
export VAR_DIR=${VAR_DIR:-$PWD/var}
export DATABASE_URL=${DATABASE_URL:-sqlite:///$VAR_DIR/app.db}
export RASA_TRACKER_DB=${RASA_TRACKER_DB:-$VAR_DIR/rasa_tracker.db}
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3}
export PYTHONWARNINGS=${PYTHONWARNINGS:-ignore}
export SQLALCHEMY_SILENCE_UBER_WARNING=1
if [[ -z ${SECRET_KEY:-} || -z ${RASA_TOKEN:-} || -z ${OPTOUT_HMAC_KEY:-} ]]; then
  .venv/bin/python -c "from core.local_secrets import ensure_local_secrets; ensure_local_secrets()"
  set -a; source "$VAR_DIR/secrets.env"; set +a
fi
