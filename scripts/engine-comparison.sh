#!/usr/bin/env bash
# Reproduces the embedded-engine comparison in BENCHMARKS.md: the embedded store on LMDB, SQLite and
# H2 MVStore, driven by the store benchmark. Pass --quick for a short run.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
. scripts/jdk.sh
kubeha_find_jdk
export JAVA_HOME="$KUBEHA_JAVA_HOME"
mvn -B -q -pl testkit,store,bench -am -DskipTests test-compile
mvn -B -q -pl testkit,store,bench dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
exec "$JAVA_HOME/bin/java" --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
  --enable-native-access=ALL-UNNAMED \
  -cp "bench/target/test-classes:bench/target/classes:store/target/classes:testkit/target/classes:$(cat bench/target/test.classpath)" \
  io.kubeha.store.embedded.EngineComparison "$@"
