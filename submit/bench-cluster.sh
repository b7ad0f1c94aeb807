#!/usr/bin/env bash
# The equivalence benchmark: seresnext11_4x8d_tiny with one recipe, global batch and epoch count, trained by the
# PyTorch reference (torch), one DL4J worker (one), both training masters with two workers in one JVM (pa1, gs1)
# and across two executor JVMs of a standalone cluster on this machine (pa2, gs2); prints validation top-1 and
# loss, wall time and bytes sent per iteration of each, and the mean over seeds against the one-worker baseline.
#   submit/bench-cluster.sh [--datasets shapes,digits] [--seeds 1,2] [--epochs 6] [--global-batch 64]
#       [--per-class 200] [--averaging-frequency 4] [--runs torch,one,pa1,gs1,pa2,gs2] [--set KEY=VALUE]...
# shapes: drawn PNGs (6 classes, --per-class training images each); digits: scikit-learn's handwritten digits
# (submit/reference/digits_to_folder.py). torch and digits need: apt-get install python3-torch python3-torchvision
# python3-sklearn. --set adds a job setting to every DL4J run.
# Needs the test classes (the cluster harness is test code) and the cluster jar: `mvn -B package -DskipTests`
# builds both, and this script runs it when either is missing or older than the sources.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/submit/lib/harness.sh"
run_harness "$root" io.seresnext.job.bench.ClusterBenchmark "$@"
