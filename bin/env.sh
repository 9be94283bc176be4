# Sourced by the bin/ scripts: finds JDK 25 and Maven, installing Maven (and, for tests, the
# reference nats-server) from Debian's packages when missing and we are root.
WEFT_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

weft_find_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    # the JDK's release file names its version without starting a JVM (bin/weft's start-up)
    if [ -f "$JAVA_HOME/release" ]; then
      if grep -q '^JAVA_VERSION="25' "$JAVA_HOME/release"; then
        return 0
      fi
    elif "$JAVA_HOME/bin/java" -version 2>&1 | grep -q 'version "25'; then
      return 0
    fi
  fi
  for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 /usr/lib/jvm/temurin-25-jdk /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/jdk-25; do
    if [ -x "$d/bin/java" ]; then
      export JAVA_HOME="$d"
      return 0
    fi
  done
  echo "weft: JDK 25 not found (looked in \$JAVA_HOME and /usr/lib/jvm/temurin-25-jdk-*)." >&2
  echo "weft: install Temurin 25 or set JAVA_HOME to a JDK 25; the default java here is $(java -version 2>&1 | head -1)." >&2
  return 1
}

weft_apt_install() {
  # $@: Debian packages
  if [ "$(id -u)" != 0 ]; then
    echo "weft: missing $*; install it (apt-get install $*) and retry." >&2
    return 1
  fi
  if [ -z "${WEFT_APT_UPDATED:-}" ]; then
    apt-get update -qq >/dev/null && export WEFT_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

weft_find_maven() {
  command -v mvn >/dev/null 2>&1 || weft_apt_install maven || return 1
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
}
