#!/usr/bin/env bash
# One scheduled retraining run, safe to repeat with the same RUN_ID (a scheduler's retry or a double fire):
# train on the new data warm-started from the registry's current version, register the model, promote it only
# through the quality gate, then score a folder with whatever version is current.
#   submit/retrain.sh [--dry-run] RUN_ID
# Environment (Hadoop URIs): INPUT (the training data), RUNS (one output folder per run: RUNS/RUN_ID), REGISTRY,
# EVAL (the fixed evaluation set the gate scores both versions on); optional: SCORE and PREDICTIONS (score the
# images under SCORE into PREDICTIONS/RUN_ID), LAUNCHER (local, the default, standalone or yarn: which submit/
# script runs the job), TRAIN_OPTIONS (more train options, e.g. "--config conf/imagenet-seresnext50.conf").
# Train runs with --rerun-safe: an interrupted run resumes, a finished one is not trained, registered or gated again.
# Exit status: 0 done; 3 trained and registered, not promoted (the scoring still ran, with the current version);
# 1 failed; 2 bad input. --dry-run prints the commands instead of running them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dry_run=false
if [[ "${1:-}" == "--dry-run" ]]; then
  dry_run=true
  shift
fi
run_id="${1:?usage: submit/retrain.sh [--dry-run] RUN_ID}"
[[ "$run_id" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "retrain: RUN_ID '$run_id' must be letters, digits, . _ -" >&2; exit 2; }
: "${INPUT:?set INPUT}" "${RUNS:?set RUNS}" "${REGISTRY:?set REGISTRY}" "${EVAL:?set EVAL}"
case "${LAUNCHER:-local}" in
  local | standalone | yarn) launcher="$here/${LAUNCHER:-local}.sh" ;;
  *) echo "retrain: LAUNCHER must be local, standalone or yarn, got '$LAUNCHER'" >&2; exit 2 ;;
esac

job() {
  if [[ $dry_run == true ]]; then
    echo "$launcher $*"
  else
    "$launcher" "$@"
  fi
}

read -r -a extra <<< "${TRAIN_OPTIONS:-}"
status=0
job train "${extra[@]}" --input "$INPUT" --output "${RUNS%/}/$run_id" --rerun-safe \
  --init-model "$REGISTRY" --register "$REGISTRY" --promote-if "$EVAL" || status=$?
if [[ $status -ne 0 && $status -ne 3 ]]; then
  exit "$status"
fi
if [[ -n "${SCORE:-}" ]]; then
  # rescoring on a rerun repeats work but is safe: Spark's commit protocol replaces the output whole
  job predict --model "$REGISTRY" --input "$SCORE" --output "${PREDICTIONS:?set PREDICTIONS with SCORE}/$run_id" \
    --overwrite
fi
exit "$status"
