#!/usr/bin/env bash
# Sets everything up and starts Redis, the action server and the Rasa server.
# Ctrl-C stops the processes it started; Redis keeps its data in var/redis.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
ensure_secrets
start_redis
train_if_needed

cleanup() { stop_pidfile "$VAR/gateway.pid"; stop_pidfile "$VAR/rasa.pid"; stop_pidfile "$VAR/actions.pid"; }
trap cleanup EXIT INT TERM
log "starting the action server"
start_actions
log "starting the Rasa server (about 30 s)"
start_rasa
log "starting the gateway"
start_gateway

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
    Telegram:                                             $telegram_mode
    Rasa server (loopback, API token in var/secrets.env): $RASA_URL
    Action server (loopback):                             http://127.0.0.1:$ACTIONS_PORT
    Redis (AOF in var/redis):                             $REDIS_URL
  Talk to Rasa directly:  curl -s $RASA_URL/webhooks/rest/webhook -d '{"sender":"me","message":"hi"}'
  Logs in var/log/. Press Ctrl-C to stop.

MSG
wait
