#!/usr/bin/env bash
# Sets up and runs the whole test suite: lint, data validation, unit, conversation and integration tests.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
ensure_chromium
train_if_needed
log "lint"
"$ROOT/scripts/lint.sh"
log "data validation (rasa data validate, strict)"
python -m scripts.validate_data 2>"$VAR/validate.log" || { grep -v "^\s*$" "$VAR/validate.log" | tail -30; die "data validation failed"; }
log "test conversations (rasa test --fail-on-prediction-errors)"
rasa test core --stories tests/stories --model "$MODEL_DIR" --fail-on-prediction-errors \
  --out results >"$VAR/rasa-test.log" 2>&1 || { tail -40 "$VAR/rasa-test.log"; cat results/failed_test_stories.yml 2>/dev/null; die "test conversations failed"; }
grep -E "Correct:|Accuracy:" "$VAR/rasa-test.log" | head -4 || true
log "pytest"
python -m pytest "$@"
