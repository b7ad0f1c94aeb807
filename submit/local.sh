#!/usr/bin/env bash
# Run the job's jar on this machine, Spark embedded (local[*]): `submit/local.sh train [options]`,
# `submit/local.sh prepare ...`, `submit/local.sh models`, `submit/local.sh bench-model --preset NAME ...`.
# `submit/local.sh train` with no options trains the demo (conf/demo.conf) and prints the validation accuracy.
# Builds the jar first when it is missing or older than any source or pom. Options go to the job unchanged.
# Environment: JAVA_OPTS (default -Xmx4g), OMP_NUM_THREADS (default: all cores).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/spark-job/target/spark-job.jar"
classpath_file="$root/spark-job/target/runtime-classpath.txt"

source "$root/submit/lib/build.sh"
build_if_stale "$root" main "$jar" "$classpath_file"

# `train` alone runs the embedded demo preset
if [[ $# -eq 1 && "$1" == "train" ]]; then
  set -- train --config "$root/conf/demo.conf"
fi

mapfile -t java17 < <(grep -v '^#' "$root/conf/java17-options")
mapfile -t dl4j < <(grep -v '^#' "$root/conf/dl4j-options")
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:--Xmx4g} "${java17[@]}" "${dl4j[@]}" \
  -Dlog4j.configurationFile="$root/conf/log4j2.properties" \
  -cp "$jar:$(cat "$classpath_file")" io.seresnext.job.Main "$@"
