#!/usr/bin/env bash
# Submit the job to a Spark standalone cluster (client deploy mode):
#   SPARK_MASTER=spark://host:7077 submit/standalone.sh [--dry-run] train --input hdfs://... --output hdfs://...
# Everything after the script name (but a leading --dry-run, which only prints the command) goes to the job.
# Environment: SPARK_HOME (default /opt/spark), SPARK_MASTER (required), SPARK_AUTH_SECRET_FILE (the cluster's
# secret, a Spark properties file of mode 600; required while spark.authenticate is on: README, Security),
# SPARK_PROPERTIES (extra properties files, colon-separated, applied last). Spark settings:
# conf/spark/common.properties and conf/spark/standalone.properties.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/launch.sh"
launch standalone "${SPARK_MASTER:?set SPARK_MASTER, e.g. spark://host:7077}" client "$@"
