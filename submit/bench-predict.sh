#!/usr/bin/env bash
# predict's throughput per core against bench-model --forward-only for the same model: publishes an untrained
# model of the preset, scores drawn PNGs with the whole predict job in local Spark (one task per core, one ND4J
# thread per task), times the bare forward pass in the same JVM, and prints both and their ratio.
#   submit/bench-predict.sh [--preset seresnext11_4x8d_tiny] [--image-size 32] [--stored-size 36] [--images 1200]
#       [--cores 1] [--batch 32] [--passes 3] [--steps 50]
# Needs the test classes (the benchmark is test code): `mvn -B package -DskipTests` builds them, and this script
# runs it when they are missing or older than the sources.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source submit/lib/build.sh
build_if_stale "$root" tests spark-job/target/spark-job.jar spark-job/target/test-classpath.txt \
  spark-job/target/test-classes
mapfile -t java17 < <(grep -v '^#' conf/java17-options)
# per core: one ND4J thread per Spark task, and the same single thread for the forward-only figure
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
exec java -Xmx2g "${java17[@]}" -Dlog4j.configurationFile="$root/conf/log4j2.properties" \
  -cp "spark-job/target/test-classes:spark-job/target/classes:$(cat spark-job/target/test-classpath.txt)" \
  io.seresnext.job.bench.PredictBenchmark "$@"
