#!/usr/bin/env bash
# Installs what the tests need (a JDK check, Maven, the Debian packages of the engines they run)
# and runs the whole suite: unit tests, then integration tests against real MariaDB, HAProxy,
# Prometheus, Alertmanager, etcd and the CLI.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$root/scripts/setup.sh"

flotilla_require_jdk
flotilla_require_packages "${FLOTILLA_TEST_PACKAGES[@]}"
cd "$root"
exec mvn -B -ntp verify "$@"
