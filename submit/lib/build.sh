#!/usr/bin/env bash
# Sourced by the scripts under submit/: builds the project (`mvn package`, never `install`) when any file the
# script needs is missing or older than a source, pom or packaged configuration file.
#   build_if_stale ROOT FILE...   (the first FILE is the one compared against the sources)

build_if_stale() {
  local root=$1 newest=$2 file
  shift
  for file in "$@"; do
    [[ -e "$file" ]] || { build "$root" "$file is missing"; return; }
  done
  local changed
  changed="$(find "$root/pom.xml" "$root/model-defs" "$root/spark-job" "$root/conf/dl4j-options" \
    -path '*/target' -prune -o \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \
    -o -name dl4j-options \) -newer "$newest" -print -quit)"
  [[ -z "$changed" ]] || build "$root" "$changed is newer than $newest"
}

build() {
  echo "building the project ($2)" >&2
  (cd "$1" && mvn -B -q -Dstyle.color=never package -DskipTests) >&2
}
