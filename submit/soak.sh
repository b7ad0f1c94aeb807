#!/usr/bin/env bash
# The soak: the tiny model trained for many epochs under parameter averaging on a standalone cluster of two
# executor JVMs on this machine, one executor killed (SIGKILL) every few epochs; prints the driver's and each
# executor's resident memory at the end of every epoch, the kills, and whether the run finished and published.
#   submit/soak.sh [--epochs 30] [--kill-every 5]
# Needs the test classes (the cluster harness is test code) and the cluster jar, built when missing or stale.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/submit/lib/harness.sh"
run_harness "$root" io.seresnext.job.bench.SoakBenchmark "$@"
