#!/usr/bin/env bash
# The soak: the tiny model trained for many epochs under parameter averaging on a standalone cluster of two
# executor JVMs on this machine, one executor killed (SIGKILL) every few epochs; prints the driver's and each
# executor's resident memory at the end of every epoch, the kills, and whether the run finished and published.
#   submit/soak.sh [--epochs 30] [--kill-every 5] [--full-gc-every 0]
# --full-gc-every N: every N epochs, force a full collection in each executor and print its resident memory after it
# and again after trimming glibc's heap (what falls after the collection was garbage waiting for it; after the trim,
# freed memory the allocator kept; what stays was retained).
# Needs the test classes (the cluster harness is test code) and the cluster jar, built when missing or stale.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/submit/lib/harness.sh"
run_harness "$root" io.seresnext.job.bench.SoakBenchmark "$@"
