.DEFAULT_GOAL := help
SHELL := /bin/bash
DATASET ?= ../shared/datasets/banking77

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: ## Install what is missing: .venv with pinned packages, Redis server, demo store DB
	@scripts/setup.sh

run: ## Set up, train if the data changed, start Redis + action server + Rasa, print the URLs
	@scripts/run.sh

status: ## With `make run` up: each process under supervisord (state, pid, uptime)
	@source scripts/lib.sh && ensure_secrets && supervisor_env && supervisorctl -c scripts/supervisord.conf status

test: ## Set up and run the whole test suite (lint, validate, conversations, pytest)
	@scripts/test.sh

lint: ## ruff + mypy
	@scripts/lint.sh

train: ## Train the model if the training data changed (FORCE=1 to always train)
	@source scripts/lib.sh && python -m scripts.train_if_needed $(if $(FORCE),--force,)

validate: ## rasa data validate (strict) plus the knowledge-base checks
	@source scripts/lib.sh && python -m scripts.validate_data

bench: ## NLU held-out accuracy; with `make run` up, also reply latency and live-handoff latency
	@source scripts/lib.sh && python -m scripts.evaluate_nlu
	@source scripts/lib.sh && if gateway_ready; then python -m scripts.bench_gateway && python -m scripts.bench_handoff; else echo "gateway not running: start 'make run' for the latency benchmarks"; fi

bench-editing: ## Live phrasings and retraining strategies (offline); with `make run` up, time to live of edits and latency during a swap
	@source scripts/lib.sh && python -m scripts.evaluate_live_phrasings
	@source scripts/lib.sh && python -m scripts.bench_retraining
	@source scripts/lib.sh && if gateway_ready; then python -m scripts.bench_editing; else echo "gateway not running: start 'make run' for the time-to-live benchmark"; fi

retrain: ## Retrain after editing knowledge files in git: train, check held-out accuracy, swap into the running Rasa
	@source scripts/lib.sh && ensure_secrets && python -m bot.admin retrain

user: ## Create a console user: make user NAME=mina ROLE=agent|editor|admin DISPLAY=Mina (asks for the password)
	@source scripts/lib.sh && python -m bot.admin add-user "$(NAME)" --role "$(ROLE)" --display-name "$(DISPLAY)"

unlock: ## Lift the lockout that wrong passwords put on a console account: make unlock NAME=mina
	@source scripts/lib.sh && python -m bot.admin unlock "$(NAME)"

bench-nlu: ## Benchmark the config.yml NLU pipeline on a public data set (DATASET=path, default BANKING77)
	@source scripts/lib.sh && python -m scripts.bench_nlu $(DATASET) --name project_pipeline

calibrate-oos: ## Choose the out-of-scope threshold/margin on validation, report the test split (needs `make train`)
	@source scripts/lib.sh && python -m scripts.calibrate_oos

backup: ## Back up Redis (RDB + AOF), the knowledge files and their change log into var/backups/ (BACKUP_DIR=dir)
	@source scripts/lib.sh && python -m scripts.backup backup

restore: ## With everything stopped: make restore FILE=var/backups/maru-backup-<time>.tar.gz (checks it first)
	@source scripts/lib.sh && python -m scripts.backup restore "$(FILE)"

constraints: ## Re-pin constraints.txt from the current .venv
	@source scripts/lib.sh && { echo "# Pinned versions of every package in .venv. Regenerate with: make constraints"; \
	  echo "setuptools==70.3.0"; pip freeze --exclude-editable | grep -v '^setuptools=='; } > constraints.txt

.PHONY: help setup run status test lint train validate bench bench-nlu bench-editing calibrate-oos retrain user unlock backup restore constraints
