#!/usr/bin/env bash
# Sets everything up and starts Redis, the action server and the Rasa server.
# Ctrl-C stops the processes it started; Redis keeps its data in var/redis.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
ensure_rasa_token
start_redis
train_if_needed

cleanup() { stop_pidfile "$VAR/rasa.pid"; stop_pidfile "$VAR/actions.pid"; }
trap cleanup EXIT INT TERM
log "starting the action server"
start_actions
log "starting the Rasa server (about 30 s)"
start_rasa

cat <<MSG

  Maru support assistant is running.
    Rasa server (loopback, API token in var/secrets.env): $RASA_URL
    Action server (loopback):                             http://127.0.0.1:$ACTIONS_PORT
    Redis (AOF in var/redis):                             $REDIS_URL
  Talk to it:  curl -s $RASA_URL/webhooks/rest/webhook -d '{"sender":"me","message":"hi"}'
  Logs in var/log/. Press Ctrl-C to stop.

MSG
wait
