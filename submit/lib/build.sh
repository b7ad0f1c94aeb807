#!/usr/bin/env bash
# Sourced by the scripts under submit/: builds the project (`mvn package`, never `install`) when any file the
# script needs is missing or older than what it is built from.
#   build_if_stale ROOT main|tests FILE...   (the first FILE, a jar, is compared against the main sources)
# main: the jars (main sources, poms, conf/dl4j-options); tests: the test classes too, compared against the last
# build this script made (Maven leaves a jar untouched when only test sources change).

build_if_stale() {
  local root=$1 scope=$2 jar=$3 file
  shift 2
  for file in "$@"; do
    [[ -e "$file" ]] || { build "$root" "$file is missing"; return; }
  done
  local changed
  changed="$(newer_than "$jar" "$root/pom.xml" "$root/model-defs" "$root/spark-job" "$root/conf/dl4j-options" \
    -path '*/src/main/*' -type f -o -name 'pom.xml' -o -name dl4j-options)"
  if [[ -z "$changed" && $scope == tests ]]; then
    local stamp="$root/spark-job/target/.tests-built"
    [[ -e "$stamp" ]] || stamp="$jar"
    changed="$(newer_than "$stamp" "$root/model-defs" "$root/spark-job" -path '*/src/test/*' -type f)"
  fi
  [[ -z "$changed" ]] || build "$root" "$changed is newer than the build"
}

# newer_than FILE DIR... FIND-TESTS: the first file under DIRs (target/ skipped) matching the tests, newer than FILE
newer_than() {
  local reference=$1 dirs=()
  shift
  while [[ $# -gt 0 && "$1" != -* ]]; do
    dirs+=("$1")
    shift
  done
  find "${dirs[@]}" -path '*/target' -prune -o \( "$@" \) -newer "$reference" -print -quit
}

build() {
  echo "building the project ($2)" >&2
  (cd "$1" && mvn -B -q -Dstyle.color=never package -DskipTests) >&2
  touch "$1/spark-job/target/.tests-built"
}
