#!/usr/bin/env bash
# GPU training-step throughput: builds the CUDA variant (`mvn -Pcuda`), runs bench-model for seresnext50_32x4d at
# 3x224x224 with batch 32 and 64, and shows whether the convolutions and batch norms ran on cuDNN by counting
# cuDNN's own API log entries during one extra step per batch size (a separate, untimed run: logging every call
# slows it down). Restores the CPU build when it ends.
#   submit/bench-gpu.sh [TIMED STEPS (10)]
# Needs an NVIDIA GPU and driver, the CUDA 11.6 and cuDNN 8 libraries on the loader path (ND4J 1.0.0-M2.1's CUDA
# backend is built against them), JDK 17, and Maven with access to Maven Central (the CUDA natives are 600 MB).
# Prints one JSON line per batch size (bench-model's figures) and one line of cuDNN call counts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
steps="${1:-10}"

fail() {
  echo "bench-gpu.sh: $*" >&2
  exit 2
}

command -v nvidia-smi >/dev/null || fail "no nvidia-smi: this machine has no NVIDIA driver"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 \
  || fail "nvidia-smi sees no GPU"
has_library() {
  local dir
  ldconfig -p | grep -q "$1" && return 0
  IFS=: read -ra dirs <<<"${LD_LIBRARY_PATH:-}"
  for dir in "${dirs[@]}"; do
    compgen -G "$dir/$1*" >/dev/null && return 0
  done
  return 1
}
for lib in libcudart.so.11.0 libcublas.so.11 libcusolver.so.11 libcudnn.so.8; do
  has_library "$lib" \
    || fail "$lib not found (ldconfig -p, LD_LIBRARY_PATH): ND4J's CUDA 11.6 backend needs CUDA 11.6 and cuDNN 8"
done

restore_cpu_build() {
  echo "bench-gpu.sh: restoring the CPU build" >&2
  mvn -B -q -Dstyle.color=never package -DskipTests >&2
}
trap restore_cpu_build EXIT
mvn -B -q -Dstyle.color=never -Pcuda package -DskipTests >&2
grep -q 'nd4j-cuda-11.6-1.0.0-M2.1-linux-x86_64-cudnn.jar' spark-job/target/runtime-classpath.txt \
  || fail "the -Pcuda build has no cuDNN natives on its class path"

mapfile -t java17 < <(grep -v '^#' conf/java17-options)
bench() {
  java -Xmx8g "${java17[@]}" -Dlog4j.configurationFile="$root/conf/log4j2.properties" \
    -cp "spark-job/target/spark-job.jar:$(cat spark-job/target/runtime-classpath.txt)" \
    io.seresnext.job.Main bench-model --preset seresnext50_32x4d --input 3x224x224 "$@"
}

log="$(mktemp -d)"
for batch in 32 64; do
  result="$(bench --batch "$batch" --steps "$steps" | tail -1)"
  grep -q '"backend":"JCublasBackend"' <<<"$result" || fail "batch $batch did not run on ND4J's CUDA backend: $result"
  echo "$result"
  # one more step with cuDNN's API log on (cuDNN 8: CUDNN_LOGINFO_DBG / CUDNN_LOGDEST_DBG)
  CUDNN_LOGINFO_DBG=1 CUDNN_LOGDEST_DBG="$log/cudnn-$batch.log" bench --batch "$batch" --warmup 0 --steps 1 >/dev/null
  count() { grep -c "^I! CuDNN.*function $1" "$log/cudnn-$batch.log" || true; }
  echo "batch $batch, cuDNN calls in one step: convolution forward $(count cudnnConvolutionForward)," \
    "backward data $(count cudnnConvolutionBackwardData), backward filter $(count cudnnConvolutionBackwardFilter)," \
    "batch norm $(count cudnnBatchNormalizationForward)"
done
