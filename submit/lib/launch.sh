#!/usr/bin/env bash
# Shared by submit/standalone.sh and submit/yarn.sh: builds the spark-submit command for the cluster jar from
# conf/ (conf/spark/common.properties, conf/spark/<engine>.properties, then $SPARK_PROPERTIES if set; the JVM
# options from conf/java17-options and conf/dl4j-options), prints it, and runs it. The cluster jar is built first
# when it is missing or older than the sources. With spark.authenticate on, a standalone launch passes the secret
# file $SPARK_AUTH_SECRET_FILE to spark-submit as its --properties-file (checked first; README, Security).
#   launch ENGINE MASTER DEPLOY_MODE [--dry-run] JOB_ARGS...
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/submit/lib/build.sh"

# The standalone cluster's shared secret: a Spark properties file with a spark.authenticate.secret line, readable by
# its owner only. Spark 3.5 reads secret files on Kubernetes only, and its driver requires the secret in its
# configuration: as a properties file it reaches the driver without being on any command line (`ps`).
secret_file() {
  local file="${SPARK_AUTH_SECRET_FILE:-}"
  if [[ -z "$file" ]]; then
    echo "launch: spark.authenticate is on: set SPARK_AUTH_SECRET_FILE to the cluster's secret file" \
      "(README, Security)" >&2
    return 2
  fi
  if [[ ! -f "$file" || ! -r "$file" ]]; then
    echo "launch: SPARK_AUTH_SECRET_FILE '$file' is not a readable file" >&2
    return 2
  fi
  if [[ "$(stat -c %a "$file")" != [0-7]00 ]]; then
    echo "launch: SPARK_AUTH_SECRET_FILE '$file' is readable by others: chmod 600 it" >&2
    return 2
  fi
  if ! grep -Eq '^[[:space:]]*spark\.authenticate\.secret[[:space:]]*[=:][[:space:]]*[^[:space:]]' "$file"; then
    echo "launch: SPARK_AUTH_SECRET_FILE '$file' has no spark.authenticate.secret line" >&2
    return 2
  fi
  echo "$file"
}

jvm_options() { # a file of options, one per line, '#' comments -> one line
  grep -v '^\s*#' "$1" | grep -v '^\s*$' | tr '\n' ' '
}

launch() {
  local engine=$1 master=$2 deploy_mode=$3
  shift 3
  local dry_run=false
  if [[ "${1:-}" == "--dry-run" ]]; then
    dry_run=true
    shift
  fi
  local jar="$root/spark-job/target/spark-job-cluster.jar"
  [[ $dry_run == true ]] || build_if_stale "$root" main "$jar"
  local submit="${SPARK_HOME:-/opt/spark}/bin/spark-submit"
  local common_jvm
  common_jvm="$(jvm_options "$root/conf/java17-options")$(jvm_options "$root/conf/dl4j-options")"
  local executor_jvm="" driver_jvm=""
  local -a confs=()
  local file key value auth=false
  # SPARK_PROPERTIES: a colon-separated list, like PATH (no word splitting, so a path may hold spaces)
  local -a site=()
  [[ -n "${SPARK_PROPERTIES:-}" ]] && IFS=: read -r -a site <<< "$SPARK_PROPERTIES"
  for file in "$root/conf/spark/common.properties" "$root/conf/spark/$engine.properties" "${site[@]}"; do
    [[ -f "$file" ]] || { echo "launch: no properties file '$file' (SPARK_PROPERTIES)" >&2; return 2; }
    while IFS= read -r line || [[ -n "$line" ]]; do
      [[ -z "${line// }" || "$line" =~ ^[[:space:]]*# ]] && continue
      key="${line%%=*}"
      value="${line#*=}"
      case "$key" in
        seresnext.executor.jvm) executor_jvm="$value" ;;
        seresnext.driver.jvm) driver_jvm="$value" ;;
        *) confs+=(--conf "$key=$value") ;;
      esac
      [[ "$key" == spark.authenticate ]] && auth="$value"
    done < "$file"
  done
  # YARN generates the secret of each application and hands it to the executors itself
  local -a secret=()
  if [[ "$engine" == standalone && "$auth" == true ]]; then
    local path
    path="$(secret_file)" || return 2
    secret=(--properties-file "$path")
  fi
  # in cluster deploy mode the driver runs in the cluster, next to the shipped copy of log4j2.properties
  local driver_log4j="$root/conf/log4j2.properties"
  [[ "$deploy_mode" == "cluster" ]] && driver_log4j="log4j2.properties"
  local -a cmd=("$submit" --master "$master" --deploy-mode "$deploy_mode" --name "seresnext"
    --class io.seresnext.job.Main --files "$root/conf/log4j2.properties"
    --driver-java-options "$common_jvm$driver_jvm -Dlog4j.configurationFile=$driver_log4j"
    --conf "spark.executor.extraJavaOptions=$common_jvm$executor_jvm -Dlog4j.configurationFile=log4j2.properties"
    "${secret[@]}" "${confs[@]}" "$jar" "$@")
  printf '%q ' "${cmd[@]}"
  echo
  if [[ $dry_run == false ]]; then
    exec "${cmd[@]}"
  fi
}
