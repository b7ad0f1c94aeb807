#!/usr/bin/env bash
# Two executor JVMs against one JVM (issue: cluster launch): trains seresnext11_4x8d_tiny on a drawn shapes dataset
# with each training master in local mode (one JVM) and on a standalone cluster of two Workers on this machine (two
# executor JVMs), and prints validation accuracy, wall time and gradient sharing's bytes per iteration.
#   submit/bench-cluster.sh [EPOCHS (6)] [TRAINING IMAGES PER CLASS (200)]
# Needs the test classes (the cluster harness is test code): builds them and the cluster jar when missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ ! -f spark-job/target/spark-job-cluster.jar || ! -d spark-job/target/test-classes ]]; then
  mvn -B -q -Dstyle.color=never install -DskipTests >&2
fi
mvn -B -q -Dstyle.color=never -pl spark-job dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/test-classpath.txt >&2
mapfile -t java17 < <(grep -v '^#' conf/java17-options)
exec java -Xmx2g "${java17[@]}" -Dseresnext.root="$root" -Dseresnext.java17.opens="${java17[*]}" \
  -Dlog4j.configurationFile="$root/conf/log4j2.properties" \
  -cp "spark-job/target/test-classes:spark-job/target/classes:$(cat spark-job/target/test-classpath.txt)" \
  io.seresnext.job.bench.ClusterBenchmark "$@"
