# Shared by ./flotilla and ./test.sh: find the JDK, build, install Debian packages.
# Sourced, not run. Everything it prints goes to standard error.

FLOTILLA_ROOT=${FLOTILLA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
FLOTILLA_VERSION=0.1.0-SNAPSHOT
FLOTILLA_DIST="$FLOTILLA_ROOT/flotilla-cli/target/flotilla-$FLOTILLA_VERSION/flotilla-$FLOTILLA_VERSION"
FLOTILLA_PLAYGROUND_PACKAGES=(mariadb-server mariadb-client haproxy prometheus prometheus-node-exporter
  prometheus-blackbox-exporter iproute2 util-linux)
FLOTILLA_TEST_PACKAGES=("${FLOTILLA_PLAYGROUND_PACKAGES[@]}" prometheus-alertmanager etcd-server etcd-client maven
  openssh-server openssh-client sudo mariadb-backup systemd dbus libpam-systemd polkitd)

flotilla_require_jdk() {
  local candidate=/usr/lib/jvm/temurin-25-jdk-amd64
  if [ -x "$candidate/bin/javac" ]; then
    export JAVA_HOME=$candidate
  elif [ -n "${JAVA_HOME:-}" ] && "$JAVA_HOME/bin/javac" -version 2>&1 | grep -Eq 'javac (2[1-9]|[3-9][0-9])'; then
    :
  else
    echo "Flotilla needs a JDK 21 or newer to build: install Temurin 25 at $candidate or set JAVA_HOME to one." >&2
    exit 1
  fi
  export PATH="$JAVA_HOME/bin:$PATH"
  # Maven's bundled Guava calls sun.misc.Unsafe; say it is allowed rather than print warnings.
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
}

# Installs missing Debian packages when root; otherwise names them and stops.
# Services the packages ship are not started: Flotilla runs its own instances.
flotilla_require_packages() {
  local missing=()
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Flotilla needs these Debian packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing ${missing[*]} ..." >&2
  local policy=/usr/sbin/policy-rc.d created_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=yes
  fi
  if ! find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -newermt '-1 day' | grep -q .; then
    apt-get update -q >&2
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  [ -n "$created_policy" ] && rm -f "$policy"
  return 0
}

flotilla_build_if_needed() {
  local stamp="$FLOTILLA_ROOT/flotilla-cli/target/.flotilla-build-stamp"
  if [ -f "$stamp" ] && [ -x "$FLOTILLA_DIST/bin/flotilla" ] && [ -z "$(cd "$FLOTILLA_ROOT" && find . -path '*/target' -prune -o \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/*' \) -newer "$stamp" -print -quit)" ]; then
    return 0
  fi
  command -v mvn >/dev/null || flotilla_require_packages maven
  echo "Building Flotilla (first use, or the sources changed) ..." >&2
  # Maven 3.8 prints colour resets even in batch mode: strip them and the blank lines they leave.
  (cd "$FLOTILLA_ROOT" && mvn -q -B package -DskipTests -Dspotless.check.skip=true) 2>&1 \
    | sed -e 's/\x1b\[[0-9;]*m//g' | { grep -v '^$' || true; } >&2
  touch "$stamp"
}
