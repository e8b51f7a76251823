#!/usr/bin/env bash
# Sets everything up, then starts Redis, the action server, Rasa and the gateway under
# supervisord (scripts/supervisord.conf), which starts again any process that dies.
# Ctrl-C stops them all; Redis keeps its data in var/redis.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
ensure_secrets
ensure_redis_server
train_if_needed

supervisor_env
if redis_ping; then
  log "using the Redis already running on port $REDIS_PORT (not supervised; stop it to have it supervised)"
  REDIS_AUTOSTART=false
fi
mkdir -p "$VAR/log" "$VAR/redis"
log "starting Redis, the action server, Rasa (about 30 s) and the gateway under supervisord"
supervisord -c "$ROOT/scripts/supervisord.conf" &
supervisor=$!
cleanup() { kill -TERM "$supervisor" 2>/dev/null || true; wait "$supervisor" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
wait_for "redis" redis_ping 20
wait_for "action server" actions_ready 60
wait_for "rasa server" rasa_ready 180
wait_for "gateway" gateway_ready 30

if [ -z "${TELEGRAM_TOKEN:-}" ]; then telegram_mode="off (set TELEGRAM_TOKEN to enable)"
elif [ -n "${PUBLIC_URL:-}" ]; then telegram_mode="webhook at $PUBLIC_URL/telegram/webhook"
else telegram_mode="polling (no PUBLIC_URL)"; fi

cat <<MSG

  Maru support assistant is running.
    Demo store with the chat widget:                      http://$GATEWAY_HOST:$GATEWAY_PORT/
    Widget for any page:  <script src="http://$GATEWAY_HOST:$GATEWAY_PORT/widget.js" defer></script>
    Agent console (create a user: make user NAME=mina ROLE=agent DISPLAY=Mina):
                                                          http://$GATEWAY_HOST:$GATEWAY_PORT/console
    Health:                                               http://$GATEWAY_HOST:$GATEWAY_PORT/health
    Prometheus metrics (bearer METRICS_TOKEN, var/secrets.env): http://$GATEWAY_HOST:$GATEWAY_PORT/metrics
    Telegram:                                             $telegram_mode
    Rasa server (loopback, API token in var/secrets.env): $RASA_URL
    Action server (loopback):                             http://127.0.0.1:$ACTIONS_PORT
    Redis (AOF in var/redis):                             $REDIS_URL
  Talk to Rasa directly (its token-protected gateway channel; Rasa's open REST channel is off):
    curl -s $RASA_URL/webhooks/gateway/webhook -H "Authorization: Bearer \$RASA_TOKEN" -d '{"sender":"me","message":"hi"}'
  supervisord starts again any process that dies; see them with:  make status
  Logs in var/log/. Press Ctrl-C to stop.

MSG
wait "$supervisor"
