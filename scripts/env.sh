# Sourced by the Makefile's scripts: local defaults for the embedded set-up.
# A variable already set in the environment always wins, secrets included.
export PORT=${PORT:-8000}
# The Procfile binds the web app to APP_PORT (a process manager may rewrite PORT per process).
export APP_PORT=${APP_PORT:-$PORT}
export RASA_PORT=${RASA_PORT:-5005}
export ACTION_PORT=${ACTION_PORT:-5055}
export RASA_URL=${RASA_URL:-http://127.0.0.1:$RASA_PORT}
export ACTION_SERVER_URL=${ACTION_SERVER_URL:-http://127.0.0.1:$ACTION_PORT}
export ACTION_ENDPOINT_URL=${ACTION_ENDPOINT_URL:-$ACTION_SERVER_URL/webhook}
export VAR_DIR=${VAR_DIR:-$PWD/var}
mkdir -p "$VAR_DIR/log"
export DATABASE_URL=${DATABASE_URL:-sqlite:///$VAR_DIR/app.db}
export RASA_TRACKER_DB=${RASA_TRACKER_DB:-$VAR_DIR/rasa_tracker.db}
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3}
export PYTHONWARNINGS=${PYTHONWARNINGS:-ignore}
export SQLALCHEMY_SILENCE_UBER_WARNING=1
# No usage telemetry to Rasa's vendor from any Rasa process (training included), and no
# `metrics: enabled: true` written to ~/.config/rasa/global.yml by a first run.
export RASA_TELEMETRY_ENABLED=false
.venv/bin/python scripts/rasa_telemetry_off.py
# Local-only secrets, never in production (APP_ENV=production reads the environment only):
# generated once into var/secrets.env, and used only for the variables not already set.
if [[ ${APP_ENV:-development} != production ]]; then
  if [[ -z ${SECRET_KEY:-} || -z ${RASA_TOKEN:-} || -z ${OPTOUT_HMAC_KEY:-} \
        || -z ${TWILIO_AUTH_TOKEN:-} ]]; then
    .venv/bin/python -c "from core.local_secrets import ensure_local_secrets; ensure_local_secrets()"
    while IFS='=' read -r _key _value; do
      [[ $_key =~ ^[A-Z_][A-Z0-9_]*$ ]] || continue
      [[ -n ${!_key:-} ]] || export "$_key=$_value"
    done < "$VAR_DIR/secrets.env"
    unset _key _value
  fi
fi
