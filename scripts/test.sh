#!/usr/bin/env bash
# Sets up and runs the whole test suite: lint, data validation, unit, conversation and integration tests.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
train_if_needed
log "lint"
"$ROOT/scripts/lint.sh"
log "rasa data validate"
rasa data validate --fail-on-warnings >"$VAR/validate.log" 2>&1 || { cat "$VAR/validate.log"; die "rasa data validate failed"; }
log "test conversations (rasa test --fail-on-prediction-errors)"
rasa test core --stories tests/stories --model "$MODEL_DIR" --fail-on-prediction-errors \
  --out results >"$VAR/rasa-test.log" 2>&1 || { tail -40 "$VAR/rasa-test.log"; cat results/failed_test_stories.yml 2>/dev/null; die "test conversations failed"; }
grep -E "Correct:|Accuracy:" "$VAR/rasa-test.log" | head -4 || true
log "pytest"
python -m pytest "$@"
