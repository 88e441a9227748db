# Sourced by ./kubeha and ./test.sh: finds a JDK >= 21 and sets KUBEHA_JAVA_HOME (and KUBEHA_JAVA_MAJOR), or explains what to install.
kubeha_java_major() {
  # prints the feature version of the java binary $1 (17, 21, 25, ...), or nothing
  "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}' | cut -d. -f1
}

kubeha_find_jdk() {
  local candidates=() c major
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for c in /usr/lib/jvm/*; do [ -d "$c" ] && candidates+=("$c"); done
  for c in "${candidates[@]}"; do
    if [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ]; then
      major=$(kubeha_java_major "$c/bin/java")
      if [ -n "$major" ] && [ "$major" -ge 21 ] 2>/dev/null; then
        KUBEHA_JAVA_HOME="$c"
        KUBEHA_JAVA_MAJOR="$major"
        return 0
      fi
    fi
  done
  cat >&2 <<'MSG'
kubeha needs a JDK 21 or newer (java and javac), and found none in JAVA_HOME, on the PATH or under /usr/lib/jvm.
Install one (for example Temurin 21 or 25, or `apt-get install -y openjdk-21-jdk` where your distribution has it)
and set JAVA_HOME to it.
MSG
  return 1
}
