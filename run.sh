#!/usr/bin/env bash
# evomerge launcher: finds a JDK 25+, builds when the sources are newer than the build, runs the CLI.
#   ./run.sh --help          the commands
#   ./run.sh test            the whole test suite (mvn -B verify)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }

find_jdk() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    local v; v="$(java_major "$JAVA_HOME")"
    if [[ "${v:-0}" -ge 25 ]]; then echo "$JAVA_HOME"; return; fi
  fi
  local d
  for d in /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    [[ -x "$d/bin/javac" ]] || continue
    local v; v="$(java_major "$d")"
    if [[ "${v:-0}" -ge 25 ]]; then echo "$d"; return; fi
  done
  return 1
}

if ! JAVA_HOME="$(find_jdk)"; then
  echo "evomerge: no JDK 25 found (set JAVA_HOME to a JDK 25, or install one under /usr/lib/jvm)" >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
# Maven 3.8 prints warnings about sun.misc.Unsafe on JDK 25; they are Maven's, not ours.
export MAVEN_OPTS="${MAVEN_OPTS:-} --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"

if ! command -v mvn >/dev/null 2>&1; then
  echo "evomerge: Maven (mvn) is not installed: apt-get install maven" >&2
  exit 1
fi

if [[ "${1:-}" == "test" ]]; then
  shift
  cd "$here"
  exec mvn -B verify "$@"
fi

# Build in the repository; run from wherever the user is, so relative paths mean what they say.
stamp="$here/target/.build-stamp"
if [[ ! -f "$stamp" ]] || [[ -n "$(cd "$here" && find pom.xml src/main -newer "$stamp" -print -quit)" ]]; then
  echo "evomerge: building..." >&2
  (cd "$here" && mvn -B -q package -DskipTests >target-build.log 2>&1) \
    || { cat "$here/target-build.log" >&2; echo "evomerge: build failed" >&2; exit 1; }
  rm -f "$here/target-build.log"
  touch "$stamp"
fi

jar="$here/target/evomerge.jar" # its manifest puts target/lib/*.jar on the class path
# Hazelcast (cluster workers) uses sun.misc.Unsafe, which JDK 25 otherwise warns about on every start
jvm=(java ${EVOMERGE_JAVA_OPTS:--Xmx16g} --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow --add-modules jdk.incubator.vector -Devomerge.home="$here")

# The JVM's ahead-of-time cache (JDK 25): classes loaded and linked, and method profiles, recorded from a short
# training run once per build and mapped by every command, so a command starts and warms up sooner. Recorded again
# when the build is newer than it; without it (or if the JVM finds it stale) a command runs the same, only slower.
aot="$here/target/evomerge.aot"
if [[ "${EVOMERGE_AOT:-1}" != 0 ]]; then
  if [[ ! -f "$aot" || "$jar" -nt "$aot" || "$here/target/lib" -nt "$aot" ]]; then
    echo "evomerge: recording the start-up cache (once per build)..." >&2
    # into a file of this process's own, renamed into place: two commands may record at once
    if "${jvm[@]}" -XX:AOTCacheOutput="$aot.$$" -cp "$jar" dev.evomerge.cli.Main aot-training >"$here/target/aot-training.log" 2>&1 \
        && [[ -f "$aot.$$" ]]; then
      mv -f "$aot.$$" "$aot"
    else
      rm -f "$aot.$$"
      echo "evomerge: could not record the start-up cache (see target/aot-training.log); running without it" >&2
    fi
  fi
  # the JVM reports a cache it cannot use (stale, or made by another JDK) and runs without it: that is not the user's concern
  [[ -f "$aot" ]] && jvm+=(-XX:AOTCache="$aot" -Xlog:aot*=off)
fi

exec "${jvm[@]}" -cp "$jar" dev.evomerge.cli.Main "$@"
