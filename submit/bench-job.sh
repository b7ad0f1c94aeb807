#!/usr/bin/env bash
# The training job's throughput against the training step's (bench-model) at the same preset, input, per-worker
# batch and cores, in one sitting: parameter averaging and gradient sharing with one worker on both cores in local
# mode (pa-local, gs-local), and across two one-core executor JVMs of a standalone cluster on this machine
# (pa-cluster, gs-cluster), against two one-thread steps run at once. Prints images/sec over the fit and over the
# whole epoch, and their ratio to the step.
#   submit/bench-job.sh [--preset seresnext29_8x16d_w1] [--image-size 28] [--batch 64] [--per-class 400]
#       [--epochs 3] [--runs pa-local,gs-local,pa-cluster,gs-cluster] [--set KEY=VALUE]...
# Trains on drawn shapes (6 classes, --per-class training images each). Builds what is stale first (the cluster
# harness is test code).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/submit/lib/harness.sh"
run_harness "$root" io.seresnext.job.bench.JobThroughputBenchmark "$@"
