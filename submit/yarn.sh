#!/usr/bin/env bash
# Submit the job to YARN:
#   submit/yarn.sh [--dry-run] train --input hdfs://... --output hdfs://...
# Everything after the script name (but a leading --dry-run, which only prints the command) goes to the job.
# Environment: SPARK_HOME (default /opt/spark), HADOOP_CONF_DIR (the cluster's configuration, as spark-submit
# needs it), DEPLOY_MODE (cluster, the default, or client), SPARK_PROPERTIES (extra properties files,
# colon-separated, applied last). Spark settings: conf/spark/common.properties and conf/spark/yarn.properties.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/launch.sh"
mode="${DEPLOY_MODE:-cluster}"
if [[ "$mode" != cluster && "$mode" != client ]]; then
  echo "yarn.sh: DEPLOY_MODE must be cluster or client, got '$mode'" >&2
  exit 2
fi
launch yarn yarn "$mode" "$@"
