#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript, spark.worker.resource.gpu.discoveryScript):
# prints the GPUs this process can see as Spark's resource JSON, e.g. {"name":"gpu","addresses":["0","1"]}.
# Addresses are CUDA device ordinals as nvidia-smi numbers them inside the container; the job's GpuBindingPlugin
# makes the ones Spark assigns the executor's only visible devices.
set -euo pipefail
if ! command -v nvidia-smi > /dev/null; then
  echo "discover-gpus.sh: nvidia-smi not found on $(hostname); is this a GPU node with the NVIDIA driver?" >&2
  exit 1
fi
addresses=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed -e 's/ //g' -e 's/.*/"&"/' | paste -sd, -)
echo "{\"name\": \"gpu\", \"addresses\": [${addresses}]}"
