#!/usr/bin/env bash
# Installs what is missing: Python 3.10 venv with pinned packages, Redis server, demo store DB.
source "$(dirname "$0")/lib.sh"
ensure_venv
ensure_redis_server
ensure_store_db
log "setup complete"
