#!/usr/bin/env bash
# Sourced by the commands that run from the test classes because they start the project's test clusters
# (submit/bench-cluster.sh, submit/soak.sh): builds what is stale, then runs the given main class.
#   run_harness ROOT MAIN_CLASS ARGS...
source "$(dirname "${BASH_SOURCE[0]}")/build.sh"

run_harness() {
  local root=$1 main=$2
  shift 2
  cd "$root"
  build_if_stale "$root" tests spark-job/target/spark-job-cluster.jar spark-job/target/test-classpath.txt \
    spark-job/target/test-classes
  local -a java17
  mapfile -t java17 < <(grep -v '^#' conf/java17-options)
  exec java -Xmx2g "${java17[@]}" -Dseresnext.root="$root" -Dseresnext.java17.options="$root/conf/java17-options" \
    -Dlog4j.configurationFile="$root/conf/log4j2.properties" \
    -cp "spark-job/target/test-classes:spark-job/target/classes:$(cat spark-job/target/test-classpath.txt)" \
    "$main" "$@"
}
